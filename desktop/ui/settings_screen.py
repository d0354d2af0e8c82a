"""The admin's settings screen: model folders, provider, decision method, security level,
store, signature zone, scanning (a folder or a SANE scanner), idle lock, trusted model-signing
keys."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core.access.sessions import MAX_IDLE_MINUTES
from desktop.core.branch.config import SCANNER_DPIS, AppConfig, save_config
from desktop.core.branch.decisions import DecisionSettings
from desktop.core.branch.sane_scanner import ScannerInfo, list_scanners, sane_missing
from desktop.core.models.keys import default_trust, machine_keys_dir
from desktop.core.models.runtime import PROVIDER_CHOICES
from desktop.core.signature.cheque import DEFAULT_ZONE, SignatureZone
from desktop.core.store.records import is_postgres_url, url_has_password
from desktop.ui.widgets import join_sentences
from desktop.ui.wording import (
    method_name,
    provider_choice,
    provider_text,
    runtime_text,
    signer_text,
    trusted_keys,
    worded,
)


class SettingsScreen(QWidget):
    """Model folder, provider, decision method, security level, store, zone, scanning."""

    saved = Signal(object)
    scanners_found = Signal(list)  # the ScannerInfo list "Find scanners" got

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host
        cfg: AppConfig = host.config
        self.model_edit = QLineEdit(cfg.model_dir)
        self.model_edit.setPlaceholderText(self.tr("(the shipped model)"))
        self.banknote_edit = QLineEdit(cfg.banknote_model_dir)
        self.banknote_edit.setPlaceholderText(self.tr("(the shipped banknote model)"))
        self.provider_box = QComboBox()
        for code in PROVIDER_CHOICES:
            self.provider_box.addItem(provider_choice(code), code)
        self.provider_box.setCurrentIndex(max(self.provider_box.findData(cfg.provider), 0))
        self.method_box = QComboBox()
        self.level_box = QComboBox()
        self.store_edit = QLineEdit(cfg.store_path)
        self.store_edit.setPlaceholderText(str(cfg.store_location()))
        self.store_edit.setToolTip(self.tr("An SQLite file, or "
                                           "postgresql://user@host:5432/database for a shared "
                                           "store; its password goes in PGPASSFILE"))
        self.scan_edit = QLineEdit(cfg.scan_folder)
        self._build_scanner(cfg)
        self.idle_spin = QSpinBox()
        self.idle_spin.setRange(1, MAX_IDLE_MINUTES)
        self.idle_spin.setSuffix(self.tr(" min"))
        self.idle_spin.setValue(cfg.idle_timeout_minutes)
        self.idle_spin.setToolTip(self.tr("After this long without a key or a click the window "
                                          "locks and asks for the password again"))
        self.language_box = QComboBox()
        for code, name in (("", self.tr("The system's language")), ("en", "English"),
                           ("zh_CN", "简体中文")):
            self.language_box.addItem(name, code)
        self.language_box.setCurrentIndex(max(self.language_box.findData(cfg.language), 0))
        self.language_box.setToolTip(self.tr("The window changes to it when you save"))
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
        self.show_trust()
        browse_model = QPushButton(self.tr("Browse…"))
        browse_model.clicked.connect(lambda: self._browse_dir(self.model_edit))
        browse_notes = QPushButton(self.tr("Browse…"))
        browse_notes.clicked.connect(lambda: self._browse_dir(self.banknote_edit))
        browse_scan = QPushButton(self.tr("Browse…"))
        browse_scan.clicked.connect(lambda: self._browse_dir(self.scan_edit))
        save = QPushButton(self.tr("Save settings"))
        save.clicked.connect(self.save)
        self.saved_label = QLabel("")  # "Saved" once the settings are written
        self.saved_label.setStyleSheet("color: #1b7f3b; font-weight: bold;")
        form = QFormLayout()
        form.addRow(self.tr("Model folder"), _row(self.model_edit, browse_model))
        form.addRow(self.tr("Banknote model folder"), _row(self.banknote_edit, browse_notes))
        form.addRow(self.tr("Model signature"), self.signer_info)
        form.addRow(self.tr("Runs on"), self.provider_box)
        form.addRow("", self.provider_info)
        form.addRow(self.tr("Decision method"), self.method_box)
        form.addRow(self.tr("Security level"), self.level_box)
        form.addRow(self.tr("Signature zone (relative)"), zone_row)
        form.addRow(self.tr("Scan from"), self.source_box)
        form.addRow(self.tr("Scan folder"), _row(self.scan_edit, browse_scan))
        form.addRow(self.tr("Scanner"), _row(self.device_box, self.find_button))
        form.addRow("", self.scanner_info)
        form.addRow(self.tr("Scanner settings"), _row(self.dpi_box, self.colour_box,
                                                      self.adf_box))
        form.addRow(self.tr("Lock when idle for"), self.idle_spin)
        form.addRow(self.tr("Language"), self.language_box)
        form.addRow(self.tr("Store file or PostgreSQL URL (at next start)"), self.store_edit)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        note = QLabel(self.tr("A changed model folder or provider is loaded at once; "
                              "references are re-embedded with the new model when their "
                              "account is next opened."))
        note.setWordWrap(True)
        lay.addWidget(note)
        row = QHBoxLayout()
        row.addWidget(save)
        row.addWidget(self.saved_label, 1)
        lay.addLayout(row)
        lay.addStretch(1)

    def model_loaded(self, verifier) -> None:
        """Fill the method and security-level choices from the loaded model."""
        cfg = self.host.config
        info = verifier.embedder.provider
        text = self.tr("In use: {provider}.").format(provider=provider_text(info))
        if info.label != "CUDA":
            text = join_sentences(text, self.tr(
                "CUDA needs an NVIDIA driver and onnxruntime-gpu with its [cuda,cudnn] extras "
                "(the README's GPU install)."))
        self.provider_info.setToolTip(runtime_text())
        self.provider_info.setText(text)
        self.show_trust(verifier.manifest.signer)
        self.method_box.clear()
        for code in verifier.methods():
            self.method_box.addItem(method_name(code), code)
        method = cfg.method if cfg.method in verifier.methods() else "distance"
        self.method_box.setCurrentIndex(max(self.method_box.findData(method), 0))
        self.level_box.clear()
        ks = verifier.manifest.calibrations  # show the FRR at a typical enrollment size
        k = 5 if 5 in ks else max(ks)
        for level in verifier.security_levels(k):
            far = level["target_far"]
            frr = level.get("frr")
            text = (self.tr("{far}% of skilled forgeries pass; {frr}% of genuine signatures "
                            "are not passed outright (validation, {k} references)").format(
                        far=f"{100 * far:g}", frr=f"{100 * frr:.0f}", k=k)
                    if frr is not None else self.tr("{far}% of skilled forgeries pass")
                    .format(far=f"{100 * far:g}"))
            self.level_box.addItem(text, far)
        index = self.level_box.findData(cfg.target_far)
        self.level_box.setCurrentIndex(max(index, 0))

    def show_trust(self, signer=None) -> None:
        """Show who signed the loaded model, which keys this PC trusts, where its
        administrator adds one, and any keys found but not trusted (and why)."""
        trust = default_trust()
        model = (self.tr("Model {signer}.").format(signer=signer_text(signer)) if signer
                 else self.tr("No model loaded yet."))
        lines = [model, self.tr("Trusted keys: {keys}.").format(keys=trusted_keys(trust.keys)),
                 self.tr("This PC's administrator adds a key to {folder} (`sigdesk-keys "
                         "add FILE`); the audit log records it.").format(folder=machine_keys_dir())]
        lines += [self.tr("NOT TRUSTED: keys {keys} in {folder}: {reason}.").format(
            keys=", ".join(i.key_ids), folder=i.folder, reason=worded(i.reason))
            for i in trust.ignored]
        self.signer_info.setText("\n".join(lines))

    # ---- scanning: a folder, or a scanner through SANE ----------------------------------------
    def _build_scanner(self, cfg: AppConfig) -> None:
        self.sane_problem = sane_missing()  # None when python-sane and SANE are installed
        self.source_box = QComboBox()
        self.source_box.addItem(self.tr("Folder: the newest image the scanner saved there"),
                                "folder")
        if self.sane_problem is None:
            self.source_box.addItem(self.tr("Scanner (SANE)"), "sane")
        else:
            self.source_box.addItem(self.tr("Scanner (SANE): install the [scanner] extra "
                                            "(python-sane) and SANE"), "sane")
            self.source_box.setItemData(1, worded(self.sane_problem), Qt.ItemDataRole.ToolTipRole)
        self.source_box.setCurrentIndex(max(self.source_box.findData(cfg.scan_source), 0))
        self.device_box = QComboBox()
        self.device_box.setEditable(True)  # a name from scanimage -L may be typed in
        self.device_box.lineEdit().setPlaceholderText(self.tr("(the first scanner SANE finds)"))
        if cfg.scanner_device:
            self.device_box.addItem(cfg.scanner_device, cfg.scanner_device)
        self.device_box.setCurrentText(cfg.scanner_device)
        self.find_button = QPushButton(self.tr("Find scanners"))
        self.find_button.setToolTip(self.tr("List the scanners SANE sees (USB and network)"))
        self.find_button.clicked.connect(self.find_scanners)
        self.scanner_info = QLabel("")
        if self.sane_problem is not None:  # in words; the technical reason is the choice's tip
            self.scanner_info.setText(self.tr(
                "Scanning from a scanner needs SANE and the app's [scanner] extra "
                "(python-sane); until then the scan folder is used."))
        self.scanner_info.setWordWrap(True)
        self.dpi_box = QComboBox()
        for dpi in SCANNER_DPIS:
            self.dpi_box.addItem(self.tr("{dpi} dpi").format(dpi=dpi), dpi)
        self.dpi_box.setCurrentIndex(max(self.dpi_box.findData(cfg.scanner_dpi), 0))
        self.colour_box = QComboBox()
        self.colour_box.addItem(self.tr("Grey"), False)
        self.colour_box.addItem(self.tr("Colour"), True)
        self.colour_box.setCurrentIndex(1 if cfg.scanner_colour else 0)
        self.adf_box = QCheckBox(self.tr("Document feeder (every sheet in it)"))
        self.adf_box.setChecked(cfg.scanner_adf)
        self.source_box.currentIndexChanged.connect(self._scan_source_changed)
        self._scan_source_changed()

    def _scan_source_changed(self) -> None:
        sane = self.source_box.currentData() == "sane"
        self.scan_edit.setEnabled(not sane)
        for w in (self.device_box, self.find_button, self.dpi_box, self.colour_box,
                  self.adf_box):
            w.setEnabled(sane and self.sane_problem is None)

    def find_scanners(self) -> None:
        """List the scanners SANE sees, on a worker (it may take a few seconds)."""
        if self.sane_problem is not None:
            self.host.show_error(worded(self.sane_problem))
            return
        self.find_button.setEnabled(False)

        def found(scanners: list[ScannerInfo]) -> None:
            self._scan_source_changed()
            typed = self.device_box.currentText().strip()
            self.device_box.clear()
            for info in scanners:
                self.device_box.addItem(info.name, info.name)
                self.device_box.setItemData(self.device_box.count() - 1, info.describe(),
                                            Qt.ItemDataRole.ToolTipRole)
            if typed and self.device_box.findData(typed) < 0:
                self.device_box.insertItem(0, typed, typed)  # kept, though not found now
            self.device_box.setCurrentText(typed or (scanners[0].name if scanners else ""))
            self.scanner_info.setText(
                self.tr("Found: {scanners}").format(
                    scanners="; ".join(i.describe() for i in scanners)) if scanners else
                self.tr("SANE sees no scanner: check that it is connected and switched on."))
            self.scanners_found.emit(scanners)

        def failed(message: str) -> None:
            self._scan_source_changed()
            self.scanner_info.setText(message)
            self.host.show_error(message)

        self.host.run(list_scanners, on_done=found, on_failed=failed,
                      status=self.tr("Looking for scanners…"))

    def scanner_settings(self) -> dict:
        """The scanner fields of :class:`AppConfig` as this screen shows them."""
        return {"scan_source": self.source_box.currentData(),
                "scanner_device": self.device_box.currentText().strip(),
                "scanner_dpi": int(self.dpi_box.currentData()),
                "scanner_colour": bool(self.colour_box.currentData()),
                "scanner_adf": self.adf_box.isChecked()}

    def _browse_dir(self, edit: QLineEdit) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Folder"), edit.text())
        if path:
            edit.setText(path)

    def save(self) -> None:
        """Validate, write the settings file, apply them (audited by the service)."""
        try:
            zone = SignatureZone(*(s.value() for s in self.zone_spins))
        except ValueError as exc:
            self.host.show_error(self.tr("The signature zone cannot be used: {problem}").format(
                problem=exc))
            return
        store_text = self.store_edit.text().strip()
        if is_postgres_url(store_text) and url_has_password(store_text):
            self.host.show_error(self.tr("Leave the password out of the store URL "
                                         "(settings.json is not secret): put it in this PC's "
                                         "PGPASSFILE (pgpass) file."))
            return
        old: AppConfig = self.host.config
        far = self.level_box.currentData()
        cfg = AppConfig(model_dir=self.model_edit.text().strip(),
                        provider=self.provider_box.currentData(),
                        method=self.method_box.currentData() or old.method,
                        target_far=float(far) if far is not None else old.target_far,
                        store_path=self.store_edit.text().strip(),
                        zone=zone.to_dict(), scan_folder=self.scan_edit.text().strip(),
                        banknote_model_dir=self.banknote_edit.text().strip(),
                        idle_timeout_minutes=self.idle_spin.value(),
                        language=self.language_box.currentData(),
                        **self.scanner_settings())
        settings = DecisionSettings(cfg.method, cfg.target_far, zone)
        reload_model = (cfg.model_dir, cfg.provider) != (old.model_dir, old.provider)
        reload_notes = ((cfg.banknote_model_dir, cfg.provider)
                        != (old.banknote_model_dir, old.provider))

        def apply():
            self.host.service.change_settings(self.host.session, settings,
                                              {"model_dir": cfg.model_dir,
                                               "banknote_model_dir": cfg.banknote_model_dir,
                                               "provider": cfg.provider,
                                               "store_path": cfg.store_path,
                                               "idle_timeout_minutes":
                                                   cfg.idle_timeout_minutes})
            self.host.service.set_idle_timeout(self.host.session, cfg.idle_timeout_minutes)
            return save_config(cfg)

        def done(_path) -> None:
            host = self.host
            host.config = cfg
            self.saved.emit(cfg)
            if reload_model:
                host.load_model()
            if reload_notes:
                host.load_banknote_model()
            screen = self
            if cfg.language != old.language:
                host.apply_language(cfg.language)  # this screen is built again, in it
                screen = host.settings_screen
            # (in the language now installed: this screen's own tr may be the old one's)
            screen.saved_label.setText(QCoreApplication.translate("SettingsScreen", "Saved."))
            host.statusBar().showMessage(QCoreApplication.translate(
                "SettingsScreen", "Settings saved."), 10000)

        self.saved_label.clear()
        self.host.run(apply, on_done=done, status=self.tr("Saving settings…"))


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for i, w in enumerate(widgets):
        lay.addWidget(w, 1 if i == 0 else 0)
    return box
