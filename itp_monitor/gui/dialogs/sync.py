"""File → Synchronise…: asks where the other database is (a file, say on a USB stick, or the
ward's database server), brings both to the same records (services/sync.py) showing each
step, then says what travelled; or, when it could not, what is wrong and where.

The last location is this computer's (QSettings), never the database's: a laptop's USB
stick is not the ward's. A password in a server's address is not remembered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from PySide6.QtCore import QEventLoop, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import ArgumentError

from itp_monitor import last_resort
from itp_monitor.bootstrap import open_problem
from itp_monitor.domain.wording import counted
from itp_monitor.gui.dialogs.open_failed import choose_database, sentence
from itp_monitor.gui.forms.saving import ERROR_STYLE
from itp_monitor.services.container import Services
from itp_monitor.services.results import EVERYTHING
from itp_monitor.services.sync import SyncOutcome, SyncRefused

if TYPE_CHECKING:
    from itp_monitor.gui.main_window import MainWindow

LOCATION_KEY = "sync/location"
TITLE = "Synchronise"
NOTHING_CHANGED = "Nothing was changed on either side."
EXAMPLE = "/media/usb/ward.sqlite, or postgresql+psycopg://nurse@ward-server/itp"
PANEL = "border: 1px solid #9AA5B1; border-radius: 4px; padding: 8px;"
DONE_STYLE = f"QLabel {{ {PANEL} background: #F3F7FA; }}"
FAILED_STYLE = f"QLabel {{ {PANEL} {ERROR_STYLE} background: #FDF4EF; }}"


def without_password(location: str) -> str:
    """The location as it may be remembered: a database address without its password."""
    if "://" not in location:
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username}@{host}" if parts.username else host
    return urlunsplit(parts._replace(netloc=netloc))


def failure_words(other: str, error: Exception) -> str:
    """Why the sync did not run, what to do, and that neither side changed: never SQL,
    never a traceback (an error nobody foresaw goes to the log)."""
    if isinstance(error, SyncRefused):
        what = sentence(str(error))
    elif isinstance(error, ArgumentError):  # echoed nowhere: the address may hold a password
        what = (
            "The location is neither a file nor a database address this app can use. Give a "
            "file, or an address such as postgresql+psycopg://nurse@ward-server/itp."
        )
    elif (problem := open_problem(other, error)) is not None:
        said = problem.what.removesuffix(" Nothing was changed.")  # said below, of both
        if problem.where not in said:
            said = f"cannot use {problem.where}: {said}"
        what = " ".join(sentence(s) for s in (said, problem.advice) if s)
    else:
        report = last_resort.report(error, "a sync")
        return (
            f"Not synchronised: {sentence(report.line())} "
            "Synchronising again is safe: nothing is copied twice."
        )
    return f"Not synchronised: {what}\n{NOTHING_CHANGED}"


def summary_words(outcome: SyncOutcome) -> str:
    lines = [
        f"Synchronised with {outcome.other_device} ({outcome.other}).",
        f"Sent {counted(outcome.sent, 'record')}, received {counted(outcome.received, 'record')}.",
    ]
    if outcome.accounts_sent or outcome.accounts_received:
        lines.append(
            f"Accounts (new or changed): sent {counted(outcome.accounts_sent, 'account')}, "
            f"received {counted(outcome.accounts_received, 'account')}."
        )
    if outcome.new_conflicts:
        lines.append(f"New: {counted(outcome.new_conflicts, 'conflict')} for staff to settle.")
    if outcome.open_conflicts:
        lines.append(
            f"Open: {counted(outcome.open_conflicts, 'conflict')}, each marked on the ward "
            "board; settle them in View → Conflicts…"
        )
    else:
        lines.append("No conflicts to settle.")
    lines += outcome.notices
    return "\n".join(lines)


class SyncDialog(QDialog):
    """Where the other database is; then each step of the sync; then what travelled."""

    synced = Signal(object)  # the SyncOutcome, as soon as both sides hold it

    def __init__(self, services: Services, settings: QSettings, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.services = services
        self.settings = settings
        self.outcome: SyncOutcome | None = None
        self.conflicts_asked = False  # closed with "Show the conflicts…"
        intro = QLabel(
            f"Brings this database (this device: <b>{services.device.this().name}</b>) and "
            "another one to the same records, both ways. What each lacks it gets, with who "
            "entered it and when; what the two did apart to the same record is shown as a "
            "conflict for staff to settle.<br><br>The other database is a file (on a USB "
            "stick, say, to carry records between a clinic laptop and the ward; a file that "
            "does not exist yet is created) or the ward's database server."
        )
        intro.setWordWrap(True)
        self.location = QLineEdit(str(settings.value(LOCATION_KEY) or ""))
        self.location.setObjectName("location")
        self.location.setPlaceholderText(EXAMPLE)
        self.location.setToolTip(f"A file or a database address, such as {EXAMPLE}")
        self.choose = QPushButton("Choose a file…")
        self.choose.setAutoDefault(False)  # Enter synchronises, whatever has the focus
        self.choose.clicked.connect(self._choose_file)
        row = QHBoxLayout()
        row.addWidget(QLabel("The other database:"))
        row.addWidget(self.location, 1)
        row.addWidget(self.choose)
        remembered = QLabel(
            "Remembered on this computer for next time (a password in an address is not)."
        )
        remembered.setStyleSheet("color: #555;")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the steps are named, not measured
        self.progress.setVisible(False)
        self.step = QLabel("")
        self.step.setObjectName("step")
        self.step.setVisible(False)
        self.summary = QLabel("")
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        self.go = self.buttons.addButton(TITLE, QDialogButtonBox.ButtonRole.ActionRole)
        self.go.setObjectName("synchronise")
        self.go.setDefault(True)  # Enter in the location synchronises
        self.go.clicked.connect(self.synchronise)
        self.show_conflicts = self.buttons.addButton(
            "Show the conflicts…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.show_conflicts.setVisible(False)
        self.show_conflicts.clicked.connect(self._ask_conflicts)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(remembered)
        for widget in (self.progress, self.step, self.summary):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("0" * 90))
        self.location.setFocus()

    def _choose_file(self) -> None:
        typed = self.location.text().strip()
        near = Path(typed).expanduser().parent if typed and "://" not in typed else None
        chosen = choose_database(self, near)
        if chosen:
            self.location.setText(chosen)

    def _ask_conflicts(self) -> None:
        self.conflicts_asked = True
        self.accept()

    def _step(self, step: str) -> None:
        """Each step named as it starts, and drawn: the sync runs on this thread."""
        self.step.setText(f"{step}…")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)

    def _running(self, running: bool) -> None:
        for widget in (self.location, self.choose, self.go, self.close_button):
            widget.setEnabled(not running)
        self.progress.setVisible(running)
        self.step.setVisible(running)

    def _say(self, text: str, style: str = DONE_STYLE) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(style)
        self.summary.setVisible(True)
        self.adjustSize()

    def synchronise(self) -> None:
        other = self.location.text().strip()
        if not other:
            self._say(
                f"Say where the other database is: a file, or an address. {EXAMPLE}.",
                FAILED_STYLE,
            )
            return
        self.summary.setVisible(False)
        self._running(True)
        try:
            outcome = self.services.sync.sync(other, self._step)
        except Exception as e:
            self._say(failure_words(other, e), FAILED_STYLE)
            return
        finally:
            self.step.setText("")
            self._running(False)
        self.outcome = outcome
        self.settings.setValue(LOCATION_KEY, without_password(other))
        self._say(summary_words(outcome))
        self.go.setVisible(False)
        self.location.setEnabled(False)
        self.choose.setEnabled(False)
        self.show_conflicts.setVisible(outcome.open_conflicts > 0)
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        self.synced.emit(outcome)


def synchronise(window: MainWindow) -> None:
    """File → Synchronise…: the screens show what arrived as soon as it has."""
    dialog = SyncDialog(window.services, window.settings, window)
    dialog.synced.connect(lambda _outcome: window.hub.announce(EVERYTHING, dialog))
    dialog.exec()
    outcome = dialog.outcome
    if outcome is not None:
        window.statusBar().showMessage(summary_words(outcome).splitlines()[0], 10_000)
    if dialog.conflicts_asked:
        from itp_monitor.gui.dialogs.conflicts import show_conflicts

        show_conflicts(window)
