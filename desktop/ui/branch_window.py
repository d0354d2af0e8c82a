"""The branch window: one tab per screen the user's role allows, the menus, the idle lock
and switching user (the log-in dialog and panels are in login.py)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
)

from desktop.core.access.sessions import Session
from desktop.core.banknote.model import BanknoteModel
from desktop.core.branch.config import AppConfig
from desktop.core.branch.key_admin import record_found_keys
from desktop.core.branch.service import BranchService
from desktop.core.errors import VerificationError
from desktop.core.paths import default_signature_model
from desktop.core.signature.verification import SignatureVerifier
from desktop.ui.audit_screen import AuditScreen
from desktop.ui.banknote_enroll_screen import BanknoteEnrollScreen
from desktop.ui.banknote_screen import BanknoteScreen
from desktop.ui.check_screen import CheckScreen
from desktop.ui.enroll_screen import EnrollScreen
from desktop.ui.login import LockPanel, SwitchUserPanel
from desktop.ui.settings_screen import SettingsScreen
from desktop.ui.users_screen import UsersScreen, role_name
from desktop.ui.widgets import elided, fit_to_screen, show_model_status
from desktop.ui.wording import (
    error_text,
    provider_status,
    provider_text,
    signer_short,
    signer_text,
)
from desktop.ui.workers import BackgroundHost, TaskRunner

IDLE_CHECK_MS = 15_000  # how often the idle lock looks at the clock
KEEP_ALIVE_S = 30  # at most this often a key or a click tells the core the user is there
ACTIVITY_EVENTS = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel)
# The window's attributes that hold a screen: the F1 help is looked up by these (tab titles
# are translated).
SCREEN_ATTRIBUTES = ("check_screen", "banknote_screen", "enroll_screen",
                     "banknote_enroll_screen", "audit_screen", "users_screen", "settings_screen")


class BranchWindow(BackgroundHost, QMainWindow):
    """Tabs for the logged-in user's role; long work on the worker pool."""

    model_ready = Signal(object)
    banknote_model_ready = Signal(object)
    banknote_model_failed = Signal(str)
    error_shown = Signal(str)
    locked_changed = Signal(bool)
    error_title = QT_TRANSLATE_NOOP("BackgroundHost", "Cannot do that")

    def __init__(self, service: BranchService, session: Session, config: AppConfig) -> None:
        super().__init__()
        self.service, self.session, self.config = service, session, config
        self.logged_in = True
        fit_to_screen(self, 1280, 820)
        self.runner = TaskRunner(self)
        self.tabs = QTabWidget()
        self.lock_panel = LockPanel(self)
        self.login_panel = SwitchUserPanel(self)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.tabs)
        self.pages.addWidget(self.lock_panel)
        self.pages.addWidget(self.login_panel)
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
        self.status_provider = QLabel(self.tr("Loading model…"))
        self.status_banknotes = QLabel("")
        self.status_store = QLabel()
        self._word_store()
        self.statusBar().addPermanentWidget(self.status_store)
        self.statusBar().addPermanentWidget(self.status_provider)
        self.statusBar().addPermanentWidget(self.status_banknotes)
        self.add_busy_indicator()
        self._build_menus()
        self._build_screens()
        self.load_model()
        self.load_banknote_model()

    def _word_store(self) -> None:
        """The store in the status bar: its location cut in the middle (a long path would
        squeeze the status messages), whole in the tooltip."""
        location = self.service.store.location
        self.status_store.setText(self.tr("Store: {location}").format(
            location=elided(location, self.status_store, 260)))
        self.status_store.setToolTip(location)

    def _build_menus(self) -> None:
        """File (open, scan, log out, quit) and Help, with the usual shortcuts."""
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.open_action = file_menu.addAction(self.tr("&Open…"))
        self.open_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_action.triggered.connect(lambda: self._on_screen("open_file"))
        self.scan_action = file_menu.addAction(self.tr("&Scan"))
        self.scan_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.scan_action.triggered.connect(lambda: self._on_screen("scan"))
        file_menu.addSeparator()
        self.logout_action = file_menu.addAction(self.tr("&Log out / switch user"))
        self.logout_action.setShortcut(QKeySequence("Ctrl+L"))
        self.logout_action.triggered.connect(self.log_out)
        quit_action = file_menu.addAction(self.tr("&Quit"))
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.help_action = help_menu.addAction(self.tr("&Help for this screen"))
        self.help_action.setShortcut(QKeySequence("F1"))
        self.help_action.triggered.connect(self.show_help)
        about = help_menu.addAction(self.tr("&About"))
        about.triggered.connect(self.show_about)

    def _build_screens(self) -> None:
        """The tabs the session's role allows (built again for each user who logs in)."""
        session = self.session
        self.setWindowTitle(self.tr("Signature and banknote verification — {user} ({role})")
                            .format(user=session.username, role=role_name(session.role)))
        self._replace_tabs()
        self.check_screen = self.enroll_screen = self.audit_screen = None
        self.users_screen = self.settings_screen = None
        self.banknote_screen = self.banknote_enroll_screen = None
        if session.can("verify"):
            self.check_screen = CheckScreen(self)
            self.tabs.addTab(self.check_screen, self.tr("Cheque check"))
            self.banknote_screen = BanknoteScreen(self)
            self.tabs.addTab(self.banknote_screen, self.tr("Banknotes"))
        if session.can("enroll"):
            self.enroll_screen = EnrollScreen(self)
            self.tabs.addTab(self.enroll_screen, self.tr("Enrollment"))
            self.banknote_enroll_screen = BanknoteEnrollScreen(self)
            self.tabs.addTab(self.banknote_enroll_screen, self.tr("Banknote references"))
        if session.can("view_audit"):
            self.audit_screen = AuditScreen(self)
            self.tabs.addTab(self.audit_screen, self.tr("Audit log"))
        if session.can("manage_users"):
            self.users_screen = UsersScreen(self)
            self.tabs.addTab(self.users_screen, self.tr("Users"))
        if session.can("settings"):
            self.settings_screen = SettingsScreen(self)
            self.tabs.addTab(self.settings_screen, self.tr("Settings"))
        self.tabs.currentChanged.connect(self._update_actions)
        self.pages.setCurrentWidget(self.tabs)
        self._update_actions()
        if self.users_screen:
            self.users_screen.refresh()
        if self.audit_screen:
            self.audit_screen.refresh()

    def _replace_tabs(self) -> None:
        """An empty tab widget in place of the current one (whose screens are deleted)."""
        old, self.tabs = self.tabs, QTabWidget()
        self.pages.insertWidget(0, self.tabs)
        self.pages.removeWidget(old)
        old.deleteLater()

    def _on_screen(self, method: str) -> None:
        """Run ``method`` of the screen on show (File > Open / Scan), when it has one."""
        fn = getattr(self.tabs.currentWidget(), method, None)
        if callable(fn) and not self.locked and self.logged_in:
            fn()

    def _update_actions(self) -> None:
        screen = self.tabs.currentWidget()
        usable = self.logged_in and not self.locked
        self.open_action.setEnabled(usable and hasattr(screen, "open_file"))
        self.scan_action.setEnabled(usable and hasattr(screen, "scan"))
        self.logout_action.setEnabled(self.logged_in)

    def show_help(self) -> None:
        """What the screen on show is for and how to use it (F1), with the shortcuts."""
        from desktop.ui.help import help_html

        screen = self.tabs.currentWidget() if self.logged_in and not self.locked else None
        key = next((name for name in SCREEN_ATTRIBUTES
                    if screen is not None and getattr(self, name, None) is screen), "")
        title = self.tabs.tabText(self.tabs.currentIndex()) if key else ""
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Help"), help_html(key, title),
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.open()
        self.help_box = box

    def show_about(self) -> None:
        """The app's version and the models in use."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            ver = version("sigdesk")
        except PackageNotFoundError:
            ver = self.tr("development copy")
        models = [self.tr("Signature model: {model}").format(
            model=self.service.model_id or self.tr("not loaded"))]
        if self.service.notes.model is not None:
            models.append(self.tr("Banknote model: {model}").format(
                model=self.service.notes.model.model_id))
        QMessageBox.about(self, self.tr("About"),
                          self.tr("Signature and banknote verification {version}").format(
                              version=ver) + "\n\n" + "\n".join(models) + "\n"
                          + self.tr("Store: {location}").format(
                              location=self.service.store.location))

    def apply_language(self, language: str) -> None:
        """Show the window in ``language`` now (Settings): the translators are swapped and the
        menus, panels and screens built again for the same session, as a log-in builds them
        (what was typed on the other screens is cleared; the Settings screen stays on show)."""
        from desktop.startup import install_translations

        self._finish_work()
        install_translations(QApplication.instance(), language)
        for menu in self.menuBar().findChildren(QMenu):
            menu.setParent(None)  # gone from the window now, deleted when Qt gets to it
            menu.deleteLater()
        self.menuBar().clear()
        self._build_menus()
        self.word_cancel_button()
        self._word_store()
        lock, login = LockPanel(self), SwitchUserPanel(self)
        for old, new in ((self.lock_panel, lock), (self.login_panel, login)):
            self.pages.insertWidget(self.pages.indexOf(old), new)
            self.pages.removeWidget(old)
            old.deleteLater()
        self.lock_panel, self.login_panel = lock, login
        self._build_screens()
        if self.service.verifier is not None:
            self._model_loaded(self.service.verifier)
        if self.service.notes.model is not None:
            self._banknote_model_loaded(self.service.notes.model)
        if self.settings_screen is not None:
            self.tabs.setCurrentWidget(self.settings_screen)

    # ---- log out / switch user -------------------------------------------------------------
    def _finish_work(self) -> None:
        """Cancel what can be cancelled, wait for the rest and deliver its reports, so that
        nothing arrives at a screen that is gone."""
        self.cancel_running()
        self.runner.wait(30000)
        QApplication.processEvents()

    def log_out(self) -> None:
        """End this user's session and show the log-in panel; the window stays open and the
        next user gets the screens of their own role."""
        if not self.logged_in:
            return
        self._finish_work()
        self.service.logout(self.session)
        self.logged_in = False
        self._replace_tabs()  # nothing of the last user stays on screen
        self.setWindowTitle(self.tr("Signature and banknote verification — logged out"))
        self.login_panel.arm()
        self.pages.setCurrentWidget(self.login_panel)
        self._update_actions()
        self.locked_changed.emit(True)

    def start_session(self, session: Session) -> None:
        """A user logged in on the log-in panel: build their screens."""
        self.session, self.logged_in = session, True
        self.last_activity = self._kept_alive = time.monotonic()
        self._build_screens()
        if self.service.verifier is not None:
            self._model_loaded(self.service.verifier)
        if self.service.notes.model is not None:
            self._banknote_model_loaded(self.service.notes.model)
        self.locked_changed.emit(False)

    def load_model(self) -> None:
        """(Re)load the signature model with the configured folder and provider."""
        folder = Path(self.config.model_dir) if self.config.model_dir else \
            default_signature_model()
        self.status_provider.setText(self.tr("Loading model…"))
        self.run(self._open_model, folder, self.config.provider, on_done=self._model_loaded,
                 status=self.tr("Loading model from {folder}…").format(folder=folder))

    def _open_model(self, folder: Path, provider: str) -> SignatureVerifier:
        """On a worker: the model, and the administrator's keys first trusted now audited."""
        verifier = SignatureVerifier(folder, provider)
        record_found_keys(self.service, self.session)
        return verifier

    def _model_loaded(self, verifier: SignatureVerifier) -> None:
        self.service.verifier = verifier
        if self.service.settings.method not in verifier.methods():
            self.show_error(self.tr("The model does not offer the {method} method; using "
                                    "distance.").format(method=self.service.settings.method))
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
            screen.model_state(self.tr("Banknote model: loading from {folder}…").format(
                folder=folder), "loading")
        self.status_banknotes.setText(self.tr("Loading banknote model…"))
        self.busy.show()
        notes, provider = self.service.notes, self.config.provider
        self.runner.start(lambda: notes.warm_up(BanknoteModel(folder, provider)),
                          on_done=self._banknote_model_loaded,
                          on_failed=self._banknote_model_failed)

    def _banknote_model_loaded(self, model: BanknoteModel) -> None:
        self._idle()
        self.service.notes.model = model
        m = model.manifest
        shipped = len({(c.currency, c.denomination) for c in m.classes})
        text = " · ".join([
            self.tr("Banknote model {model}").format(model=model.model_id),
            provider_status(model.provider),
            self.tr("%n denominations shipped", "", shipped),
            self.tr("suspect beyond the calibrated distance (target false alarm {rate})")
            .format(rate=f"{m.target_false_alarm:.0%}")])
        signer = m.signer
        self.status_banknotes.setText(self.tr("Banknotes {model} · {signer}").format(
            model=model.model_id, signer=signer_short(signer)))
        self.status_banknotes.setToolTip(f"{signer_text(signer)}\n"
                                         f"{provider_text(model.provider)}")
        for screen in self._banknote_screens():
            screen.model_state(text, "ready")
        self.banknote_model_ready.emit(model)

    def _banknote_model_failed(self, message: str) -> None:
        self._idle()
        self.status_banknotes.setText(self.tr("No banknote model"))
        self.status_banknotes.setToolTip(message)
        for screen in self._banknote_screens():
            screen.model_state(self.tr("The banknote model cannot be used, so banknotes "
                                       "cannot be checked (cheques still can): {message}")
                               .format(message=message), "failed")
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
        """Whether the lock panel (or, logged out, the log-in panel) hides the screens."""
        return self.pages.currentWidget() in (self.lock_panel, self.login_panel)

    def check_idle(self) -> None:
        """Lock when idle past the timeout (not while work the user started still runs)."""
        idle = time.monotonic() - self.last_activity
        if not self.locked and not self.runner.busy() and \
                idle >= self.service.idle_timeout.total_seconds():
            self.lock()

    def lock(self) -> None:
        """Hide every screen; only the same user's password (or logging out) goes on."""
        minutes = self.service.idle_timeout.total_seconds() / 60
        self.lock_panel.arm(self.tr("Locked after {minutes} minutes without use. {user}, "
                                    "enter your password to go on.")
                            .format(minutes=f"{minutes:g}", user=self.session.username))
        self.pages.setCurrentWidget(self.lock_panel)
        self._update_actions()
        self.locked_changed.emit(True)

    def unlock(self, password: str) -> None:
        """Check the password in the core; a new session replaces the idle one."""
        try:
            self.session = self.service.unlock(self.session, password)
        except VerificationError as exc:
            self.lock_panel.message.setText(error_text(exc))
            return
        self.last_activity = time.monotonic()
        self.pages.setCurrentWidget(self.tabs)
        self._update_actions()
        self.locked_changed.emit(False)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Finish running tasks, then end the session."""
        self.idle_timer.stop()
        QApplication.instance().removeEventFilter(self)
        self.runner.wait(10000)
        if self.logged_in:
            self.service.logout(self.session)
        super().closeEvent(event)
