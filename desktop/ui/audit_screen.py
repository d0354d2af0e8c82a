"""The admin's audit log screen: filter, read, export, check the hash chain."""

from __future__ import annotations

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.store.audit import AUDIT_COLUMNS, AuditCheck, AuditEntry, AuditFilter

AUDIT_ACTIONS = ("", "login", "login_failed", "login_refused", "logout", "verify", "decision",
                 "override", "enroll", "revoke", "replace", "account_created", "user_created",
                 "password_reset", "reembedded", "settings_changed", "audit_exported",
                 "verify_refused", "session_ended", "approval_failed", "approval_refused",
                 "banknote_check", "banknote_sides", "trusted_key_added", "role_changed",
                 "user_removed", "user_restored")


class AuditScreen(QWidget):
    """Filter, read and export the audit log; check that its hash chain is unbroken."""

    loaded = Signal(list)
    chain_checked = Signal(object)
    exported = Signal(int)

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host
        self.user_edit = QLineEdit()
        self.action_box = QComboBox()
        self.action_box.addItems(AUDIT_ACTIONS)
        self.account_edit = QLineEdit()
        self.since = QDateEdit(QDate.currentDate().addMonths(-1))
        self.until = QDateEdit(QDate.currentDate())
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        refresh = QPushButton("Apply filters")
        refresh.clicked.connect(self.refresh)
        export = QPushButton("Export CSV…")
        export.clicked.connect(self._choose_export)
        verify = QPushButton("Verify chain")
        verify.clicked.connect(self.verify_chain)
        self.chain_label = QLabel("")
        filters = QHBoxLayout()
        for label, widget in (("User", self.user_edit), ("Action", self.action_box),
                              ("Account", self.account_edit), ("From", self.since),
                              ("To", self.until)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addWidget(refresh)
        self.table = QTableWidget(0, len(AUDIT_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(AUDIT_COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        bottom = QHBoxLayout()
        bottom.addWidget(verify)
        bottom.addWidget(self.chain_label, 1)
        bottom.addWidget(export)
        lay = QVBoxLayout(self)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        lay.addLayout(bottom)

    def current_filter(self) -> AuditFilter:
        """The filter the widgets describe (dates are whole local days, as ISO UTC bounds)."""
        since = self.since.date().toString("yyyy-MM-dd")
        until = self.until.date().addDays(1).toString("yyyy-MM-dd")
        return AuditFilter(username=self.user_edit.text().strip(),
                           action=self.action_box.currentText(),
                           account_number=self.account_edit.text().strip(),
                           since=since, until=until)

    def refresh(self) -> None:
        """Reload the table with the current filters."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.audit_entries, ses, self.current_filter(), on_done=self._show,
                      status="Reading the audit log…")

    def _show(self, entries: list[AuditEntry]) -> None:
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            for col, key in enumerate(AUDIT_COLUMNS):
                self.table.setItem(row, col, QTableWidgetItem(str(entry.as_row()[key])))
        self.table.resizeColumnsToContents()
        self.loaded.emit(entries)

    def verify_chain(self) -> None:
        """Walk the whole hash chain on a worker thread."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.verify_audit, ses, on_done=self._verified,
                      status="Verifying the audit chain…")

    def _verified(self, check: AuditCheck) -> None:
        if check.ok:
            self.chain_label.setText(f"Chain intact: {check.rows} rows verified.")
            self.chain_label.setStyleSheet("color: #1b7f3b; font-weight: bold;")
        else:
            self.chain_label.setText(f"CHAIN BROKEN at row {check.bad_id}: {check.problem}.")
            self.chain_label.setStyleSheet("color: #b3261e; font-weight: bold;")
        self.chain_checked.emit(check)

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export audit log", "audit.csv",
                                              "CSV (*.csv)")
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        """Write the filtered log as CSV."""
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.export_audit_csv, ses, path, self.current_filter(),
                      on_done=self.exported.emit, status="Exporting…")
