"""The admin's audit log screen: filter, read, export, check the hash chain."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.branch.decisions import DECISION_WORDS
from desktop.core.errors import word_for
from desktop.core.signature.verification import VERDICT_WORDS
from desktop.core.store.audit import AuditCheck, AuditEntry, AuditFilter
from desktop.ui.wording import worded

# What each action is called on screen (the stored code stays in the details pane and in CSV);
# translated where shown (action_name).
ACTION_NAMES = {
    "login": QT_TRANSLATE_NOOP("AuditActions", "Logged in"),
    "login_failed": QT_TRANSLATE_NOOP("AuditActions", "Login failed"),
    "login_refused": QT_TRANSLATE_NOOP("AuditActions", "Login refused"),
    "logout": QT_TRANSLATE_NOOP("AuditActions", "Logged out"),
    "session_ended": QT_TRANSLATE_NOOP("AuditActions", "Session ended"),
    "verify": QT_TRANSLATE_NOOP("AuditActions", "Cheque checked"),
    "verify_refused": QT_TRANSLATE_NOOP("AuditActions", "Cheque not checked"),
    "decision": QT_TRANSLATE_NOOP("AuditActions", "Decision recorded"),
    "override": QT_TRANSLATE_NOOP("AuditActions", "Decision against the verdict"),
    "approval_failed": QT_TRANSLATE_NOOP("AuditActions", "Supervisor approval failed"),
    "approval_refused": QT_TRANSLATE_NOOP("AuditActions", "Supervisor approval refused"),
    "decision_refused": QT_TRANSLATE_NOOP("AuditActions", "Decision refused (row changed)"),
    "account_created": QT_TRANSLATE_NOOP("AuditActions", "Account created"),
    "enroll": QT_TRANSLATE_NOOP("AuditActions", "Signatures enrolled"),
    "revoke": QT_TRANSLATE_NOOP("AuditActions", "Signature removed"),
    "replace": QT_TRANSLATE_NOOP("AuditActions", "Signature replaced"),
    "reembedded": QT_TRANSLATE_NOOP("AuditActions", "Signatures re-read by a new model"),
    "banknote_check": QT_TRANSLATE_NOOP("AuditActions", "Banknote checked"),
    "banknote_sides": QT_TRANSLATE_NOOP("AuditActions", "Banknote sides compared"),
    "banknote_enroll": QT_TRANSLATE_NOOP("AuditActions", "Banknote references enrolled"),
    "banknote_revoke": QT_TRANSLATE_NOOP("AuditActions", "Banknote reference removed"),
    "banknote_reembed": QT_TRANSLATE_NOOP("AuditActions",
                                          "Banknote references re-read by a new model"),
    "user_created": QT_TRANSLATE_NOOP("AuditActions", "User created"),
    "role_changed": QT_TRANSLATE_NOOP("AuditActions", "Role changed"),
    "user_removed": QT_TRANSLATE_NOOP("AuditActions", "User removed"),
    "user_restored": QT_TRANSLATE_NOOP("AuditActions", "User restored"),
    "password_reset": QT_TRANSLATE_NOOP("AuditActions", "Password reset"),
    "settings_changed": QT_TRANSLATE_NOOP("AuditActions", "Settings changed"),
    "settings_file_differs": QT_TRANSLATE_NOOP("AuditActions", "Settings file overruled"),
    "trusted_key_added": QT_TRANSLATE_NOOP("AuditActions", "Signing key trusted"),
    "trusted_key_found": QT_TRANSLATE_NOOP("AuditActions", "Signing key added on this PC"),
    "audit_exported": QT_TRANSLATE_NOOP("AuditActions", "Audit log exported"),
    "baseline": QT_TRANSLATE_NOOP("AuditActions", "Store upgraded (existing rows recorded)"),
}
COLUMNS = ("#", QT_TRANSLATE_NOOP("AuditScreen", "Time"), QT_TRANSLATE_NOOP("AuditScreen", "User"),
           QT_TRANSLATE_NOOP("AuditScreen", "What"),
           QT_TRANSLATE_NOOP("AuditScreen", "Account"),
           QT_TRANSLATE_NOOP("AuditScreen", "Summary"))  # translated where shown
SUMMARY_COLUMN = COLUMNS.index("Summary")
# Why a check was refused, in a few words (the whole sentence is in the details pane).
REFUSALS = {"not_a_cheque": QT_TRANSLATE_NOOP("AuditScreen", "not a cheque"),
            "no_signature": QT_TRANSLATE_NOOP("AuditScreen", "no signature found"),
            "upside_down": QT_TRANSLATE_NOOP("AuditScreen", "upside down?"),
            "turned": QT_TRANSLATE_NOOP("AuditScreen", "turned 90°?")}
TAMPERED_COLOUR = "#b3261e"


def action_name(action: str) -> str:
    """What the stored action code ``action`` is called on screen (the code when unknown)."""
    name = ACTION_NAMES.get(action)
    return QCoreApplication.translate("AuditActions", name) if name else action


def local_time(ts: str) -> str:
    """A stored UTC timestamp as this PC's local time, to the second."""
    try:
        when = datetime.fromisoformat(ts)
    except ValueError:
        return ts  # shown as stored: the chain check says whether the row was changed
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _page(details: dict[str, Any]) -> str:
    page = details.get("page")
    if not (isinstance(page, int) and page > 1):
        return ""
    return " " + QCoreApplication.translate("AuditScreen", "page {page}").format(page=page)


