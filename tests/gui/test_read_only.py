"""A database opened read-only: every control that would save is disabled and says why, and a
save tried all the same says what happened, never the advice to do what was already done."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_driver import answering, open_window, press, type_into
from helpers import NOW, USER
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
)
from pytestqt.qtbot import QtBot

from itp_monitor.domain.records import PlateletCount
from itp_monitor.gui.dialogs.help import menu_actions
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.errors import Failure
from itp_monitor.storage.database import Database, resolve_location

READ_ONLY = "Opened read-only: nothing can be saved"
# What saves to the database; everything else (exports, reports, views, help) still works.
SAVING = {
    "File → New patient…",
    "File → Load the demonstration ward",
    "File → Import a record file…",
    "File → Import laboratory results…",
    "File → Synchronise…",
    "File → Restore from backup…",
    "Settings → The unit's protocol…",
    "Settings → Laboratory codes…",
    "Settings → Backups…",
    "Settings → Security…",  # encrypting writes a new file in its place
    "Settings → Users…",
}
RECORD_FILE = {
    "format": "itp-monitor/1",
    "patients": [{"mrn": "RO-01", "name": "Ruth Olsen", "edd": "2027-02-01"}],
}


@pytest.fixture
def reading_only(services: Services, db_path: Path) -> Iterator[Services]:
    """The demonstration ward, then the same file opened only to read."""
    services.demo.load()
    database = Database(resolve_location(str(db_path)).reading_only())
    yield build_services(database, user=USER, clock=lambda: NOW)
    database.dispose()


@pytest.fixture
def window(qtbot: QtBot, reading_only: Services, tmp_path: Path) -> MainWindow:
    return open_window(qtbot, reading_only, str(tmp_path / "settings.ini"))


class DialogWatch:
    """Notes (and closes) any modal dialog that opens while it watches."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._look)
        self.timer.start()

    def _look(self) -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            self.seen.append(modal.windowTitle())
            modal.close()

    def stop(self) -> list[str]:
        self.timer.stop()
        return self.seen


def open_demo_03(window: MainWindow) -> None:
    """Double-clicks her row on the board, as a nurse opens a woman."""
    table = window.board.table
    proxy = window.board.proxy
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 1).data() == "DEMO-03")
    table.doubleClicked.emit(proxy.index(row, 1))
    assert window.showing_patient()


def test_every_control_that_saves_is_disabled_and_says_why(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.windowTitle().endswith("(read-only)")
    note = window.findChild(QLabel, "read_only")
    assert note is not None and note.isVisible() and READ_ONLY in note.text()
    board_new = next(b for b in window.board.findChildren(QPushButton) if "New patient" in b.text())
    assert not board_new.isEnabled() and board_new.toolTip() == READ_ONLY
    open_demo_03(window)
    for where, action in menu_actions(window):
        if not action.isVisible():
            continue  # File → Sign out…, with no account to sign out of
        saves = where in SAVING or where.startswith("Record →")
        assert action.isEnabled() != saves, where
        if saves:
            assert action.statusTip() == READ_ONLY and action.toolTip() == READ_ONLY, where
    workspace = window.workspace
    header_buttons = {b.text(): b for b in workspace.header.findChildren(QPushButton)}
    for text in ("Edit details…", "Archive…"):
        assert not header_buttons[text].isEnabled() and header_buttons[text].toolTip() == READ_ONLY
    assert header_buttons["← Ward board"].isEnabled()
    tab = workspace.record_tabs[PlateletCount]
    tab.select_row(0)
    assert tab.selected() is not None  # her counts can still be looked at, one by one
    for button in (tab.add, tab.correct, tab.void):
        assert not button.isEnabled() and button.toolTip() == READ_ONLY


def test_no_key_and_no_double_click_opens_a_form(qtbot: QtBot, window: MainWindow) -> None:
    open_demo_03(window)
    tab = window.workspace.record_tabs[PlateletCount]
    tab.select_row(0)
    watch = DialogWatch()
    try:
        for keys in ("Ctrl+1", "Ctrl+2", "Ctrl+N", "Ctrl+I", "Ctrl+L", "Ctrl+,"):
            press(qtbot, window.workspace.chart, keys)
        first = tab.proxy.index(0, 1)
        qtbot.mouseDClick(
            tab.table.viewport(),
            Qt.MouseButton.LeftButton,
            pos=tab.table.visualRect(first).center(),
        )
        qtbot.wait(100)  # long enough for the watch to see a form, had one opened
    finally:
        seen = watch.stop()
    assert seen == []


def test_looking_and_exporting_still_work(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    open_demo_03(window)
    window.reports.export_records(tmp_path / "ward.json")
    assert "Wrote 13 patients" in window.statusBar().currentMessage()
    assert (tmp_path / "ward.json").is_file()
    window.reports.export_fhir(tmp_path / "her.json")
    assert (tmp_path / "her.json").is_file()


def message_of(box: QDialog) -> str:
    assert isinstance(box, QMessageBox)
    return f"{box.text()} {box.informativeText()}".strip()


def import_anyway(window: MainWindow, monkeypatch: pytest.MonkeyPatch, folder: Path) -> str:
    """Imports a record file though the menu's action is disabled; what the box says."""
    record = folder / "one.json"
    record.write_text(json.dumps(RECORD_FILE))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(record), ""))
    told: list[str] = []

    def read(box: QDialog) -> None:
        told.append(message_of(box))
        box.accept()

    with answering(read):
        window.reports.import_records()
    assert "unexpected" not in told[0]
    return told[0]


def test_a_save_tried_anyway_says_it_was_opened_read_only(
    qtbot: QtBot,
    window: MainWindow,
    reading_only: Services,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Were a form opened all the same (a control forgotten), its Save says read-only,
    not 'open it read-only' — which is what the nurse did."""
    open_demo_03(window)
    told: dict[str, str] = {}

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "42")
        dialog.save_button.click()  # type: ignore[attr-defined]
        told["form"] = dialog.findChild(QLabel, "save_status").text()  # type: ignore[union-attr]
        dialog.reject()

    with answering(fill):
        window.workspace.add_record(PlateletCount)
    where = reading_only.db.where
    assert told["form"] == (
        f"Not saved: the database was opened read-only ({where}): nothing can be saved to it. "
        "Your entry is still here."
    )

    told["import"] = import_anyway(window, monkeypatch, tmp_path)
    assert told["import"] == (
        f"Not saved: the database was opened read-only ({where}): nothing can be saved to it."
    )


@pytest.fixture
def full_window(qtbot: QtBot, reading_only: Services, tmp_path: Path) -> MainWindow:
    """Opened read-only because the disk was full (as the start dialog does)."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(reading_only, settings, read_only_because=Failure.FULL)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_opened_read_only_for_a_full_disk_says_the_disk_is_full(
    qtbot: QtBot,
    full_window: MainWindow,
    reading_only: Services,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    note = full_window.findChild(QLabel, "read_only")
    assert note is not None and "The disk is full" in note.text()
    assert "read-only" not in note.text() and "read-only" not in full_window.windowTitle()
    assert "the disk is full" in full_window.windowTitle()
    demo: QAction = next(
        a for w, a in menu_actions(full_window) if w.endswith("demonstration ward")
    )
    assert not demo.isEnabled() and "The disk is full" in demo.statusTip()
    told = import_anyway(full_window, monkeypatch, tmp_path)
    assert told.startswith(f"Not saved: the disk is full ({reading_only.db.where})")
    assert "read-only" not in told
