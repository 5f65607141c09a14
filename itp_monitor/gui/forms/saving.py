"""Runs a form's save: waits on a timer while another program writes, keeps the entry on failure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QElapsedTimer, QObject, QTimer
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QWidget

from itp_monitor import last_resort
from itp_monitor.services.errors import (
    DatabaseBusy,
    Failure,
    InvalidEntry,
    NotFound,
    StorageFailure,
)

RETRY_EVERY_MS = 1_000  # between tries; each try itself waits the app's short busy timeout
# An import holds the lock for seconds (one transaction: docs/architecture.md); a minute
# means something is stuck.
GIVE_UP_AFTER_MS = 60_000
WAITING = "Waiting for another program that is writing to the database (an import?) — retrying…"
GAVE_UP = (
    "Not saved: another program has been writing to the database for over a minute. "
    "Your entry is still here: press Save to try again, or Cancel to leave it."
)
UNEXPECTED = (
    "Not saved: something unexpected went wrong (the details are in the log). "
    "Your entry is still here: press Save to try again, or Cancel to leave it."
)

ERROR_STYLE = "color: #B03A00;"  # dark vermillion, readable on the window colour
WARNING_STYLE = "color: #8A5A00;"


# A property of the main window: why the database was opened read-only (a Failure's
# value), for the words of a save that is tried all the same.
OPENED_READ_ONLY = "opened_read_only"
KEPT = " Your entry is still here."


def opened_read_only(widget: QObject | None) -> Failure | None:
    """Why the window holding `widget` opened its database read-only; None if it did not."""
    while widget is not None:
        value = widget.property(OPENED_READ_ONLY)
        if value:
            return Failure(str(value))
        widget = widget.parent()
    return None


def storage_words(error: StorageFailure, because: Failure | None = None, kept: str = KEPT) -> str:
    """'Not saved: the disk is full (/ward.sqlite). Free some space on the disk, then try
    again.' `because` is why the app opened the database read-only, if it did: a save
    refused for that is said so, never with the advice to open it read-only."""
    if error.failure is Failure.READ_ONLY:
        if because is Failure.FULL:
            return (
                f"Not saved: the disk is full ({error.where}), so the database was opened "
                f"only to read. Free some space on the disk, then open it again.{kept}"
            )
        if because is not None:
            return (
                f"Not saved: the database was opened read-only ({error.where}): "
                f"nothing can be saved to it.{kept}"
            )
        return f"Not saved: {error}. Ask for permission to write it, then open it again.{kept}"
    advice = error.advice[:1].upper() + error.advice[1:]
    return f"Not saved: {error}. {advice}.{kept}"


class SaveRunner(QObject):
    """Tries `attempt` until it returns, is refused, or gives up: a save that cannot be
    made now is never lost quietly, and nothing reaches Qt as an exception.

    `done(result)` on success; `refused(error)` for an InvalidEntry (or NeedsConfirmation)
    the form shows beside its fields; `waiting(text)` while another program holds the
    write lock; `failed(text)` when the save cannot be made, the entry to be kept.
    """

    def __init__(
        self,
        parent: QObject,
        *,
        done: Callable[[Any], None],
        refused: Callable[[InvalidEntry], None],
        waiting: Callable[[str], None],
        failed: Callable[[str], None],
    ) -> None:
        super().__init__(parent)
        self._done, self._refused, self._waiting, self._failed = done, refused, waiting, failed
        self._attempt: Callable[[], Any] | None = None
        self._since = QElapsedTimer()  # monotonic: how long it has waited, not the time of day
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._try)

    @property
    def busy(self) -> bool:
        """Waiting to try again."""
        return self._timer.isActive()

    def start(self, attempt: Callable[[], Any]) -> None:
        self.cancel()
        self._attempt = attempt
        self._since.start()
        self._try()

    def cancel(self) -> None:
        self._timer.stop()
        self._attempt = None

    def _try(self) -> None:
        attempt = self._attempt
        if attempt is None:
            return
        try:
            result = attempt()
        except InvalidEntry as e:
            self._attempt = None
            self._refused(e)
        except DatabaseBusy:
            if self._since.elapsed() >= GIVE_UP_AFTER_MS:
                self._attempt = None
                self._failed(GAVE_UP)
            else:
                self._waiting(WAITING)
                self._timer.start(RETRY_EVERY_MS)
        except StorageFailure as e:
            self._attempt = None
            self._failed(storage_words(e, opened_read_only(self.parent())))
        except NotFound as e:
            self._attempt = None
            self._failed(f"Not saved: {e}. It may have been changed elsewhere.")
        except Exception as e:
            # Never to Qt (which would print it and carry on with the form in a half state);
            # the app's log file keeps the details, the form says it in a line.
            last_resort.report(e, "a save from a form")
            self._attempt = None
            self._failed(UNEXPECTED)
        else:
            self._attempt = None
            self._done(result)


class SavingDialog(QDialog):
    """A dialog whose Save goes through a SaveRunner, with a line above its buttons saying
    what became of it; it grows to show every message whole."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(True)
        self.result_value: Any = None
        self.status = QLabel("")
        self.status.setObjectName("save_status")
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        self.runner = SaveRunner(
            self,
            done=self._saved,
            refused=self.show_refusal,
            waiting=self._waiting,
            failed=self._failed,
        )

    # what a subclass provides
    def action_button(self) -> QPushButton:
        raise NotImplementedError

    def inputs(self) -> QWidget:
        """The part holding what was typed: kept as it is, and locked while waiting."""
        raise NotImplementedError

    def show_refusal(self, error: InvalidEntry) -> None:
        raise NotImplementedError

    # the save
    def begin_save(self, attempt: Callable[[], Any]) -> None:
        self.set_status("")
        self.runner.start(attempt)

    def set_status(self, text: str, style: str = ERROR_STYLE) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(style)
        self.status.setVisible(bool(text))
        self.grow_to_fit()

    def _saved(self, result: Any) -> None:
        self.result_value = result
        self.accept()

    def _waiting(self, text: str) -> None:
        self.inputs().setEnabled(False)
        self.action_button().setEnabled(False)
        self.set_status(text, WARNING_STYLE)

    def _failed(self, text: str) -> None:
        self._unlock()
        self.set_status(text)

    def _unlock(self) -> None:
        self.inputs().setEnabled(True)
        self.action_button().setEnabled(True)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.grow_to_fit()

    def reject(self) -> None:
        self.runner.cancel()
        super().reject()

    def grow_to_fit(self) -> None:
        """As tall as its messages need (and no taller once they are gone), within the screen.

        A top-level window does not grow by itself when a word-wrapped label gets longer:
        its layout's height-for-width is asked here, for the width the dialog has.
        """
        layout = self.layout()
        if layout is None or not self.isVisible():
            return
        layout.activate()
        # the screen under the dialog, asked of the application: a QScreen taken from the
        # widget (QWidget.screen(), QWindow.screen()) was left dangling by PySide6 6.11,
        # crashing the next dialog
        shown_on = QGuiApplication.screenAt(self.geometry().center())
        screen = (shown_on or QGuiApplication.primaryScreen()).availableGeometry()
        width = min(max(self.width(), self.sizeHint().width()), screen.width())
        height = layout.heightForWidth(width) if layout.hasHeightForWidth() else -1
        height = max(height, self.minimumSizeHint().height())
        self.resize(width, min(height, screen.height()))
