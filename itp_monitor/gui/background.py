"""Work on a thread of its own, with its result brought back on the window's thread.

The worker never calls Qt, not even to emit a signal: a Qt signal emitted from a plain
Python thread is where a PySide application can stop for good (Qt's lock on one side,
Python's on the other, and nothing, not even a watchdog written in Python, runs again).
Instead the window's own timer looks for the result every few milliseconds while the
work is under way, and hands it on. SQLite lets go of Python's lock while it reads and
copies, so the window answers meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QTimer

T = TypeVar("T")

LOOK_EVERY_MS = 15  # about a frame: the result is shown as soon as a person could see it


class Job(Generic[T]):
    """`work()` on a thread named `name`; `then(result)` on the window's thread once it is
    done. `work` must not raise (each says its failures in its result); whatever it
    raises all the same is passed on by `then`'s caller, the event loop, to the app's last
    resort. With `owner` gone (its window closed), `then` is never called."""

    def __init__(
        self, owner: QObject, name: str, work: Callable[[], T], then: Callable[[T], object]
    ) -> None:
        self._work = work
        self._then = then
        self._done = threading.Event()
        self._result: list[T] = []
        self._error: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._timer = QTimer(owner)
        self._timer.setInterval(LOOK_EVERY_MS)
        self._timer.timeout.connect(self._look)

    def start(self) -> Job[T]:
        self._thread.start()
        self._timer.start()
        return self

    @property
    def finished(self) -> bool:
        """Whether the work is done (its result may not have been handed on yet)."""
        return self._done.is_set()

    def wait(self) -> None:
        """Blocks until the work is done (its result is handed on later, as ever)."""
        self._thread.join()

    def _run(self) -> None:
        try:
            self._result.append(self._work())
        except BaseException as e:  # raised again on the window's thread, never lost
            self._error.append(e)
        finally:
            self._done.set()

    def _look(self) -> None:
        if not self._done.is_set():
            return
        self._timer.stop()
        self._timer.deleteLater()
        self._thread.join()  # it is done: this returns at once
        if self._error:
            raise self._error[0]
        self._then(self._result[0])
