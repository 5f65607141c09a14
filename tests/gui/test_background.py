"""Work on a thread of its own: its result comes back on the window's thread."""

from __future__ import annotations

import gc
import threading

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from itp_monitor.gui.background import Job


def test_the_result_is_handed_on_on_the_window_s_thread(qtbot: QtBot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    seen: list[tuple[str, str]] = []
    window_thread = threading.current_thread().name

    def work() -> str:
        return threading.current_thread().name

    job = Job(
        owner, "worker", work, lambda ran_on: seen.append((ran_on, threading.current_thread().name))
    )
    job.start()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [("worker", window_thread)]
    assert job.finished


def test_nothing_is_handed_on_once_its_window_is_gone(qtbot: QtBot) -> None:
    owner = QWidget()
    release = threading.Event()
    seen: list[int] = []
    Job(owner, "worker", lambda: release.wait(5) and 1, seen.append).start()
    release.set()
    owner.deleteLater()  # closed before its timer looked
    qtbot.wait(200)
    assert seen == []


def test_python_s_cycle_collector_waits_while_a_worker_runs(qtbot: QtBot) -> None:
    """A cycle freed on the worker could hold a Qt object, destroyed there: the collector
    is paused while any worker runs, and runs again once each is handed on or gone."""
    owner = QWidget()
    qtbot.addWidget(owner)
    release, release_second = threading.Event(), threading.Event()
    seen: list[bool] = []
    assert gc.isenabled()
    first = Job(owner, "worker", lambda: release.wait(5), seen.append).start()
    gone = QWidget()
    second = Job(gone, "worker", lambda: release_second.wait(5), seen.append).start()
    assert not gc.isenabled()
    release_second.set()
    gone.deleteLater()  # its window closed as its work ends: nothing handed on
    qtbot.wait(50)
    assert second.finished and not gc.isenabled()  # the first still runs
    release.set()
    qtbot.waitUntil(lambda: seen == [True], timeout=5000)
    assert first.finished
    assert gc.isenabled()