NAME_SHOWN = 60  # characters of a file name in the one-line summary


def _name(value: object) -> str:
    """A file name from an audit row as the summary shows it: control, format and separator
    characters as "?", runs of spaces as one, cut in the middle past :data:`NAME_SHOWN`. A
    name is chosen by whoever saved the file: it must not be able to pass for a verdict."""
    text = "".join("?" if unicodedata.category(c)[0] in "CZ" and c != " " else c
                   for c in str(value))
    text = " ".join(text.split())
    if len(text) > NAME_SHOWN:
        half = NAME_SHOWN // 2
        text = f"{text[:half]}…{text[-half:]}"
    return f"“{text}”"


def summary(entry: AuditEntry) -> str:
    """One line a person reads at a glance: what came out, then what was checked (the
    outcome first: a file name cannot push it out of sight)."""
    d = entry.details
    if entry.malformed:
        return QCoreApplication.translate(
            "AuditScreen", "The stored details cannot be read: the row may have been changed.")
    if entry.action == "verify":
        return QCoreApplication.translate(
            "AuditScreen", "{verdict}, similarity {similarity}: {cheque}").format(
            cheque=f"{_name(d.get('cheque', '?'))}{_page(d)}",
            verdict=worded(word_for(VERDICT_WORDS, str(d.get("verdict", "?")))),
            similarity=d.get("similarity", "?"))
    if entry.action == "verify_refused":  # the kind first, short; the whole sentence below
        kind = d.get("refusal", "?")
        if kind in REFUSALS:
            kind = QCoreApplication.translate("AuditScreen", REFUSALS[kind])
        return f"{kind}: {_name(d.get('cheque', '?'))}{_page(d)}"
    if entry.action == "decision_refused":
        return QCoreApplication.translate(
            "AuditScreen", "decision on verification #{row} refused: the row was changed").format(
            row=d.get("verification_audit_id", "?"))
    if entry.action == "settings_file_differs" and isinstance(d.get("file"), dict):
        return QCoreApplication.translate(
            "AuditScreen", "the file said {values}; audited row(s) {rows} used").format(
            values=", ".join(f"{k} {v}" for k, v in d["file"].items()),
            rows=", ".join(str(r) for r in d.get("used_audit_rows") or []))
    if entry.action == "trusted_key_found":
        return QCoreApplication.translate("AuditScreen", "key {label} ({key}…) on {pc}").format(
            label=_name(d.get("label", "?")), key=str(d.get("key_id", "?"))[:8],
            pc=_name(d.get("pc", "?")))
    if entry.action in ("decision", "override"):
        text = QCoreApplication.translate(
            "AuditScreen", "{decision} (verdict {verdict}): {cheque}").format(
            decision=worded(word_for(DECISION_WORDS, str(d.get("decision", "?")))),
            cheque=_name(d.get("cheque", "")),
            verdict=worded(word_for(VERDICT_WORDS, str(d.get("verdict", "?")))))
        if d.get("reason"):
            text = QCoreApplication.translate("AuditScreen", "{text}: “{reason}”").format(
                text=text, reason=d["reason"])
        if d.get("approved_by"):
            text = QCoreApplication.translate("AuditScreen", "{text} (approved by {user})")\
                .format(text=text, user=d["approved_by"])
        return text
    if entry.action == "banknote_check":
        return f"{d.get('verdict', '?')}, {d.get('denomination', '?')}: {_name(d.get('file', '?'))}"
    if entry.action in ("enroll", "banknote_enroll"):
        refs, sources = d.get("references"), d.get("sources")
        text = f"{d['key']}: " if isinstance(d.get("key"), str) else ""
        text += QCoreApplication.translate("AuditScreen", "%n reference(s)", "", len(refs)) \
            if isinstance(refs, list) else QCoreApplication.translate("AuditScreen", "references")
        if isinstance(sources, list) and sources:
            text = QCoreApplication.translate("AuditScreen", "{text} from {sources}").format(
                text=text, sources=", ".join(_name(x) for x in sources))
        return text
    keep = {k: v for k, v in d.items() if isinstance(v, (str, int, float, bool))}
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in list(keep.items())[:4])


