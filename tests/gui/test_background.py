"""Work on a thread of its own: its result comes back on the window's thread."""

from __future__ import annotations

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
    owner.deleteLater()
    qtbot.wait(50)
    release.set()
    qtbot.wait(200)
    assert seen == []
