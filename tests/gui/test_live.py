"""Live: what another copy of the app or the command line writes appears without a touch."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from gui_driver import answering, board_cells, board_row, enter, open_window, press
from helpers import NOW, USER, hours_ago
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from itp_monitor.domain.flags import FlagCode
from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    edd = NOW.date() + timedelta(days=14)
    patient = services.patients.add(PatientDetails("L1", "Lena Holm", edd, None, 70.0))
    services.records.record(patient.id, PlateletCount(hours_ago(50), 80.0))
    w = open_window(qtbot, services, str(tmp_path / "settings.ini"), poll_ms=1000)
    w.open_patient(patient.id)
    return w


def test_a_count_written_elsewhere_appears_within_two_seconds(
    qtbot: QtBot, window: MainWindow, elsewhere: Services
) -> None:
    patient = elsewhere.patients.find("L1")
    assert patient is not None
    elsewhere.records.record(patient.id, PlateletCount(hours_ago(1), 42.0))

    def shown() -> None:
        assert board_row(window, "L1")["Latest ×10⁹/L"] == "42"
        assert 42.0 in [y for _, y in window.workspace.chart.plotted_counts()]
        assert FlagCode.DELIVERY_BELOW_CUTOFF in {f.code for f in window.workspace.flag_list.flags}

    qtbot.waitUntil(shown, timeout=2000)


def test_a_patient_admitted_elsewhere_appears_on_the_board(
    qtbot: QtBot, window: MainWindow, elsewhere: Services
) -> None:
    elsewhere.patients.add(PatientDetails("L2", "Mia Sand", NOW.date() + timedelta(days=90)))
    qtbot.waitUntil(lambda: "L2" in board_cells(window, "MRN"), timeout=2000)


def test_a_protocol_change_elsewhere_is_applied(
    qtbot: QtBot, window: MainWindow, elsewhere: Services
) -> None:
    assert "Below epidural cutoff" not in board_row(window, "L1")["Flags"]  # 80 at 38 weeks
    elsewhere.protocol.change("neuraxial_min", 90, "anaesthetists' local policy")
    qtbot.waitUntil(
        lambda: "Below epidural cutoff" in board_row(window, "L1")["Flags"], timeout=2000
    )


def test_a_save_here_shows_at_once(qtbot: QtBot, window: MainWindow) -> None:
    def fill(dialog: QDialog) -> None:
        from gui_driver import type_into

        type_into(qtbot, dialog, "value", "18")
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    # no waiting: the table, the chart, the flags and the board already show it
    assert board_row(window, "L1")["Latest ×10⁹/L"] == "18"
    assert [y for _, y in window.workspace.chart.plotted_counts()][-1] == 18.0
    assert FlagCode.PLT_CRITICAL in {f.code for f in window.workspace.flag_list.flags}
    assert window.services.user == USER


def test_a_save_here_is_read_once_and_a_change_elsewhere_once(
    qtbot: QtBot, window: MainWindow, elsewhere: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen that saved shows what the save returned; the watch for other programs'
    changes does not read her records again for it (issue 9: no second read)."""
    reads: list[int] = []
    read = window.services.patients.records
    monkeypatch.setattr(
        window.services.patients, "records", lambda pid: reads.append(pid) or read(pid)
    )

    def fill(dialog: QDialog) -> None:
        from gui_driver import type_into

        type_into(qtbot, dialog, "value", "18")
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    window.poll_changes()  # the next tick of the watch, at once rather than in a second
    assert reads == []  # the save was applied from what it returned; the watch passed it over

    patient = elsewhere.patients.find("L1")
    assert patient is not None
    elsewhere.records.record(patient.id, PlateletCount(hours_ago(1), 20.0))
    window.poll_changes()
    assert reads == [patient.id]  # another program's save: one read of her records
    window.poll_changes()
    assert reads == [patient.id]