def details_text(entry: AuditEntry, with_hashes: bool) -> str:
    """The whole entry for the details pane; the hashes only when asked for."""
    lines = [QCoreApplication.translate("AuditScreen", "Entry #{id}: {name} ({action})").format(
                 id=entry.id, name=action_name(entry.action), action=entry.action),
             QCoreApplication.translate("AuditScreen", "Time: {local} local ({utc} UTC)").format(
                 local=local_time(entry.ts), utc=entry.ts),
             QCoreApplication.translate("AuditScreen", "User: {user}").format(
                 user=entry.username or "—")]
    if entry.account_number:
        lines.append(QCoreApplication.translate("AuditScreen", "Account: {account}").format(
            account=entry.account_number))
    if entry.model_id:
        lines.append(QCoreApplication.translate("AuditScreen", "Model: {model}").format(
            model=entry.model_id))
    lines.append("")
    for key, value in entry.details.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"{key.replace('_', ' ')}: {shown}")
    if with_hashes:
        lines += ["", QCoreApplication.translate("AuditScreen", "Hash: {hash}").format(
                      hash=entry.hash),
                  QCoreApplication.translate("AuditScreen", "Previous hash: {hash}").format(
                      hash=entry.prev_hash)]
        lines += [QCoreApplication.translate("AuditScreen", "Row {row}: {digest}").format(
                      row=row, digest=digest) for row, digest in entry.row_digests.items()]
    return "\n".join(lines)


