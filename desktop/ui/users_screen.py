"""The admin's users screen: create users, reset passwords, change roles, remove and
restore users."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.access import auth
from desktop.ui.widgets import password_rule_label
from desktop.ui.wording import worded


def role_name(role: str) -> str:
    """The role code ``role`` as shown to users (the code itself when it is not known)."""
    return worded(auth.role_word(role))


def _role_box() -> QComboBox:
    """The roles by their shown names, each with its code as the item's data."""
    box = QComboBox()
    for role in auth.PERMISSIONS:
        box.addItem(role_name(role), role)
    return box


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
        self.table.setHorizontalHeaderLabels([self.tr("User"), self.tr("Role"),
                                              self.tr("State")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.currentCellChanged.connect(lambda *_: self._selection_changed())
        self.name_edit = QLineEdit()
        self.role_box = _role_box()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        create = QPushButton(self.tr("Create user"))
        create.clicked.connect(lambda: self.create(self.name_edit.text(),
                                                   self.role_box.currentData(),
                                                   self.password_edit.text()))
        reset = QPushButton(self.tr("Set this password for the selected user"))
        reset.clicked.connect(self._reset_selected)
        box = QGroupBox(self.tr("User"))
        form = QFormLayout(box)
        form.addRow(self.tr("Name"), self.name_edit)
        form.addRow(self.tr("Role"), self.role_box)
        form.addRow(self.tr("Password"), self.password_edit)
        form.addRow("", password_rule_label())
        form.addRow(create)
        form.addRow(reset)
        # The selected user: role change, removal, restore.
        self.selected_label = QLabel(self.tr("(select a user in the table)"))
        self.new_role_box = _role_box()
        self.change_role_btn = QPushButton(self.tr("Change role"))
        self.change_role_btn.clicked.connect(
            lambda: self.change_role(self.selected_name(), self.new_role_box.currentData()))
        self.remove_btn = QPushButton(self.tr("Remove user"))
        self.remove_btn.clicked.connect(lambda: self.remove(self.selected_name()))
        self.restore_btn = QPushButton(self.tr("Restore user"))
        self.restore_btn.clicked.connect(lambda: self.restore(self.selected_name()))
        chosen = QGroupBox(self.tr("Selected user"))
        chosen_form = QFormLayout(chosen)
        chosen_form.addRow(self.tr("User"), self.selected_label)
        role_row = QHBoxLayout()
        role_row.addWidget(self.new_role_box, 1)
        role_row.addWidget(self.change_role_btn)
        chosen_form.addRow(self.tr("New role"), role_row)
        chosen_form.addRow(self.remove_btn)
        chosen_form.addRow(self.restore_btn)
        chosen_form.addRow(QLabel(self.tr("A role change or removal ends that user's open "
                                          "sessions at once.")))
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
                      status=self.tr("Reading users…"))

    def _show(self, users) -> None:
        selected = self.selected_name()
        self.users = list(users)
        self.table.setRowCount(len(self.users))
        for row, user in enumerate(self.users):
            if not user.active:
                state = self.tr("removed")
            elif user.locked_until:
                state = self.tr("locked until {time}").format(time=user.locked_until[:16])
            else:
                state = self.tr("active")
            for col, text in enumerate((user.username, role_name(user.role), state)):
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
        if user is None:
            text = self.tr("(select a user in the table)")
        elif user.active:
            text = self.tr("{user} ({role})").format(user=user.username,
                                                     role=role_name(user.role))
        else:
            text = self.tr("{user} ({role}, removed)").format(user=user.username,
                                                              role=role_name(user.role))
        self.selected_label.setText(text)
        index = self.new_role_box.findData(user.role) if user is not None else -1
        if index >= 0:
            self.new_role_box.setCurrentIndex(index)
        active = user is not None and user.active
        self.change_role_btn.setEnabled(active)
        self.remove_btn.setEnabled(active)
        self.restore_btn.setEnabled(user is not None and not user.active)

    def create(self, name: str, role: str, password: str) -> None:
        """Add a user."""
        self.host.run(self.host.service.create_user, self.host.session, name, role, password,
                      on_done=self._done, status=self.tr("Creating the user…"))

    def change_role(self, name: str, role: str) -> None:
        """Give ``name`` the role ``role`` (that user's sessions end)."""
        if not name:
            self.host.show_error(self.tr("Select a user first."))
            return
        self.host.run(self.host.service.change_role, self.host.session, name, role,
                      on_done=self._done, status=self.tr("Changing the role…"))

    def remove(self, name: str) -> None:
        """Remove (deactivate) ``name`` after the admin confirms; the row is kept."""
        if not name:
            self.host.show_error(self.tr("Select a user first."))
            return
        if not self.confirm(self.tr("Remove user"),
                            self.tr("Remove {user}? The user can no longer log in and any "
                                    "open session ends now. Their decisions and audit rows "
                                    "are kept, and an administrator can restore the user "
                                    "later.").format(user=name)):
            return
        self.host.run(self.host.service.remove_user, self.host.session, name,
                      on_done=self._done, status=self.tr("Removing the user…"))

    def restore(self, name: str) -> None:
        """Let a removed user log in again."""
        if not name:
            self.host.show_error(self.tr("Select a user first."))
            return
        self.host.run(self.host.service.restore_user, self.host.session, name,
                      on_done=self._done, status=self.tr("Restoring the user…"))

    def _reset_selected(self) -> None:
        name = self.selected_name()
        if not name:
            self.host.show_error(self.tr("Select a user first."))
            return
        self.host.run(self.host.service.reset_password, self.host.session, name,
                      self.password_edit.text(), on_done=self._done,
                      status=self.tr("Setting password…"))

    def _done(self, _result=None) -> None:
        self.name_edit.clear()
        self.password_edit.clear()
        self.refresh()
        self.changed.emit()
