"""A save while another program writes, or when the disk fails: the entry is never lost quietly."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from gui_driver import answering, open_window, press, type_into
from helpers import NOW, USER
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from itp_monitor import last_resort
from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.gui.forms import saving
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.errors import Failure, StorageFailure
from itp_monitor.storage.database import Database, resolve_location

BUSY_TIMEOUT_MS = 100  # as the app: wait briefly for the lock, then retry on a timer

# Another program (an import, say) holding the write lock until told to let go.
HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
connection.close()
"""


class Holder:
    """A separate process holding the database's write lock."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "holding"

    def release(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            self.process.wait(timeout=10)


@pytest.fixture
def app_services(db_path: Path) -> Iterator[Services]:
    """The app's services: a database opened with a short busy timeout."""
    database = Database(resolve_location(str(db_path)), busy_timeout_ms=BUSY_TIMEOUT_MS)
    yield build_services(database, user=USER, clock=lambda: NOW)
    database.dispose()


@pytest.fixture
def window(qtbot: QtBot, app_services: Services, tmp_path: Path) -> MainWindow:
    edd = NOW.date() + timedelta(days=20)
    patient = app_services.patients.add(
        PatientDetails("B1", "Bea Holm", edd, date(1991, 2, 3), 64.0)
    )
    w = open_window(qtbot, app_services, str(tmp_path / "settings.ini"))
    w.open_patient(patient.id)
    return w


@pytest.fixture
def holder(db_path: Path) -> Iterator[Holder]:
    lock = Holder(db_path)
    yield lock
    lock.release()


def saved_counts(services: Services, window: MainWindow) -> list[float]:
    return [c.record.value for c in services.patients.records(window.workspace.patient_id).counts]


def status(dialog: QDialog) -> str:
    label = dialog.findChild(QLabel, "save_status")
    return label.text() if label.isVisible() else ""


def test_a_save_waits_for_another_programs_write_and_then_saves(
    qtbot: QtBot, window: MainWindow, app_services: Services, holder: Holder
) -> None:
    seen: dict[str, object] = {}

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "42")
        dialog.save_button.click()
        seen["message"] = status(dialog)
        seen["open"] = dialog.isVisible()
        seen["entry"] = dialog.findChild(QLineEdit, "value").text()
        seen["saved while held"] = saved_counts(app_services, window)
        holder.release()
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert seen == {
        "message": saving.WAITING,
        "open": True,
        "entry": "42",
        "saved while held": [],
    }
    assert saved_counts(app_services, window) == [42.0]
    proxy = window.workspace.record_tabs[PlateletCount].proxy
    assert proxy.index(0, 1).data() == "42"


def test_when_it_gives_up_the_entry_is_still_there_and_save_works_again(
    qtbot: QtBot,
    window: MainWindow,
    app_services: Services,
    holder: Holder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(saving, "GIVE_UP_AFTER_MS", 300)  # a minute, shortened for the test
    monkeypatch.setattr(saving, "RETRY_EVERY_MS", 50)
    seen: dict[str, object] = {}

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "42")
        dialog.save_button.click()
        qtbot.waitUntil(lambda: status(dialog) == saving.GAVE_UP, timeout=10_000)
        seen["entry"] = dialog.findChild(QLineEdit, "value").text()
        seen["save available"] = dialog.save_button.isEnabled()
        seen["can type"] = dialog.findChild(QLineEdit, "value").isEnabled()
        holder.release()
        dialog.save_button.click()

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert seen == {"entry": "42", "save available": True, "can type": True}
    assert saved_counts(app_services, window) == [42.0]


def test_a_void_waits_too_and_keeps_its_reason(
    qtbot: QtBot, window: MainWindow, app_services: Services, db_path: Path
) -> None:
    patient_id = window.workspace.patient_id
    app_services.records.record(patient_id, PlateletCount(NOW - timedelta(hours=2), 9.0, "lab"))
    window.refresh_all()
    tab = window.workspace.record_tabs[PlateletCount]
    tab.select_row(0)
    lock = Holder(db_path)
    seen: dict[str, object] = {}

    def fill(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.reason, "wrong patient")
        dialog.ok.click()
        seen["message"] = status(dialog)
        seen["reason"] = dialog.reason.text()
        lock.release()
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)

    try:
        with answering(fill):
            tab.void.click()
    finally:
        lock.release()
    assert seen == {"message": saving.WAITING, "reason": "wrong patient"}
    assert saved_counts(app_services, window) == []


@pytest.mark.parametrize(
    ("failure", "words", "advice"),
    [
        (Failure.FULL, "the disk is full", "Free some space on the disk, then try again"),
        # never "open it read-only": the app has it open, and for writing
        (
            Failure.READ_ONLY,
            "the database is read-only",
            "Ask for permission to write it, then open it again",
        ),
        (
            Failure.DAMAGED,
            "the database file is damaged",
            "Stop using it and ask for the last backup to be restored",
        ),
    ],
)
def test_a_storage_failure_is_said_in_words_with_advice_and_the_entry_kept(
    qtbot: QtBot,
    window: MainWindow,
    app_services: Services,
    monkeypatch: pytest.MonkeyPatch,
    failure: Failure,
    words: str,
    advice: str,
) -> None:
    where = app_services.db.where

    def fails(*_args: object, **_kwargs: object) -> None:
        raise StorageFailure(failure, where)

    monkeypatch.setattr(app_services.records, "record", fails)
    seen: dict[str, object] = {}

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "42")
        dialog.save_button.click()
        seen["message"] = status(dialog)
        seen["entry"] = dialog.findChild(QLineEdit, "value").text()
        seen["open"] = dialog.isVisible()
        dialog.reject()

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert seen["message"] == f"Not saved: {words} ({where}). {advice}. Your entry is still here."
    assert (seen["entry"], seen["open"]) == ("42", True)


def test_an_unexpected_error_is_a_short_message_and_the_entry_kept(
    qtbot: QtBot, window: MainWindow, app_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def breaks(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("SELECT value FROM platelet_count WHERE mrn = 'B1'")

    monkeypatch.setattr(app_services.records, "record", breaks)
    seen: dict[str, object] = {}

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "42")
        dialog.save_button.click()  # pytest-qt fails the test if anything reaches Qt
        seen["message"] = status(dialog)
        seen["entry"] = dialog.findChild(QLineEdit, "value").text()
        dialog.reject()

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert seen == {"message": saving.UNEXPECTED, "entry": "42"}
    # the details went to the app's log file, not to the screen
    assert "SELECT value FROM platelet_count" in last_resort.log_path().read_text(encoding="utf-8")
