"""Check database in the app: Tools → Check database says what it found; a database that
fails the check at start (a damaged page, a dropped guard) is opened to read, not written
into, and the box says what to do."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from gui_driver import answering, open_window
from PySide6.QtWidgets import QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from itp_monitor.gui.dialogs.check import FAILED_NOTE
from itp_monitor.gui.dialogs.help import menu_actions
from itp_monitor.gui.dialogs.restore import RestoreDialog
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    return services


def _path(services: Services) -> Path:
    path = services.db.location.path
    assert path is not None
    return path


def _tamper(services: Services, sql: str) -> None:
    with closing(sqlite3.connect(_path(services))) as raw:
        raw.execute(sql)
        raw.commit()


def trigger(window: MainWindow, where: str) -> None:
    next(a for w, a in menu_actions(window) if w == where).trigger()


def _box(qtbot: QtBot, window: MainWindow) -> QMessageBox:
    qtbot.waitUntil(lambda: window.checking.box is not None and window.checking.box.isVisible())
    box = window.checking.box
    assert box is not None
    return box


def _writes_refused(window: MainWindow) -> None:
    """Every control that would save is off, but the way out: Restore from backup…"""
    writing = {a.text().replace("&", "") for a in window.writing_actions if a.isEnabled()}
    assert writing == {"Restore from backup…"}, writing
    assert window.read_only_note == FAILED_NOTE
    assert FAILED_NOTE in window.statusBar().findChild(object, "read_only").text()


def test_tools_check_database_says_a_sound_ward_is_sound(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    qtbot.waitUntil(lambda: window.checking.at_start_report is not None)
    assert window.checking.at_start_report is not None and window.checking.at_start_report.ok
    assert window.checking.box is None  # the check at start found nothing to say
    trigger(window, "Tools → Check database…")
    box = _box(qtbot, window)
    assert box.text().startswith("The database is sound")
    assert "audit trail's" in box.informativeText()
    box.accept()
    assert window.read_only_note is None  # saving goes on


def test_a_patient_edited_past_the_app_is_named_and_saving_stops(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    _tamper(ward, "UPDATE patients SET name = 'Someone Else' WHERE mrn = 'DEMO-01'")
    trigger(window, "Tools → Check database…")
    box = _box(qtbot, window)
    assert "found 1 problem" in box.text()
    assert "patient DEMO-01: name differ from her audit entries" in box.detailedText()
    assert "no backup of it was found" in box.informativeText()
    _writes_refused(window)
    box.reject()


def test_a_dropped_guard_is_found_at_start_and_nothing_is_saved(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    ward.backups.take()
    _tamper(ward, "DROP TRIGGER platelet_counts_no_delete")
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    box = _box(qtbot, window)
    assert box.text().startswith("The database failed its check at start")
    assert "platelet_counts_no_delete is missing" in box.detailedText()
    assert "restore the last good backup" in box.informativeText()
    _writes_refused(window)
    box.reject()


def test_a_damaged_page_is_found_at_start(qtbot: QtBot, ward: Services, tmp_path: Path) -> None:
    path = _path(ward)
    with closing(sqlite3.connect(path)) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ward.db.dispose()
    size = path.stat().st_size
    with path.open("r+b") as file:  # a page of audit entries, near the end
        file.seek((size // 4096 - 3) * 4096)
        file.write(b"\xa5" * 4096)
    with qtbot.captureExceptions() as raised:
        window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
        box = _box(qtbot, window)
    assert not raised, raised and repr(raised[0][1])
    assert "integrity" in box.detailedText()
    _writes_refused(window)
    box.reject()


def test_restore_from_the_box_at_start_puts_the_last_good_backup_back_and_saving_resumes(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    backup = ward.backups.take()
    _tamper(ward, "DROP TRIGGER platelet_counts_no_delete")
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    box = _box(qtbot, window)
    _writes_refused(window)
    assert window.restore_action.isEnabled()  # the way out stays open
    restore = next(b for b in box.buttons() if b.text() == "Restore from backup…")

    def choose(dialog: QDialog) -> None:
        assert isinstance(dialog, RestoreDialog)
        row = next(i for i, b in enumerate(dialog.found) if b.path == backup.path)
        dialog.table.selectRow(row)

        def answer(question: QDialog) -> None:
            assert isinstance(question, QMessageBox)
            next(b for b in question.buttons() if b.text().replace("&", "") == "Restore").click()

        with answering(answer, of=QMessageBox):
            dialog.go.click()
        if dialog.isVisible():
            dialog.reject()

    with answering(choose, of=RestoreDialog):
        restore.click()
    qtbot.waitUntil(lambda: window.read_only_note is None)
    assert window.services.check.full().ok
    assert all(
        a.isEnabled() for a in window.writing_actions if a not in window.record_actions.values()
    )
    assert window.statusBar().findChild(object, "read_only") is None or not (
        window.statusBar().findChild(object, "read_only").isVisible()
    )
