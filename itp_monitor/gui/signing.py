"""Who is signed in to the window (issue 12): what their role lets them do, the status
bar's "Signed in as", File → Sign out…, and the lock after the window was left alone
(services/accounts.py keeps the accounts; a database with none needs no sign-in)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMenu

from itp_monitor.domain.vocab import Role
from itp_monitor.domain.wording import counted
from itp_monitor.gui.dialogs.help import menu_actions
from itp_monitor.gui.dialogs.sign_in import sign_in
from itp_monitor.services.accounts import AccountInfo

if TYPE_CHECKING:
    from itp_monitor.gui.main_window import MainWindow

# What needs more than a nurse's or midwife's account, by menu path.
NEEDS = {
    "File → Restore from backup…": Role.ADMIN,
    "Settings → The unit's protocol…": Role.DOCTOR,
    "Settings → Laboratory codes…": Role.DOCTOR,
    "Settings → Security…": Role.ADMIN,
    "Settings → Users…": Role.ADMIN,
}
INPUT = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
}
LOOK_EVERY_MS = 15_000


class Signing(QObject):
    def __init__(self, window: MainWindow, account: AccountInfo | None) -> None:
        super().__init__(window)
        self.window = window
        self.account = account
        self.locked = False
        self.label = QLabel("")
        self.label.setObjectName("signed_in")
        window.statusBar().addPermanentWidget(self.label)
        self.last_input = time.monotonic()
        self.timer = QTimer(self)
        self.timer.setInterval(LOOK_EVERY_MS)
        self.timer.timeout.connect(self.look)
        self.timer.start()  # also without accounts: one may be added meanwhile
        self._watching = False
        if account is not None:
            self._watch_input()
        self.show_account()

    def _watch_input(self) -> None:
        app = QApplication.instance()
        if app is not None and not self._watching:
            app.installEventFilter(self)
            self._watching = True

    def start_if_needed(self) -> None:
        """Once the database has an account while nobody is signed in (an administrator
        just added the first, here or elsewhere, or a sync brought them): a sign-in now,
        so that nothing more is recorded under the computer's user."""
        if self.account is not None or self.locked:
            return
        try:
            if not self.window.services.accounts.required():
                return
        except Exception:
            return
        self._ask("This database has accounts now: everyone signs in. ", "")

    @property
    def idle_minutes(self) -> int:
        return self.window.services.accounts.idle_minutes()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT:
            self.last_input = time.monotonic()
        return False

    def look(self) -> None:
        """The timer's slot: locks the window once it was left alone long enough."""
        if self.account is None:
            self.start_if_needed()
            return
        if self.locked:
            return
        if time.monotonic() - self.last_input >= self.idle_minutes * 60:
            minutes = counted(self.idle_minutes, "minute")
            self.lock(f"The window was locked after {minutes} without use. ")

    def sign_out(self) -> None:
        """File → Sign out…: locked at once, for the next person (no name filled in)."""
        self.lock("You signed out. ", keep_name=False)

    def lock(self, why: str = "", *, keep_name: bool = True) -> None:
        """Hides the records and asks for a sign-in: the same account or another one; Quit
        closes the window."""
        if self.account is None or self.locked:
            return
        self._ask(why, self.account.name if keep_name else "")

    def _ask(self, why: str, name: str) -> None:
        """The records hidden and the menus closed while a sign-in is asked; whoever signs
        in carries on, and Quit closes the window."""
        window = self.window
        self.locked = True
        window.pages.setVisible(False)
        window.menuBar().setEnabled(False)
        self.label.setText("Locked: sign in to go on")
        try:
            account = sign_in(
                window.services.accounts,
                window.services.db.location.name(),
                parent=window,
                why=why,
                name=name,
            )
        finally:
            self.locked = False
            self.show_account()
        if account is None:
            window.close()
            return
        self.began(account)
        window.pages.setVisible(True)
        window.menuBar().setEnabled(True)

    def signed_in(self, account: AccountInfo) -> None:
        if self.account is None or account.name != self.account.name:
            self.window.services.act_as(account.name)
        self.account = account
        self.show_account()
        self.apply_roles()

    def show_account(self) -> None:
        self.window.sign_out_action.setVisible(self.account is not None)
        if self.account is None:
            self.label.setVisible(False)
            return
        self.label.setText(f"Signed in as {self.account.name} ({self.account.role.label})")
        self.label.setVisible(True)

    def began(self, account: AccountInfo) -> None:
        """`account` signed in to this window (after the lock, or the first account just
        added here by its administrator): its role applied, the idle time counted."""
        self.signed_in(account)
        self._watch_input()
        self.last_input = time.monotonic()

    def apply_roles(self) -> None:
        """Disables what the account's role may not do, saying why on each (menus show
        their actions' tooltips)."""
        if self.account is None:
            return
        for menu in self.window.menuBar().findChildren(QMenu):
            menu.setToolTipsVisible(True)
        role = self.account.role
        for path, action in menu_actions(self.window):
            needed = NEEDS.get(path)
            if needed is None:
                continue
            if role.may(needed):
                if not action.isEnabled() and action.toolTip().startswith("Needs"):
                    action.setEnabled(self.window.read_only_note is None or path.startswith("File"))
                    action.setToolTip("")
                continue
            article = "an" if needed.label[0] in "aeiou" else "a"
            action.setEnabled(False)
            action.setToolTip(f"Needs the account of {article} {needed.label}")
            action.setStatusTip(action.toolTip())
