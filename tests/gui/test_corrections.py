"""Correcting and voiding from the tables, and the history that keeps the original."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from gui_driver import answering, board_row, enter, open_window, type_into
from helpers import NOW, USER, hours_ago
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel
from pytestqt.qtbot import QtBot

from itp_monitor.domain.flags import FlagCode
from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    edd = NOW.date() + timedelta(days=60)
    patient = services.patients.add(PatientDetails("C1", "Cara Lind", edd, date(1990, 1, 1), 60.0))
    services.records.record(patient.id, PlateletCount(hours_ago(30), 35.0, "lab", "L1"))
    services.records.record(patient.id, PlateletCount(hours_ago(5), 15.0, "lab", "L2"))
    w = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    w.open_patient(patient.id)
    return w


def counts_shown(window: MainWindow) -> list[str]:
    proxy = window.workspace.record_tabs[PlateletCount].proxy
    return [proxy.index(r, 1).data() for r in range(proxy.rowCount())]


def history_rows(qtbot: QtBot, window: MainWindow) -> list[list[str]]:
    workspace = window.workspace
    workspace.tabs.setCurrentWidget(workspace.history)
    model = workspace.history_model
    return [model.cells(model.entry(r)) for r in range(model.rowCount())]


def test_a_correction_with_its_reason_keeps_the_original_in_the_history(
    qtbot: QtBot, window: MainWindow
) -> None:
    tab = window.workspace.record_tabs[PlateletCount]
    tab.select_row(0)  # the newest: 15

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "51")
        type_into(qtbot, dialog, "reason", "lab phoned: misread")
        enter(qtbot, dialog)

    with answering(fill):
        tab.correct.click()
    assert counts_shown(window) == ["51", "35"]
    assert FlagCode.PLT_CRITICAL not in {f.code for f in window.workspace.flag_list.flags}
    assert board_row(window, "C1")["Latest ×10⁹/L"] == "51"
    _when, who, what, before, after, reason = history_rows(qtbot, window)[0]
    assert (who, what, reason) == (USER, "corrected platelet count", "lab phoned: misread")
    assert (before, after) == ("value 15", "value 51")


def test_a_correction_without_a_reason_is_refused(qtbot: QtBot, window: MainWindow) -> None:
    tab = window.workspace.record_tabs[PlateletCount]
    tab.select_row(0)
    seen: list[str] = []

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "51")
        enter(qtbot, dialog)
        seen.append(dialog.findChild(QLabel, "reason_message").text())
        dialog.reject()

    with answering(fill):
        tab.correct.click()
    assert seen == ["is missing"]
    assert counts_shown(window) == ["15", "35"]


def test_a_void_keeps_the_record_out_of_the_counts(qtbot: QtBot, window: MainWindow) -> None:
    tab = window.workspace.record_tabs[PlateletCount]
    tab.select_row(0)

    def fill(dialog: QDialog) -> None:
        assert not dialog.ok.isEnabled()  # no reason, no void
        qtbot.keyClicks(dialog.reason, "sample clotted")
        enter(qtbot, dialog)

    with answering(fill):
        tab.void.click()
    assert counts_shown(window) == ["35"]
    assert board_row(window, "C1")["Latest ×10⁹/L"] == "35"
    _when, _who, what, before, after, reason = history_rows(qtbot, window)[0]
    assert what == "voided platelet count"
    assert "value 15" in before and after == "voided: no longer counts"
    assert reason == "sample clotted"


def test_double_clicking_a_row_opens_its_correction(qtbot: QtBot, window: MainWindow) -> None:
    tab = window.workspace.record_tabs[PlateletCount]
    titles: list[str] = []

    def look(dialog: QDialog) -> None:
        titles.append(dialog.windowTitle())
        dialog.reject()

    tab.select_row(1)
    index = tab.proxy.index(1, 0)
    where = tab.table.visualRect(index).center()
    with answering(look):
        # a double click begins with a click (Qt's test double click sends only the second)
        qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
        qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert titles == ["Correct platelet count"]


def test_the_history_lists_who_recorded_what(qtbot: QtBot, window: MainWindow) -> None:
    rows = history_rows(qtbot, window)
    assert [r[2] for r in rows] == [
        "recorded platelet count",
        "recorded platelet count",
        "recorded patient",
    ]
    assert all(r[1] == USER for r in rows)
