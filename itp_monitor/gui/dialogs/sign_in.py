"""Signing in (issue 12): at start once the database has accounts, and again after the
window was left alone (gui/signing.py). A wrong password is said in the dialog, which
stays open; the account's lock after five is said the same way."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.gui.widgets.secret import secret_field
from itp_monitor.services.accounts import AccountInfo, AccountRefused, AccountService
from itp_monitor.services.errors import StorageFailure

TITLE = "ITP Monitor: sign in"


class SignInDialog(QDialog):
    def __init__(
        self,
        accounts: AccountService,
        where: str,
        *,
        why: str = "",
        name: str = "",
        quit_text: str = "Quit",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sign_in")
        self.setWindowTitle(TITLE)
        self.setMinimumWidth(440)
        self.accounts = accounts
        self.account: AccountInfo | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(f"{why}Sign in to the ward's records in {where}.".strip())
        intro.setObjectName("intro")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit(name)
        self.name.setObjectName("name")
        self.password = secret_field("password")
        form.addRow("&Name:", self.name)
        form.addRow("&Password:", self.password)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020")
        self.problem.setVisible(False)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox()
        self.sign_in_button = buttons.addButton("Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).setText(quit_text)
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        (self.password if name else self.name).setFocus()

    def try_sign_in(self) -> None:
        if not self.name.text().strip():
            self.name.setFocus()
            return
        if not self.password.text():  # Enter after the name: on to the password, no try
            self.password.setFocus()
            return
        try:
            self.account = self.accounts.sign_in(self.name.text(), self.password.text())
        except AccountRefused as e:
            self._say(str(e))
            return
        except StorageFailure as e:
            self._say(f"{e}; {e.advice}")
            return
        self.accept()

    def _say(self, what: str) -> None:
        self.problem.setText(what[:1].upper() + what[1:] + ".")
        self.problem.setVisible(True)
        self.password.clear()
        self.password.setFocus()
        self.adjustSize()  # a lock-out's longer words shown whole


def sign_in(
    accounts: AccountService, where: str, parent: QWidget | None = None, **kw: str
) -> AccountInfo | None:
    """The account signed in, or None when they chose to quit (or to lock again)."""
    dialog = SignInDialog(accounts, where, parent=parent, **kw)
    dialog.exec()
    return dialog.account
