"""Logging in: the first-run / log-in dialog, and the panels a window shows while it is
locked (the same user's password) or logged out (any user logs in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.access.sessions import Session
from desktop.core.branch.service import BranchService
from desktop.core.errors import VerificationError
from desktop.ui.widgets import password_rule_label
from desktop.ui.wording import error_text

if TYPE_CHECKING:
    from desktop.ui.branch_window import BranchWindow


class LoginDialog(QDialog):
    """Log in; on first run (no users) create the administrator instead."""

    shown = Signal()

    def __init__(self, service: BranchService, parent=None) -> None:
        super().__init__(parent)
        self.service = service
        self.session: Session | None = None
        self.first_run = service.needs_first_admin()
        self.setWindowTitle(self.tr("Create the administrator") if self.first_run
                            else self.tr("Log in"))
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
            intro = QLabel(self.tr("First start: create the administrator, who then "
                                   "creates the clerks and operators."))
            intro.setWordWrap(True)
            form.addRow(intro)
        form.addRow(self.tr("User name"), self.user_edit)
        form.addRow(self.tr("Password"), self.password_edit)
        if self.first_run:
            form.addRow(self.tr("Repeat password"), self.confirm_edit)
            self.rule = password_rule_label()  # the rule before it is broken, not after
            form.addRow("", self.rule)
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
                    self.message.setText(self.tr("The two passwords differ."))
                    return
                self.session = self.service.create_first_admin(name, password)
            else:
                self.session = self.service.login(name, password)
        except VerificationError as exc:
            self.message.setText(error_text(exc))
            self.password_edit.clear()
            return
        self.accept()


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
        unlock = QPushButton(self.tr("Unlock"))
        unlock.clicked.connect(self._unlock)
        logout = QPushButton(self.tr("Log out / switch user"))
        logout.clicked.connect(window.log_out)
        form = QFormLayout()
        form.addRow(self.tr("Password"), self.password_edit)
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


class SwitchUserPanel(QWidget):
    """What the window shows once a user has logged out: any user logs in here and gets the
    screens of their own role, without the app being started again."""

    def __init__(self, window: BranchWindow) -> None:
        super().__init__()
        self.window_ = window
        title = QLabel(self.tr("Logged out. Log in to go on, or quit."))
        title.setStyleSheet("font-size: 14pt;")
        self.user_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.returnPressed.connect(self.submit)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e;")
        login = QPushButton(self.tr("Log in"))
        login.setDefault(True)
        login.clicked.connect(self.submit)
        quit_button = QPushButton(self.tr("Quit"))
        quit_button.clicked.connect(window.close)
        form = QFormLayout()
        form.addRow(self.tr("User name"), self.user_edit)
        form.addRow(self.tr("Password"), self.password_edit)
        row = QHBoxLayout()
        row.addWidget(login)
        row.addWidget(quit_button)
        row.addStretch(1)
        box = QWidget()
        box.setMaximumWidth(520)
        blay = QVBoxLayout(box)
        blay.addWidget(title)
        blay.addLayout(form)
        blay.addLayout(row)
        blay.addWidget(self.message)
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        lay.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addStretch(2)

    def arm(self) -> None:
        """Empty fields, the cursor in the user name."""
        for edit in (self.user_edit, self.password_edit):
            edit.clear()
        self.message.clear()
        self.user_edit.setFocus()

    def submit(self) -> None:
        """Check the credentials in the core (as the log-in dialog does)."""
        name, password = self.user_edit.text(), self.password_edit.text()
        self.password_edit.clear()
        try:
            session = self.window_.service.login(name, password)
        except VerificationError as exc:
            self.message.setText(error_text(exc))
            return
        self.window_.start_session(session)
