"""Automatic backups in the app (issue 11): on closing the window, and every 30 minutes,
each only when something was written since the last one.

Each backup runs on a thread of its own: a copy to a slow USB disk or network share
never freezes the window (SQLite lets go of Python's lock while it copies and checks).
What went wrong is said in words, never as a traceback; a database in memory, on a
server or opened read-only is not backed up here at all.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from itp_monitor import last_resort
from itp_monitor.gui.background import Job
from itp_monitor.services.backups import (
    BackupRefused,
    BackupRound,
    BackupService,
    ChangeMark,
)
from itp_monitor.services.container import Services
from itp_monitor.services.errors import StorageFailure

BACKUP_EVERY_MS = 30 * 60 * 1000  # while something changed; and on closing
READ_ONLY = "a database opened read-only is not backed up by the app"

# What a backup came to: the round, or why none was taken at all.
Outcome = BackupRound | str


def why_not(services: Services) -> str | None:
    """Why the app takes no backups of this database, or None when it does."""
    if services.db.location.read_only:
        return READ_ONLY
    return services.backups.refusal()


class BackupSchedule(QObject):
    """Takes the app's backups: when due (`every_ms`, None for none on a timer or on
    closing), when asked (Back up now), and before the window closes."""

    finished = Signal(object)  # the Outcome, on the window's thread

    def __init__(self, services: Services, every_ms: int | None, parent: QObject) -> None:
        super().__init__(parent)
        self.backups: BackupService = services.backups
        self.why_not = why_not(services)
        self.automatic = every_ms is not None and self.why_not is None
        self.mark: ChangeMark | None = None
        if self.why_not is None:
            try:
                self.mark = services.backups.change_mark()
            except (BackupRefused, StorageFailure) as e:
                self.why_not, self.automatic = str(e), False
        self.last: Outcome | None = None
        self._job: Job[Outcome] | None = None
        self._close: Callable[[], object] | None = None  # the window, waiting to close
        self._closing_round_started = False
        self.timer = QTimer(self)
        self.timer.setInterval(every_ms or BACKUP_EVERY_MS)
        self.timer.timeout.connect(self.when_due)
        if self.automatic:
            self.timer.start()

    @property
    def running(self) -> bool:
        return self._job is not None

    @property
    def closing(self) -> bool:
        """Whether the window waits for this backup to close."""
        return self._close is not None

    def changed(self) -> bool:
        """Whether anything was written since the last backup began (or the app opened)."""
        return self.mark is not None and self.mark.changed()

    def wait(self) -> None:
        """Until the backup under way, if any, is taken (it reads the file)."""
        if self._job is not None:
            self._job.wait()

    def when_due(self) -> None:
        """The timer's slot: a backup only when something was written since the last."""
        if not self.running and self.changed():
            self.start()

    def start(self) -> bool:
        """A backup now, on its own thread; False when none can be taken or one is under
        way already (its `finished` will come)."""
        if self.mark is None or self.running:
            return False
        self.mark.set()  # what is written while it is taken counts for the next one
        self._job = Job(self, "itp-backup", self._work, self._finished).start()
        return True

    def _work(self) -> Outcome:
        """On the backup's thread: whatever happens, an Outcome goes back to the window."""
        outcome: Outcome
        try:
            outcome = self.backups.take_all()
        except BackupRefused as e:
            outcome = str(e)
        except StorageFailure as e:
            outcome = f"{e}; {e.advice}"
        except Exception as e:  # never a traceback: logged, and named in one line
            outcome = last_resort.report(e, "a backup").line()
        return outcome

    def _finished(self, outcome: Outcome) -> None:
        self._job = None
        self.last = outcome
        self.finished.emit(outcome)
        close = self._close
        if close is None:
            return
        if not self._closing_round_started and self.changed():
            # the round that was under way began before the last save: one more
            self._closing_round_started = self.start()
            if self._closing_round_started:
                return
        self._close = None
        self.automatic = False  # the window may close now: no backup is asked again
        close()

    def before_closing(self, close: Callable[[], object]) -> bool:
        """Whether the window must wait before it closes: a backup is taken first when
        something was written since the last one (or one is under way), and `close` is
        called once it is done. Asked again while waiting, the answer is no: a person
        closing twice is not kept waiting for a disk that does not answer."""
        if not self.automatic:
            return False
        if self._close is not None:
            self.automatic = False
            return False
        if not self.running:
            if not self.changed():
                return False
            self._closing_round_started = self.start()
        self._close = close
        self.timer.stop()
        return True

    def pause(self) -> None:
        """No backups due while the database is being replaced by a restore."""
        self.timer.stop()
        if self.mark is not None:
            self.mark.close()
            self.mark = None

    def resume(self, services: Services) -> None:
        """After a restore: the restored database is what is marked as backed up (it is a
        backup, and its restore entry), and the timer runs again."""
        if self.why_not is not None or self.mark is not None:
            return
        try:
            self.mark = services.backups.change_mark()
        except (BackupRefused, StorageFailure) as e:
            self.why_not, self.automatic = str(e), False
            return
        if self.automatic:
            self.timer.start()

    def stop(self) -> None:
        """The window is closing for good: no more backups, and the mark let go."""
        self.timer.stop()
        self.automatic = False
        if self.mark is not None:
            self.mark.close()
            self.mark = None


def backup_problems(outcome: Outcome) -> list[str]:
    """What went wrong, one line each (a folder missed, or why no backup was taken)."""
    if isinstance(outcome, str):
        return [f"no backup was taken: {outcome}"]
    return [missed.why for missed in outcome.missed]


def backup_summary(outcome: Outcome) -> str:
    """One line for the status bar: where the backup went, or that none was taken."""
    if isinstance(outcome, str) or not outcome.taken:
        return "No backup was taken"
    at = outcome.taken[0].taken_at
    where = " and ".join(str(b.path.parent) for b in outcome.taken)
    return f"Backed up at {at:%H:%M} to {where}"
