"""Work on a thread of its own, with its result brought back on the window's thread.

Qt objects must be made, used and destroyed on the window's thread alone. A worker that
breaks this can stop the app for good, with Qt's lock on one side and Python's on the
other (nothing runs again, not even a watchdog written in Python). So:

- the worker never calls Qt, not even to emit a signal: the window's own timer looks
  for the result every few milliseconds while the work is under way, and hands it on;
- Python's cycle collector is paused while any worker runs. It runs on whichever thread
  happens to allocate, and a cycle it frees can hold a Qt object (a dialog that holds a
  form that holds the dialog). PySide sends the destructor of a plain QWidget to the
  window's thread, but not that of a Python subclass of one (every dialog here) nor of
  any QObject: it then runs on the worker, while the window's thread uses Qt. CI stopped
  with a worker compiling SQL and the window's thread making a QLineEdit; a stand-alone
  reproduction crashed within seconds in every run without this pause and never with
  it. Reference counting still frees everything else; cycles wait for the end of the
  work (a second at most) and are collected on the window's thread.

SQLite lets go of Python's lock while it reads and copies, so the window answers
meanwhile.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QTimer

T = TypeVar("T")

LOOK_EVERY_MS = 15  # about a frame: the result is shown as soon as a person could see it


_collector = threading.Lock()
_workers = 0  # workers running: the cycle collector is paused while there are any
_collector_was_on = True


def _pause_collector() -> None:
    global _workers, _collector_was_on
    with _collector:
        if _workers == 0:
            _collector_was_on = gc.isenabled()
            gc.disable()
        _workers += 1


def _resume_collector() -> None:
    global _workers
    with _collector:
        _workers -= 1
        if _workers == 0 and _collector_was_on:
            gc.enable()


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
        self._timer.destroyed.connect(lambda *_: self._release(wait=True))  # window gone
        self._released = False

    def start(self) -> Job[T]:
        _pause_collector()  # before the thread exists: it never runs with the collector on
        try:
            self._thread.start()
        except BaseException:
            _resume_collector()
            raise
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
            self._done.set()  # the collector resumes on the window's thread (_release)

    def _release(self, *, wait: bool = False) -> None:
        """On the window's thread, once the work is done: the collector may run again."""
        if self._released or (not self._thread.is_alive() and not self._done.is_set()):
            return  # never started, or released already
        if wait:
            self._thread.join()
        self._released = True
        _resume_collector()

    def _look(self) -> None:
        if not self._done.is_set():
            return
        self._timer.stop()
        self._thread.join()  # it is done: this returns at once
        self._release()
        self._timer.deleteLater()
        if self._error:
            raise self._error[0]
        self._then(self._result[0])
