"""Settings → Users… (administrators): the accounts, adding one, disabling one, giving
one a new password, and after how long without use the window locks (issue 12;
services/accounts.py does the work, as `itp-monitor users` does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.domain.vocab import Role
from itp_monitor.gui.widgets.secret import secret_field
from itp_monitor.services.accounts import (
    IDLE_MINUTES,
    MAX_IDLE_MINUTES,
    MIN_PASSWORD,
    AccountRefused,
    AccountService,
)
from itp_monitor.services.errors import StorageFailure

if TYPE_CHECKING:
    from itp_monitor.gui.main_window import MainWindow

TITLE = "Users"
COLUMNS = ("Name", "Role", "State")


class PasswordDialog(QDialog):
    """A new account (name, role, password twice), or a new password for one."""

    def __init__(self, parent: QWidget, *, name: str | None = None, first: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("account_form")
        self.setWindowTitle("New password" if name else "Add an account")
        form = QFormLayout(self)
        self.name = QLineEdit(name or "")
        self.name.setObjectName("name")
        self.name.setReadOnly(name is not None)
        self.role = QComboBox()
        self.role.setObjectName("role")
        for role in Role:
            self.role.addItem(role.label, role)
        if first:  # the first account must be an administrator's
            self.role.setCurrentIndex(self.role.findData(Role.ADMIN))
            self.role.setEnabled(False)
            self.role.setToolTip("The first account is an administrator's: it manages the rest")
        self.password = secret_field("password", f"at least {MIN_PASSWORD} characters")
        self.again = secret_field("password_again")
        form.addRow("&Name:", self.name)
        if name is None:
            form.addRow("&Role:", self.role)
        form.addRow("&Password:", self.password)
        form.addRow("&Again:", self.again)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class UsersDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("users")
        self.setWindowTitle(TITLE)
        self.resize(620, 420)
        self.accounts: AccountService = window.services.accounts
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Once an account exists, everyone signs in, and the audit trail names the account. "
            "A nurse or midwife records, corrects and voids; a doctor also sets the protocol "
            "and the laboratory codes; an administrator also manages accounts, encrypts the "
            "database and restores backups."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("accounts")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.add_button = QPushButton("&Add…")
        self.add_button.setObjectName("add")
        self.disable_button = QPushButton("&Disable")
        self.disable_button.setObjectName("disable")
        self.reset_button = QPushButton("New &password…")
        self.reset_button.setObjectName("reset")
        for button in (self.add_button, self.disable_button, self.reset_button):
            button.setAutoDefault(False)  # Enter in the minutes box opens nothing
            row.addWidget(button)
        row.addStretch()
        row.addWidget(QLabel("Lock the window after"))
        self.idle = QSpinBox()
        self.idle.setObjectName("idle_minutes")
        self.idle.setRange(1, MAX_IDLE_MINUTES)
        self.idle.setSuffix(" min without use")
        row.addWidget(self.idle)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.add_button.clicked.connect(self.add)
        self.disable_button.clicked.connect(self.disable)
        self.reset_button.clicked.connect(self.reset)
        self.shown_idle = IDLE_MINUTES
        self.show_accounts()
        self.idle.editingFinished.connect(self.set_idle)

    def show_accounts(self) -> None:
        found = self.accounts.listed()
        now_utc = self.accounts.now_utc()
        self.table.setRowCount(len(found))
        for r, account in enumerate(found):
            state = "active" if account.active else "disabled"
            if account.locked_at(now_utc):
                state += ", locked"
            for c, text in enumerate((account.name, account.role.label, state)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.shown_idle = self.accounts.idle_minutes()
        self.idle.setValue(self.shown_idle)

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        item = self.table.item(rows[0].row(), 0) if rows else None
        return item.text() if item is not None else None

    def _done(self, action: str, work: object) -> None:
        del work
        self.show_accounts()
        self.parent_window().statusBar().showMessage(action, 10_000)

    def parent_window(self) -> MainWindow:
        parent = self.parent()
        assert parent is not None
        return parent  # type: ignore[return-value]

    def _refused(self, error: Exception) -> None:
        text = f"{error}; {error.advice}" if isinstance(error, StorageFailure) else str(error)
        QMessageBox.warning(self, TITLE, f"Not done: {text}.")

    def add(self) -> None:
        first = not self.accounts.listed()
        form = PasswordDialog(self, first=first)
        if form.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            if form.password.text() != form.again.text():
                raise AccountRefused("the two passwords differ")
            role = Role(form.role.currentData())  # Qt hands back the role's text
            done = self.accounts.add(form.name.text(), role, form.password.text())
            if first:  # whoever made it is its administrator: signed in, to add the rest
                signed = self.accounts.sign_in(done.name, form.password.text())
                self.parent_window().signing.began(signed)
        except (AccountRefused, StorageFailure) as e:
            self._refused(e)
            return
        self._done(f"Added {done.name}, {done.role.label}", done)

    def disable(self) -> None:
        name = self.selected()
        if name is None:
            return
        try:
            done = self.accounts.disable(name)
        except (AccountRefused, StorageFailure) as e:
            self._refused(e)
            return
        self._done(f"Disabled {done.name}", done)

    def reset(self) -> None:
        name = self.selected()
        if name is None:
            return
        form = PasswordDialog(self, name=name)
        if form.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            if form.password.text() != form.again.text():
                raise AccountRefused("the two passwords differ")
            done = self.accounts.reset(name, form.password.text())
        except (AccountRefused, StorageFailure) as e:
            self._refused(e)
            return
        self._done(f"{done.name} has a new password", done)

    def set_idle(self) -> None:
        if self.idle.value() == self.shown_idle:
            return
        try:
            self.accounts.set_idle_minutes(self.idle.value())
        except (AccountRefused, StorageFailure) as e:
            self._refused(e)
            self.idle.setValue(self.shown_idle)
            return
        self.shown_idle = self.idle.value()


def show_users(window: MainWindow) -> None:
    UsersDialog(window).exec()
    window.signing.start_if_needed()  # the first account was just added: sign in now
