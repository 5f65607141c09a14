"""Wiring for the desktop app: open the database, build the services, show the main window."""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from itp_monitor import last_resort
from itp_monitor.bootstrap import (
    KEY_FAILURES,
    forget_key,
    open_problem,
    open_services,
    use_passphrase,
)
from itp_monitor.gui.dialogs import open_failed, passphrase
from itp_monitor.gui.dialogs.sign_in import sign_in
from itp_monitor.gui.main_window import TITLE, MainWindow
from itp_monitor.services.container import Services
from itp_monitor.services.errors import Failure

READABLE_POINT_SIZE = 11
# A save waits this long for another program's write lock, then the form retries on a
# timer: the window never freezes behind a long import.
APP_BUSY_TIMEOUT_MS = 250


def make_application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        # Qt 6 scales for high-DPI screens by itself; keep fractional scales (150 %) exact.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(argv)
    app.setApplicationName(TITLE)
    app.setOrganizationName("ITP Monitor")
    font = QFont(app.font())
    font.setPointSize(max(font.pointSize(), READABLE_POINT_SIZE))
    app.setFont(font)
    return app


class LastResortHook:
    """sys.excepthook for the app: an exception nobody caught (PySide6 hands a slot's
    exceptions here) is logged, and one short box says so, one box at a time; the app
    keeps running."""

    def __init__(self, log: Path | None = None) -> None:
        self.log = log
        self.box: QMessageBox | None = None

    def __call__(
        self,
        kind: type[BaseException],
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        if error is None:
            error = kind()
        said = last_resort.report(error.with_traceback(trace), "what you were doing", self.log)
        if self.box is not None:
            return  # already telling them: this one is in the log
        # No parent: the box outlives whichever window or form raised.
        box = QMessageBox(QMessageBox.Icon.Warning, TITLE, _sentence(said.headline))
        box.setObjectName("last_resort")
        box.setInformativeText(_sentence(said.detail))
        box.finished.connect(self._closed)
        self.box = box
        box.open()  # not exec(): no nested event loop inside the hook

    def _closed(self) -> None:
        if self.box is not None:
            self.box.deleteLater()
        self.box = None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


# Worth trying again once the other program is done, or once space has been freed.
RETRY_HELPS = (Failure.BUSY, Failure.FULL)


def open_for_app(
    db_option: str | None, parent: QWidget | None = None
) -> tuple[Services, Failure | None] | None:
    """The services over the database, after asking what to do each time it cannot be
    opened (another database, read-only, try again, or quit), and why it was opened
    read-only when it was (a read-only file or disk, or a full disk); None when they quit."""
    option, because = db_option, None
    tried = False  # a passphrase typed for this database did not open it
    while True:
        try:
            services = open_services(
                option, busy_timeout_ms=APP_BUSY_TIMEOUT_MS, read_only=because is not None
            )
            return services, because
        except Exception as error:
            problem = open_problem(option, error)
            if problem is None:
                raise
        if problem.failure in KEY_FAILURES:
            typed = passphrase.ask(
                problem.where, wrong=tried and problem.failure is Failure.WRONG_KEY, parent=parent
            )
            if typed is None:
                return None
            if isinstance(typed, str):
                use_passphrase(typed)
                tried = True
                continue
            choice = open_failed.Choice.CHOOSE
        else:
            choice = open_failed.ask(
                problem.what,
                problem.where,
                problem.advice,
                may_read=problem.may_read and because is None,
                may_retry=problem.failure in RETRY_HELPS,
                parent=parent,
            )
        if choice is open_failed.Choice.QUIT:
            return None
        if choice is open_failed.Choice.RETRY:
            continue
        if choice is open_failed.Choice.READ_ONLY:
            because = problem.failure or Failure.READ_ONLY
            continue
        near = problem.path.parent if problem.path is not None else None
        chosen = open_failed.choose_database(parent, near)
        if chosen:
            option, because, tried = chosen, None, False
            forget_key()


def run_app(db_option: str | None) -> int:
    app = make_application(sys.argv)
    hook = LastResortHook()
    previous, sys.excepthook = sys.excepthook, hook
    try:
        opened = open_for_app(db_option)
        if opened is None:
            return 1
        services, because = opened
        try:
            account = None
            if services.accounts.required():
                account = sign_in(services.accounts, services.db.location.name())
                if account is None:
                    return 1
                services.act_as(account.name)
            window = MainWindow(services, read_only_because=because, account=account)
            window.show()
            return app.exec()
        finally:
            services.db.dispose()
    except Exception as error:  # before the window's event loop: nothing to return to
        said = last_resort.report(error, "the app's start")
        box = QMessageBox(QMessageBox.Icon.Critical, TITLE, _sentence(said.headline))
        box.setInformativeText(_sentence(said.detail))
        box.exec()
        return 1
    finally:
        sys.excepthook = previous
