"""The branch app: a login dialog, then one tab per screen the user's role allows."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.access.sessions import Session
from desktop.core.banknote.model import BanknoteModel
from desktop.core.branch.config import AppConfig
from desktop.core.branch.service import BranchService
from desktop.core.errors import VerificationError
from desktop.core.models.keys import describe_signer
from desktop.core.paths import default_signature_model
from desktop.core.signature.verification import SignatureVerifier
from desktop.ui.audit_screen import AuditScreen
from desktop.ui.banknote_enroll_screen import BanknoteEnrollScreen
from desktop.ui.banknote_screen import BanknoteScreen
from desktop.ui.check_screen import CheckScreen
from desktop.ui.enroll_screen import EnrollScreen
from desktop.ui.settings_screen import SettingsScreen
from desktop.ui.users_screen import UsersScreen
from desktop.ui.widgets import show_model_status
from desktop.ui.workers import BackgroundHost, TaskRunner

IDLE_CHECK_MS = 15_000  # how often the idle lock looks at the clock
KEEP_ALIVE_S = 30  # at most this often a key or a click tells the core the user is there
ACTIVITY_EVENTS = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel)


class LoginDialog(QDialog):
    """Log in; on first run (no users) create the administrator instead."""

    shown = Signal()

    def __init__(self, service: BranchService, parent=None) -> None:
        super().__init__(parent)
        self.service = service
        self.session: Session | None = None
        self.first_run = service.needs_first_admin()
        self.setWindowTitle("Create the administrator" if self.first_run else "Log in")
        self.user_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e;")
        form = QFormLayout()
        if self.first_run:
            intro = QLabel("First start: create the administrator, who then creates the "
                           "clerks and operators.")
            intro.setWordWrap(True)
            form.addRow(intro)
        form.addRow("User name", self.user_edit)
        form.addRow("Password", self.password_edit)
        if self.first_run:
            form.addRow("Repeat password", self.confirm_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addWidget(buttons)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Tell ``--exit-when-ready`` (and tests) that the dialog is on screen."""
        super().showEvent(event)
        self.shown.emit()

    def submit(self) -> None:
        """Check the credentials (scrypt takes about 70 ms: fine on the GUI thread)."""
        name, password = self.user_edit.text(), self.password_edit.text()
        try:
            if self.first_run:
                if password != self.confirm_edit.text():
                    self.message.setText("The two passwords differ.")
                    return
                self.session = self.service.create_first_admin(name, password)
            else:
                self.session = self.service.login(name, password)
        except VerificationError as exc:
            self.message.setText(str(exc))
            self.password_edit.clear()
            return
        self.accept()


