"""The admin's settings screen: model folders, provider, decision method, security level,
store, signature zone, scan folder, idle lock, trusted model-signing keys."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
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
from desktop.core.branch.config import AppConfig, save_config
from desktop.core.branch.decisions import DecisionSettings
from desktop.core.branch.key_admin import add_trusted_key
from desktop.core.models.keys import describe_signer, describe_trust
from desktop.core.models.runtime import PROVIDER_CHOICES, runtime_summary
from desktop.core.signature.cheque import DEFAULT_ZONE, SignatureZone
from desktop.core.store.records import is_postgres_url, url_has_password


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