class AuditScreen(QWidget):
    """Filter, read and export the audit log; check that its hash chain is unbroken."""

    loaded = Signal(list)
    chain_checked = Signal(object)
    exported = Signal(int)

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host
        self.user_edit = QLineEdit()
        self.entries: list[AuditEntry] = []
        self.action_box = QComboBox()
        self.action_box.addItem(self.tr("Any"), "")
        names = {code: action_name(code) for code in ACTION_NAMES}
        for code, name in sorted(names.items(), key=lambda kv: kv[1]):
            self.action_box.addItem(name, code)
        self.account_edit = QLineEdit()
        self.since = QDateEdit(QDate.currentDate().addMonths(-1))
        self.until = QDateEdit(QDate.currentDate())
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        refresh = QPushButton(self.tr("Apply filters"))
        refresh.clicked.connect(self.refresh)
        export = QPushButton(self.tr("Export CSV…"))
        export.clicked.connect(self._choose_export)
        verify = QPushButton(self.tr("Verify chain"))
        verify.clicked.connect(self.verify_chain)
        self.chain_label = QLabel("")
        filters = QHBoxLayout()
        for label, widget in ((self.tr("User"), self.user_edit),
                              (self.tr("Action"), self.action_box),
                              (self.tr("Account"), self.account_edit),
                              (self.tr("From"), self.since), (self.tr("To"), self.until)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addWidget(refresh)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(
            [QCoreApplication.translate("AuditScreen", c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SUMMARY_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._show_details)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText(self.tr("Select a row to read the whole entry."))
        self.show_hashes = QCheckBox(self.tr("Show hashes"))
        self.show_hashes.setToolTip(self.tr("The entry's hash, the previous entry's hash and "
                                            "the digests of the rows it wrote"))
        self.show_hashes.toggled.connect(self._show_details)
        pane = QWidget()
        play = QVBoxLayout(pane)
        play.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel(self.tr("Selected entry")))
        head.addStretch(1)
        head.addWidget(self.show_hashes)
        play.addLayout(head)
        play.addWidget(self.details, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(pane)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(verify)
        bottom.addWidget(self.chain_label, 1)
        bottom.addWidget(export)
        lay = QVBoxLayout(self)
        lay.addLayout(filters)
        lay.addWidget(split, 1)
        lay.addLayout(bottom)

    def current_filter(self) -> AuditFilter:
        """The filter the widgets describe (dates are whole local days, as ISO UTC bounds)."""
        since = self.since.date().toString("yyyy-MM-dd")
        until = self.until.date().addDays(1).toString("yyyy-MM-dd")
        return AuditFilter(username=self.user_edit.text().strip(),
                           action=self.action_box.currentData() or "",
                           account_number=self.account_edit.text().strip(),
                           since=since, until=until)

    def refresh(self) -> None:
        """Reload the table with the current filters."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.audit_entries, ses, self.current_filter(), on_done=self._show,
                      status=self.tr("Reading the audit log…"))

    def _show(self, entries: list[AuditEntry]) -> None:
        self.entries = entries
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            cells = (str(entry.id), local_time(entry.ts), entry.username,
                     action_name(entry.action), entry.account_number,
                     summary(entry))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == SUMMARY_COLUMN:
                    item.setToolTip(text)
                if entry.malformed:
                    item.setForeground(QBrush(QColor(TAMPERED_COLOUR)))
                self.table.setItem(row, col, item)
            self.table.item(row, 1).setToolTip(f"{entry.ts} UTC")
        self.details.clear()
        self.loaded.emit(entries)

    def _show_details(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.entries):
            self.details.clear()
            return
        entry = self.entries[rows[0].row()]
        self.details.setPlainText(details_text(entry, self.show_hashes.isChecked()))

    def verify_chain(self) -> None:
        """Walk the whole hash chain on a worker thread."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.verify_audit, ses, on_done=self._verified,
                      status=self.tr("Verifying the audit chain…"))

    def _verified(self, check: AuditCheck) -> None:
        if check.ok:
            self.chain_label.setText(self.tr("Chain intact: %n rows verified.", "", check.rows))
            self.chain_label.setStyleSheet("color: #1b7f3b; font-weight: bold;")
        else:
            self.chain_label.setText(self.tr("CHAIN BROKEN at row {row}: {problem}.").format(
                row=check.bad_id, problem=worded(check.problem)))
            self.chain_label.setStyleSheet("color: #b3261e; font-weight: bold;")
        self.chain_checked.emit(check)

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export audit log"), "audit.csv",
                                              self.tr("CSV") + " (*.csv)")
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        """Write the filtered log as CSV."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.export_audit_csv, ses, path, self.current_filter(),
                      on_done=self.exported.emit, status=self.tr("Exporting…"))
