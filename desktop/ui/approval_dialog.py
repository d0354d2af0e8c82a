"""The supervisor's approval of paying a cheque the app called forged: the reason and the
supervisor's own name and password, typed by that person at the clerk's PC."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core.branch.decisions import MIN_REASON, ChequeCheck
from desktop.ui.widgets import verdict_text


class ApprovalDialog(QDialog):
    """Accepting a cheque the app called forged: the reason and a supervisor's (or an
    admin's) name and password, entered by that person in this same dialog."""

    def __init__(self, parent: QWidget, check: ChequeCheck, reason: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Supervisor approval needed"))
        intro = QLabel(self.tr("The app called {name} <b>{verdict}</b>. Paying it needs a reason "
                               "of at least {min} characters and the approval of a supervisor "
                               "or an admin, who enters their own name and password here. "
                               "Both names go into the audit log.")
                       .format(name=Path(check.cheque_path).name,
                               verdict=verdict_text(check.result.decision), min=MIN_REASON))
        intro.setWordWrap(True)
        self.reason_edit = QLineEdit(reason)
        self.user_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(self.tr("Reason"), self.reason_edit)
        form.addRow(self.tr("Supervisor"), self.user_edit)
        form.addRow(self.tr("Password"), self.password_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Approve and pay"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def reason(self) -> str:
        """The reason typed."""
        return self.reason_edit.text()

    def approver(self) -> tuple[str, str]:
        """The supervisor's (name, password); the service checks them."""
        return self.user_edit.text(), self.password_edit.text()