class BranchWindow(BackgroundHost, QMainWindow):
    """Tabs for the logged-in user's role; long work on the worker pool."""

    model_ready = Signal(object)
    banknote_model_ready = Signal(object)
    banknote_model_failed = Signal(str)
    error_shown = Signal(str)
    locked_changed = Signal(bool)
    error_title = "Cannot do that"

    def __init__(self, service: BranchService, session: Session, config: AppConfig) -> None:
        super().__init__()
        self.service, self.session, self.config = service, session, config
        self.setWindowTitle(f"Signature and banknote verification — {session.username} "
                            f"({session.role})")
        self.resize(1280, 820)
        self.runner = TaskRunner(self)
        self.tabs = QTabWidget()
        self.lock_panel = LockPanel(self)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.tabs)
        self.pages.addWidget(self.lock_panel)
        self.setCentralWidget(self.pages)
        # Idle lock: after the configured minutes without a key or a click the window hides
        # everything and asks for the password (the core ends the idle session by itself).
        self.service.idle_timeout = timedelta(minutes=config.idle_timeout_minutes)
        self.last_activity = self._kept_alive = time.monotonic()
        self.idle_timer = QTimer(self)
        self.idle_timer.setInterval(IDLE_CHECK_MS)
        self.idle_timer.timeout.connect(self.check_idle)
        self.idle_timer.start()
        QApplication.instance().installEventFilter(self)
        self.check_screen = self.enroll_screen = self.audit_screen = None
        self.users_screen = self.settings_screen = None
        self.banknote_screen = self.banknote_enroll_screen = None
        if session.can("verify"):
            self.check_screen = CheckScreen(self)
            self.tabs.addTab(self.check_screen, "Cheque check")
            self.banknote_screen = BanknoteScreen(self)
            self.tabs.addTab(self.banknote_screen, "Banknotes")
        if session.can("enroll"):
            self.enroll_screen = EnrollScreen(self)
            self.tabs.addTab(self.enroll_screen, "Enrollment")
            self.banknote_enroll_screen = BanknoteEnrollScreen(self)
            self.tabs.addTab(self.banknote_enroll_screen, "Banknote references")
        if session.can("view_audit"):
            self.audit_screen = AuditScreen(self)
            self.tabs.addTab(self.audit_screen, "Audit log")
        if session.can("manage_users"):
            self.users_screen = UsersScreen(self)
            self.tabs.addTab(self.users_screen, "Users")
        if session.can("settings"):
            self.settings_screen = SettingsScreen(self)
            self.tabs.addTab(self.settings_screen, "Settings")
        self.status_provider = QLabel("Loading model…")
        self.status_banknotes = QLabel("")
        self.statusBar().addPermanentWidget(QLabel(f"Store: {service.store.location}"))
        self.statusBar().addPermanentWidget(self.status_provider)
        self.statusBar().addPermanentWidget(self.status_banknotes)
        self.add_busy_indicator()
        if self.users_screen:
            self.users_screen.refresh()
        if self.audit_screen:
            self.audit_screen.refresh()
        self.load_model()
        self.load_banknote_model()

    def load_model(self) -> None:
        """(Re)load the signature model with the configured folder and provider."""
        folder = Path(self.config.model_dir) if self.config.model_dir else \
            default_signature_model()
        self.status_provider.setText("Loading model…")
        self.run(SignatureVerifier, folder, self.config.provider, on_done=self._model_loaded,
                 status=f"Loading model from {folder}…")

    def _model_loaded(self, verifier: SignatureVerifier) -> None:
        self.service.verifier = verifier
        if self.service.settings.method not in verifier.methods():
            self.show_error(f"The model does not offer the {self.service.settings.method} "
                            "method; using distance.")
            self.service.settings = type(self.service.settings)(
                "distance", self.service.settings.target_far, self.service.settings.zone)
        show_model_status(self.status_provider, verifier)
        if self.settings_screen:
            self.settings_screen.model_loaded(verifier)
        self.model_ready.emit(verifier)

    def _banknote_screens(self) -> list:
        return [s for s in (self.banknote_screen, self.banknote_enroll_screen) if s]

    def load_banknote_model(self) -> None:
        """(Re)load the banknote model in the background. A failure is shown on the banknote
        tabs only: cheques and signatures work without it."""
        if not self._banknote_screens():
            return
        folder = self.config.banknote_model_location()
        for screen in self._banknote_screens():
            screen.model_state(f"Banknote model: loading from {folder}…", "loading")
        self.status_banknotes.setText("Loading banknote model…")
        self.busy.show()
        notes, provider = self.service.notes, self.config.provider
        self.runner.start(lambda: notes.warm_up(BanknoteModel(folder, provider)),
                          on_done=self._banknote_model_loaded,
                          on_failed=self._banknote_model_failed)

    def _banknote_model_loaded(self, model: BanknoteModel) -> None:
        self._idle()
        self.service.notes.model = model
        m = model.manifest
        text = (f"Banknote model {model.model_id} · {model.provider.status} · "
                f"{len({(c.currency, c.denomination) for c in m.classes})} denominations "
                f"shipped · suspect beyond the calibrated distance (target false alarm "
                f"{m.target_false_alarm:.0%})")
        signer = m.signer
        self.status_banknotes.setText(f"Banknotes {model.model_id} · "
                                      f"{signer.short() if signer else 'unsigned'}")
        self.status_banknotes.setToolTip(f"{describe_signer(signer)}\n"
                                         f"{model.provider.describe()}")
        for screen in self._banknote_screens():
            screen.model_state(text, "ready")
        self.banknote_model_ready.emit(model)

    def _banknote_model_failed(self, message: str) -> None:
        self._idle()
        self.status_banknotes.setText("No banknote model")
        self.status_banknotes.setToolTip(message)
        for screen in self._banknote_screens():
            screen.model_state(f"The banknote model cannot be used, so banknotes cannot be "
                               f"checked (cheques still can): {message}", "failed")
        self.banknote_model_failed.emit(message)

    # ---- idle lock --------------------------------------------------------------------------
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        """A key or a click anywhere in the app counts as activity (nothing is consumed)."""
        if event.type() in ACTIVITY_EVENTS and not self.locked:
            now = time.monotonic()
            if now - self._kept_alive > KEEP_ALIVE_S:  # the core's idle clock too
                self.service.keep_alive(self.session)
                self._kept_alive = now
            self.last_activity = now
        return False

    @property
    def locked(self) -> bool:
        """Whether the lock panel is shown instead of the screens."""
        return self.pages.currentWidget() is self.lock_panel

    def check_idle(self) -> None:
        """Lock when idle past the timeout (not while work the user started still runs)."""
        idle = time.monotonic() - self.last_activity
        if not self.locked and not self.runner.busy() and \
                idle >= self.service.idle_timeout.total_seconds():
            self.lock()

    def lock(self) -> None:
        """Hide every screen; only the same user's password (or logging out) goes on."""
        minutes = self.service.idle_timeout.total_seconds() / 60
        self.lock_panel.arm(f"Locked after {minutes:g} minutes without use. "
                            f"{self.session.username}, enter your password to go on.")
        self.pages.setCurrentWidget(self.lock_panel)
        self.locked_changed.emit(True)

    def unlock(self, password: str) -> None:
        """Check the password in the core; a new session replaces the idle one."""
        try:
            self.session = self.service.unlock(self.session, password)
        except VerificationError as exc:
            self.lock_panel.message.setText(str(exc))
            return
        self.last_activity = time.monotonic()
        self.pages.setCurrentWidget(self.tabs)
        self.locked_changed.emit(False)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Finish running tasks, then end the session."""
        self.idle_timer.stop()
        QApplication.instance().removeEventFilter(self)
        self.runner.wait(10000)
        self.service.logout(self.session)
        super().closeEvent(event)


class LockPanel(QWidget):
    """What a locked window shows: who it belongs to, a password field, and log out."""

    def __init__(self, window: BranchWindow) -> None:
        super().__init__()
        self.window_ = window
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setStyleSheet("font-size: 14pt;")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.returnPressed.connect(self._unlock)
        self.message = QLabel("")
        self.message.setStyleSheet("color: #b3261e;")
        unlock = QPushButton("Unlock")
        unlock.clicked.connect(self._unlock)
        logout = QPushButton("Log out")
        logout.clicked.connect(window.close)
        form = QFormLayout()
        form.addRow("Password", self.password_edit)
        row = QHBoxLayout()
        row.addWidget(unlock)
        row.addWidget(logout)
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        lay.addWidget(self.text)
        lay.addLayout(form)
        lay.addLayout(row)
        lay.addWidget(self.message)
        lay.addStretch(2)

    def arm(self, text: str) -> None:
        """Show ``text`` and an empty password field."""
        self.text.setText(text)
        self.message.clear()
        self.password_edit.clear()
        self.password_edit.setFocus()

    def _unlock(self) -> None:
        password = self.password_edit.text()
        self.password_edit.clear()
        self.window_.unlock(password)
