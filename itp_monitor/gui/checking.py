"""Check database in the app: the quick check at start, Tools → Check database, and what
the window does with what they find (services/check.py does the checking)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from itp_monitor import last_resort
from itp_monitor.domain.wording import counted
from itp_monitor.gui.background import Job
from itp_monitor.gui.dialogs.check import FAILED_NOTE, report_box
from itp_monitor.services.check import Report
from itp_monitor.services.container import Services

if TYPE_CHECKING:
    from itp_monitor.gui.main_window import MainWindow


def quick_check(services: Services) -> Report | None:
    """The check at start, on its own thread: its report, or None if the check itself
    failed (that is logged, and the window goes on)."""
    try:
        return services.check.quick()
    except Exception as error:
        last_resort.report(error, "the check at start")
        return None


class Checking:
    """The window's checks. A database that fails one is not written into from then on
    (MainWindow.refuse_writes), and the box offers File → Restore from backup…"""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.box: QMessageBox | None = None  # what the last check found, while shown
        self.at_start_report: Report | None = None  # once the check at start is done
        self._running: Job[Report | None] | None = None

    def at_start(self) -> None:
        """The quick check (storage damage, guards, the audit chain's last links), on a
        thread of its own: SQLite's quick_check reads the whole file (about 0.5 s for a
        ward of 1,000 women), and the window answers meanwhile."""
        services = self.window.services
        self._running = Job(
            self.window, "check at start", lambda: quick_check(services), self._done_at_start
        ).start()

    def wait(self) -> None:
        """Until the check at start is done, if it is under way (it reads the file)."""
        if self._running is not None:
            self._running.wait()

    def _done_at_start(self, report: Report | None) -> None:
        self.at_start_report = report
        if report is None:
            self.window.statusBar().showMessage(
                "The check at start could not run; the details are in the log "
                "(Tools → Check database tries again)",
                30_000,
            )
        elif not report.ok and not report.schema_only:
            self._say(report, at_start=True)

    def check_database(self) -> None:
        """Tools → Check database: the full check, its finding said in a box."""
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            report = self.window.services.check.full()
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._say(report, at_start=False)

    def after_restore(self) -> None:
        """A restored database that passes the full check may be saved into again (a
        backup can hold what made the check fail, when it was taken after)."""
        if self.window.read_only_note != FAILED_NOTE:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            report = self.window.services.check.full()
        finally:
            QGuiApplication.restoreOverrideCursor()
        if report.ok:
            self.window.allow_writes()
        else:
            self._say(report, at_start=False)

    def _say(self, report: Report, *, at_start: bool) -> None:
        window = self.window
        if not report.ok and not report.schema_only:
            window.refuse_writes(FAILED_NOTE)
        box = report_box(
            window,
            report,
            window.services.db.location.name(),
            window.services.check.backups_folder(),
            at_start=at_start,
            restore=window.restore_action.trigger,
        )
        box.open()  # not exec(): the window stays alive behind it, to read
        self.box = box
        found = "sound" if report.ok else counted(len(report.problems), "problem")
        window.statusBar().showMessage(f"Checked the database: {found}", 10_000)
