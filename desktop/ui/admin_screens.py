"""Admin screens: the audit log viewer, users, and settings."""

from __future__ import annotations

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.access import auth
from desktop.core.access.sessions import MAX_IDLE_MINUTES
from desktop.core.branch.config import AppConfig, save_config
from desktop.core.branch.key_admin import add_trusted_key
from desktop.core.branch.service import DecisionSettings
from desktop.core.models.runtime import PROVIDER_CHOICES, runtime_summary
from desktop.core.models.signing import describe_signer, describe_trust
from desktop.core.signature.cheque import DEFAULT_ZONE, SignatureZone
from desktop.core.store.audit import AUDIT_COLUMNS, AuditCheck, AuditEntry, AuditFilter
from desktop.core.store.records import is_postgres_url, url_has_password

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


class UsersScreen(QWidget):
    """Create users, reset passwords (which also lifts a lock-out), change a user's role,
    and remove or restore a user."""

    changed = Signal()
    loaded = Signal(list)

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host
        self.users: list = []
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["User", "Role", "State"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.currentCellChanged.connect(lambda *_: self._selection_changed())
        self.name_edit = QLineEdit()
        self.role_box = QComboBox()
        self.role_box.addItems(list(auth.PERMISSIONS))
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        create = QPushButton("Create user")
        create.clicked.connect(lambda: self.create(self.name_edit.text(),
                                                   self.role_box.currentText(),
                                                   self.password_edit.text()))
        reset = QPushButton("Set this password for the selected user")
        reset.clicked.connect(self._reset_selected)
        box = QGroupBox("User")
        form = QFormLayout(box)
        form.addRow("Name", self.name_edit)
        form.addRow("Role", self.role_box)
        form.addRow("Password", self.password_edit)
        form.addRow(create)
        form.addRow(reset)
        # The selected user: role change, removal, restore.
        self.selected_label = QLabel("(select a user in the table)")
        self.new_role_box = QComboBox()
        self.new_role_box.addItems(list(auth.PERMISSIONS))
        self.change_role_btn = QPushButton("Change role")
        self.change_role_btn.clicked.connect(
            lambda: self.change_role(self.selected_name(), self.new_role_box.currentText()))
        self.remove_btn = QPushButton("Remove user")
        self.remove_btn.clicked.connect(lambda: self.remove(self.selected_name()))
        self.restore_btn = QPushButton("Restore user")
        self.restore_btn.clicked.connect(lambda: self.restore(self.selected_name()))
        chosen = QGroupBox("Selected user")
        chosen_form = QFormLayout(chosen)
        chosen_form.addRow("User", self.selected_label)
        role_row = QHBoxLayout()
        role_row.addWidget(self.new_role_box, 1)
        role_row.addWidget(self.change_role_btn)
        chosen_form.addRow("New role", role_row)
        chosen_form.addRow(self.remove_btn)
        chosen_form.addRow(self.restore_btn)
        chosen_form.addRow(QLabel("A role change or removal ends that user's open sessions "
                                  "at once."))
        side = QVBoxLayout()
        side.addWidget(box)
        side.addWidget(chosen)
        side.addStretch(1)
        lay = QHBoxLayout(self)
        lay.addWidget(self.table, 2)
        lay.addLayout(side, 1)
        self._selection_changed()

    def confirm(self, title: str, question: str) -> bool:
        """Ask the admin to confirm (tests replace this attribute)."""
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(self, title, question,
                                      QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def refresh(self) -> None:
        """Reload the user list."""
        self.host.run(self.host.service.users, self.host.session, on_done=self._show,
                      status="Reading users…")

    def _show(self, users) -> None:
        selected = self.selected_name()
        self.users = list(users)
        self.table.setRowCount(len(self.users))
        for row, user in enumerate(self.users):
            if not user.active:
                state = "removed"
            elif user.locked_until:
                state = f"locked until {user.locked_until[:16]}"
            else:
                state = "active"
            for col, text in enumerate((user.username, user.role, state)):
                self.table.setItem(row, col, QTableWidgetItem(text))
            if selected and user.username.lower() == selected.lower():
                self.table.setCurrentCell(row, 0)
        self._selection_changed()
        self.loaded.emit(self.users)

    def selected_name(self) -> str:
        """The user name selected in the table ("" when none is)."""
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return item.text() if item is not None else ""

    def select_user(self, username: str) -> None:
        """Select ``username``'s row in the table (nothing when it is not listed)."""
        for row, user in enumerate(self.users):
            if user.username.lower() == username.lower():
                self.table.setCurrentCell(row, 0)
                return

    def _selected_user(self):
        name = self.selected_name().lower()
        return next((u for u in self.users if name and u.username.lower() == name), None)

    def _selection_changed(self) -> None:
        user = self._selected_user()
        self.selected_label.setText(
            "(select a user in the table)" if user is None else
            f"{user.username} ({user.role}{', removed' if not user.active else ''})")
        if user is not None:
            self.new_role_box.setCurrentText(user.role)
        active = user is not None and user.active
        self.change_role_btn.setEnabled(active)
        self.remove_btn.setEnabled(active)
        self.restore_btn.setEnabled(user is not None and not user.active)

    def create(self, name: str, role: str, password: str) -> None:
        """Add a user."""
        self.host.run(self.host.service.create_user, self.host.session, name, role, password,
                      on_done=self._done, status="Creating the user…")

    def change_role(self, name: str, role: str) -> None:
        """Give ``name`` the role ``role`` (that user's sessions end)."""
        if not name:
            self.host.show_error("Select a user first.")
            return
        self.host.run(self.host.service.change_role, self.host.session, name, role,
                      on_done=self._done, status="Changing the role…")

    def remove(self, name: str) -> None:
        """Remove (deactivate) ``name`` after the admin confirms; the row is kept."""
        if not name:
            self.host.show_error("Select a user first.")
            return
        if not self.confirm("Remove user",
                            f"Remove {name}? The user can no longer log in and any open "
                            "session ends now. Their decisions and audit rows are kept, "
                            "and an administrator can restore the user later."):
            return
        self.host.run(self.host.service.remove_user, self.host.session, name,
                      on_done=self._done, status="Removing the user…")

    def restore(self, name: str) -> None:
        """Let a removed user log in again."""
        if not name:
            self.host.show_error("Select a user first.")
            return
        self.host.run(self.host.service.restore_user, self.host.session, name,
                      on_done=self._done, status="Restoring the user…")

    def _reset_selected(self) -> None:
        name = self.selected_name()
        if not name:
            self.host.show_error("Select a user first.")
            return
        self.host.run(self.host.service.reset_password, self.host.session, name,
                      self.password_edit.text(), on_done=self._done, status="Setting password…")

    def _done(self, _result=None) -> None:
        self.name_edit.clear()
        self.password_edit.clear()
        self.refresh()
        self.changed.emit()


class SettingsScreen(QWidget):
    """Model folder, provider, decision method, security level, store, zone, scan folder."""

    saved = Signal(object)

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host
        cfg: AppConfig = host.config
        self.model_edit = QLineEdit(cfg.model_dir)
        self.model_edit.setPlaceholderText("(the shipped model)")
        self.banknote_edit = QLineEdit(cfg.banknote_model_dir)
        self.banknote_edit.setPlaceholderText("(the shipped banknote model)")
        self.provider_box = QComboBox()
        self.provider_box.addItems(PROVIDER_CHOICES)
        self.provider_box.setCurrentText(cfg.provider)
        self.method_box = QComboBox()
        self.level_box = QComboBox()
        self.store_edit = QLineEdit(cfg.store_path)
        self.store_edit.setPlaceholderText(str(cfg.store_location()))
        self.store_edit.setToolTip("An SQLite file, or postgresql://user@host:5432/database "
                                   "for a shared store; its password goes in PGPASSFILE")
        self.scan_edit = QLineEdit(cfg.scan_folder)
        self.idle_spin = QSpinBox()
        self.idle_spin.setRange(1, MAX_IDLE_MINUTES)
        self.idle_spin.setSuffix(" min")
        self.idle_spin.setValue(cfg.idle_timeout_minutes)
        self.idle_spin.setToolTip("After this long without a key or a click the window locks "
                                  "and asks for the password again")
        zone = SignatureZone.from_dict(cfg.zone) if cfg.zone else DEFAULT_ZONE
        self.zone_spins = []
        zone_row = QHBoxLayout()
        for label, value in zip("xywh", (zone.x, zone.y, zone.w, zone.h), strict=True):
            spin = QDoubleSpinBox()
            spin.setRange(0.0, 1.0)
            spin.setSingleStep(0.01)
            spin.setDecimals(3)
            spin.setValue(value)
            zone_row.addWidget(QLabel(label))
            zone_row.addWidget(spin)
            self.zone_spins.append(spin)
        self.provider_info = QLabel("")
        self.provider_info.setWordWrap(True)
        self.signer_info = QLabel("")  # who signed the model, and the keys trusted here
        self.signer_info.setWordWrap(True)
        add_key = QPushButton("Add trusted key…")
        add_key.setToolTip("Trust model signatures by an institution's Ed25519 public key "
                           "(.pub); audited")
        add_key.clicked.connect(self._choose_key)
        self.show_trust()
        browse_model = QPushButton("Browse…")
        browse_model.clicked.connect(lambda: self._browse_dir(self.model_edit))
        browse_notes = QPushButton("Browse…")
        browse_notes.clicked.connect(lambda: self._browse_dir(self.banknote_edit))
        browse_scan = QPushButton("Browse…")
        browse_scan.clicked.connect(lambda: self._browse_dir(self.scan_edit))
        save = QPushButton("Save settings")
        save.clicked.connect(self.save)
        form = QFormLayout()
        form.addRow("Model folder", _row(self.model_edit, browse_model))
        form.addRow("Banknote model folder", _row(self.banknote_edit, browse_notes))
        form.addRow("Model signature", _row(self.signer_info, add_key))
        form.addRow("Execution provider", self.provider_box)
        form.addRow("", self.provider_info)
        form.addRow("Decision method", self.method_box)
        form.addRow("Security level", self.level_box)
        form.addRow("Signature zone (relative)", zone_row)
        form.addRow("Scan folder", _row(self.scan_edit, browse_scan))
        form.addRow("Lock when idle for", self.idle_spin)
        form.addRow("Store file or PostgreSQL URL (at next start)", self.store_edit)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        note = QLabel("A changed model folder or provider is loaded at once; references are "
                      "re-embedded with the new model when their account is next opened.")
        note.setWordWrap(True)
        lay.addWidget(note)
        lay.addWidget(save)
        lay.addStretch(1)

    def model_loaded(self, verifier) -> None:
        """Fill the method and security-level choices from the loaded model."""
        cfg = self.host.config
        info = verifier.embedder.provider
        text = f"In use: {info.describe()}\n{runtime_summary()}."
        if info.label != "CUDA":
            text += (" CUDA needs an NVIDIA driver and onnxruntime-gpu with its [cuda,cudnn] "
                     "extras (the README's GPU install).")
        self.provider_info.setText(text)
        self.show_trust(verifier.manifest.signer)
        self.method_box.clear()
        self.method_box.addItems(verifier.methods())
        self.method_box.setCurrentText(cfg.method if cfg.method in verifier.methods()
                                       else "distance")
        self.level_box.clear()
        ks = verifier.manifest.calibrations  # show the FRR at a typical enrollment size
        k = 5 if 5 in ks else max(ks)
        for level in verifier.security_levels(k):
            far = level["target_far"]
            frr = level.get("frr")
            text = f"target FAR {100 * far:g}%" + (
                f" (validation FRR {100 * frr:.0f}% at K={k})" if frr is not None else "")
            self.level_box.addItem(text, far)
        index = self.level_box.findData(cfg.target_far)
        self.level_box.setCurrentIndex(max(index, 0))

    def show_trust(self, signer=None) -> None:
        """Show who signed the loaded model and which keys this PC trusts."""
        keys = "; ".join(describe_trust()) or "none"
        model = f"Model {describe_signer(signer)}." if signer else "No model loaded yet."
        self.signer_info.setText(f"{model}\nTrusted keys: {keys}.")

    def _choose_key(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Trusted public key", "",
                                              "Public keys (*.pub *.pem);;All files (*)")
        if path:
            self.add_key(path)

    def add_key(self, path: str, label: str | None = None) -> None:
        """Admin: trust the public key in ``path`` (audited), then load the models again so
        that a model signed by it is used at once."""
        def done(key) -> None:
            self.host.statusBar().showMessage(f"Trusted key added: {key.label} {key.key_id}",
                                              10000)
            verifier = self.host.service.verifier
            self.show_trust(verifier.manifest.signer if verifier is not None else None)
            self.host.load_model()
            self.host.load_banknote_model()

        self.host.run(add_trusted_key, self.host.service, self.host.session, path, label,
                      on_done=done, status="Adding the trusted key…")

    def _browse_dir(self, edit: QLineEdit) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder", edit.text())
        if path:
            edit.setText(path)

    def save(self) -> None:
        """Validate, write the settings file, apply them (audited by the service)."""
        try:
            zone = SignatureZone(*(s.value() for s in self.zone_spins))
        except ValueError as exc:
            self.host.show_error(f"The signature zone cannot be used: {exc}")
            return
        store_text = self.store_edit.text().strip()
        if is_postgres_url(store_text) and url_has_password(store_text):
            self.host.show_error("Leave the password out of the store URL (settings.json is "
                                 "not secret): put it in this PC's PGPASSFILE (pgpass) file.")
            return
        old: AppConfig = self.host.config
        far = self.level_box.currentData()
        cfg = AppConfig(model_dir=self.model_edit.text().strip(),
                        provider=self.provider_box.currentText(),
                        method=self.method_box.currentText() or old.method,
                        target_far=float(far) if far is not None else old.target_far,
                        store_path=self.store_edit.text().strip(),
                        zone=zone.to_dict(), scan_folder=self.scan_edit.text().strip(),
                        banknote_model_dir=self.banknote_edit.text().strip(),
                        idle_timeout_minutes=self.idle_spin.value())
        settings = DecisionSettings(cfg.method, cfg.target_far, zone)
        reload_model = (cfg.model_dir, cfg.provider) != (old.model_dir, old.provider)
        reload_notes = ((cfg.banknote_model_dir, cfg.provider)
                        != (old.banknote_model_dir, old.provider))

        def apply():
            self.host.service.change_settings(self.host.session, settings,
                                              {"model_dir": cfg.model_dir,
                                               "banknote_model_dir": cfg.banknote_model_dir,
                                               "provider": cfg.provider,
                                               "store_path": cfg.store_path})
            self.host.service.set_idle_timeout(self.host.session, cfg.idle_timeout_minutes)
            return save_config(cfg)

        def done(_path) -> None:
            self.host.config = cfg
            self.saved.emit(cfg)
            if reload_model:
                self.host.load_model()
            if reload_notes:
                self.host.load_banknote_model()

        self.host.run(apply, on_done=done, status="Saving settings…")


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for i, w in enumerate(widgets):
        lay.addWidget(w, 1 if i == 0 else 0)
    return box
