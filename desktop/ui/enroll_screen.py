"""The operator's screen: create account holders, enroll, revoke and replace references."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.branch.files import decode_png
from desktop.core.signature.enrollment import (
    MAX_REFERENCES,
    MIN_REFERENCES,
    OK,
    REJECTED,
    WARNING,
    Candidate,
)
from desktop.core.store.records import Account, Reference
from desktop.ui.widgets import AccountPicker, DropFrame, image_filter, to_pixmap
from desktop.ui.wording import worded
from desktop.ui.workers import RequestSlot

STATUS_COLOURS = {OK: "#1b7f3b", REJECTED: "#b3261e"}
# What each quality-check status is called on screen (translated where shown).
STATUS_NAMES = {OK: QT_TRANSLATE_NOOP("EnrollScreen", "ok"),
                WARNING: QT_TRANSLATE_NOOP("EnrollScreen", "warning"),
                REJECTED: QT_TRANSLATE_NOOP("EnrollScreen", "rejected")}


class EnrollScreen(QWidget):
    """Enrollment with a quality check for every signature before anything is saved."""

    account_created = Signal(object)
    account_loaded = Signal(list)
    assessed = Signal(list)
    enrolled = Signal(list)
    revoked = Signal(object)

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host
        self.account: Account | None = None
        self.references: list[Reference] = []
        self.candidates: list[Candidate] = []
        self.pending: list[Candidate] = []  # read, waiting for the running assessment
        self.assessed_for: str | None = None  # the account the table was checked against
        self.requests = RequestSlot()
        self._build()

    def _build(self) -> None:
        new_box = QGroupBox(self.tr("New account holder"))
        self.number_edit = QLineEdit()
        self.name_edit = QLineEdit()
        create = QPushButton(self.tr("Create"))
        create.clicked.connect(lambda: self.create_account(self.number_edit.text(),
                                                           self.name_edit.text()))
        form = QFormLayout(new_box)
        form.addRow(self.tr("Account number"), self.number_edit)
        form.addRow(self.tr("Holder's name"), self.name_edit)
        form.addRow(create)

        self.picker = AccountPicker(self.host)
        self.picker.loaded.connect(self._loaded)

        refs_box = QGroupBox(self.tr("Enrolled references"))
        self.ref_list = QListWidget()
        self.ref_list.setIconSize(QSize(150, 90))
        self.revoke_reason = QLineEdit()
        self.revoke_reason.setPlaceholderText(self.tr("Reason for revoking or replacing"))
        revoke = QPushButton(self.tr("Revoke selected"))
        revoke.clicked.connect(self._revoke_selected)
        replace_btn = QPushButton(self.tr("Replace selected with selected new signature"))
        replace_btn.clicked.connect(self._replace_selected)
        rlay = QVBoxLayout(refs_box)
        rlay.addWidget(self.ref_list, 1)
        rlay.addWidget(self.revoke_reason)
        rrow = QHBoxLayout()
        rrow.addWidget(revoke)
        rrow.addWidget(replace_btn)
        rlay.addLayout(rrow)

        left = QWidget()
        llay = QVBoxLayout(left)
        llay.addWidget(new_box)
        llay.addWidget(self.picker, 1)
        llay.addWidget(refs_box, 2)

        self.cand_frame = DropFrame(
            self.tr("New reference signatures ({low} to {high} per account; drop files here)")
            .format(low=MIN_REFERENCES, high=MAX_REFERENCES))
        self.cand_frame.files_dropped.connect(lambda files: self.add_files(files))
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([self.tr("Signature"), self.tr("File"),
                                              self.tr("Check"), self.tr("Findings")])
        self.table.setIconSize(QSize(180, 90))
        self.table.verticalHeader().setDefaultSectionSize(96)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 190)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        add = QPushButton(self.tr("Add signature files…"))
        add.clicked.connect(lambda: self.open_file(card=False))
        card = QPushButton(self.tr("Add a signature card…"))
        card.clicked.connect(lambda: self.open_file(card=True))
        remove = QPushButton(self.tr("Remove selected"))
        remove.clicked.connect(self._remove_selected)
        self.save_button = QPushButton(self.tr("Save enrollment"))
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        self.summary = QLabel("")
        self.saved_label = QLabel("")  # "Saved" once an enrollment is stored
        self.saved_label.setStyleSheet("color: #1b7f3b; font-weight: bold;")
        crow = QHBoxLayout()
        for b in (add, card, remove):
            crow.addWidget(b)
        crow.addStretch(1)
        crow.addWidget(self.saved_label)
        crow.addWidget(self.save_button)
        clay = QVBoxLayout(self.cand_frame)
        clay.addLayout(crow)
        clay.addWidget(self.table, 1)
        clay.addWidget(self.summary)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.cand_frame)
        split.setSizes([380, 820])
        QVBoxLayout(self).addWidget(split)

    # ---- accounts --------------------------------------------------------------------------
    def create_account(self, number: str, name: str) -> None:
        """Create an account holder and select it."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.create_account, ses, number, name, on_done=self._created,
                      status=self.tr("Creating the account…"))

    def _created(self, account: Account) -> None:
        self.number_edit.clear()
        self.name_edit.clear()
        self.account_created.emit(account)
        self.picker.load(account.account_number)

    def _loaded(self, loaded: tuple[Account, list[Reference]]) -> None:
        self.account, self.references = loaded
        self.picker.label.setText(self.tr("<b>{holder}</b> · account {number}").format(
            holder=self.account.holder_name, number=self.account.account_number))
        self.ref_list.clear()
        for ref in self.references:
            item = QListWidgetItem(QIcon(to_pixmap(decode_png(ref.image_png))),
                                   self.tr("{file}\nenrolled {date} by {user}").format(
                                       file=ref.source_name, date=ref.created_at[:10],
                                       user=ref.created_by))
            item.setData(Qt.ItemDataRole.UserRole, ref.id)
            self.ref_list.addItem(item)
        self._update_summary()
        self.account_loaded.emit(self.references)
        if self.candidates or self.pending:
            self._assess([])

    # ---- candidates ------------------------------------------------------------------------
    def open_file(self, card: bool = False) -> None:
        """Ask for signature files, or a signature card (File > Open, Ctrl+O)."""
        if card:
            path, _ = QFileDialog.getOpenFileName(self, self.tr("Signature card"), "",
                                                  image_filter())
            files = [path] if path else []
        else:
            files, _ = QFileDialog.getOpenFileNames(self, self.tr("Reference signatures"), "",
                                                    image_filter())
        if files:
            self.add_files(files, card=card)

    def add_files(self, paths: list[str], card: bool = False) -> None:
        """Read the files (a card is split into its signatures) and check them all."""
        svc, ses = self.host.service, self.host.session
        self.saved_label.clear()  # a new enrollment begins
        self.host.run(svc.load_candidates, ses, paths, card, on_done=self._assess,
                      status=self.tr("Reading signatures…"))

    def _assess(self, new: list[Candidate]) -> None:
        svc, ses = self.host.service, self.host.session
        # Files read while an earlier assessment ran join the newest one; only the newest
        # assessment is shown, and only for the account it was made against.
        self.pending = self.pending + list(new)
        cands = self.candidates + self.pending
        number = self.account.account_number if self.account else None
        self.assessed_for = None
        self._update_summary()
        self.host.run(svc.assess_candidates, ses, cands, number,
                      on_done=lambda c, n=number: self._assessed(c, n),
                      status=self.tr("Checking quality…"), slot=self.requests)

    def _assessed(self, cands: list[Candidate], number: str | None) -> None:
        current = self.account.account_number if self.account else None
        if number != current:  # the account changed meanwhile: check against the new one
            self.candidates, self.pending = list(cands), []
            self._assess([])
            return
        self.candidates, self.pending, self.assessed_for = list(cands), [], number
        self.table.setRowCount(len(cands))
        for row, cand in enumerate(cands):
            thumb = QTableWidgetItem()
            if cand.gray is not None:
                thumb.setIcon(QIcon(to_pixmap(cand.gray, QSize(180, 90))))
            status = QTableWidgetItem(self.tr(STATUS_NAMES[cand.status])
                                      if cand.status in STATUS_NAMES else cand.status)
            status.setForeground(QColor(STATUS_COLOURS.get(cand.status, "#a15c00")))
            problems = [worded(p) for p in cand.problems]
            findings = QTableWidgetItem("; ".join(problems) or self.tr("good"))
            findings.setToolTip("\n".join(problems))
            for col, item in enumerate((thumb, QTableWidgetItem(cand.name), status, findings)):
                self.table.setItem(row, col, item)
        self._update_summary()
        self.assessed.emit(self.candidates)

    def _remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            del self.candidates[row]
        self._assess([])

    def _update_summary(self) -> None:
        usable = [c for c in self.candidates if c.usable]
        total = len(self.references) + len(usable)
        blocked = len(usable) != len(self.candidates)
        ok = (self.account is not None and usable and not blocked
              and self.assessed_for == self.account.account_number
              and MIN_REFERENCES <= total <= MAX_REFERENCES)
        self.save_button.setEnabled(bool(ok))
        if self.account is None:
            text = self.tr("Select or create the account first.")
        elif blocked:
            text = self.tr("Remove the rejected signatures to save.")
        else:
            text = self.tr("{enrolled} enrolled + {new} new = {total} (needs {low} to {high}).")\
                .format(enrolled=len(self.references), new=len(usable), total=total,
                        low=MIN_REFERENCES, high=MAX_REFERENCES)
        self.summary.setText(text)

    def save(self) -> None:
        """Enroll the checked signatures (all or none)."""
        if self.account is None:
            return
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.enroll, ses, self.account.account_number, list(self.candidates),
                      on_done=self._saved, status=self.tr("Saving the enrollment…"))

    def _saved(self, refs: list[Reference]) -> None:
        self.saved_label.setText(self.tr("Saved: %n reference(s) enrolled.", "", len(refs)))
        self.candidates, self.assessed_for = [], None
        self.table.setRowCount(0)
        self.enrolled.emit(refs)
        self.picker.load(self.account.account_number)

    # ---- revoke / replace ------------------------------------------------------------------
    def _selected_ref(self) -> int | None:
        item = self.ref_list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _revoke_selected(self) -> None:
        ref_id = self._selected_ref()
        if ref_id is not None:
            self.revoke(ref_id, self.revoke_reason.text())

    def revoke(self, ref_id: int, reason: str) -> None:
        """Revoke one reference of the selected account."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.revoke_reference, ses, self.account.account_number, ref_id, reason,
                      on_done=self._changed, status=self.tr("Revoking…"))

    def _replace_selected(self) -> None:
        ref_id = self._selected_ref()
        rows = {i.row() for i in self.table.selectedIndexes()}
        if ref_id is None or len(rows) != 1:
            self.host.show_error(self.tr("Select one enrolled reference and one new "
                                         "signature."))
            return
        cand = self.candidates[rows.pop()]
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.replace_reference, ses, self.account.account_number, ref_id, cand,
                      self.revoke_reason.text(), on_done=self._changed,
                      status=self.tr("Replacing…"))

    def _changed(self, ref: Reference) -> None:
        self.revoke_reason.clear()
        self.candidates = [c for c in self.candidates if c.name != ref.source_name]
        self.table.setRowCount(0)
        self.revoked.emit(ref)
        self.picker.load(self.account.account_number)
