"""Live: what another copy of the app or the command line writes appears without a touch.
(What each change costs, in reads and redraws, is counted in test_operations.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from gui_driver import board_cells, board_row, open_window
from helpers import NOW, hours_ago
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


def test_her_details_corrected_elsewhere_show_in_her_header(
    qtbot: QtBot, window: MainWindow, elsewhere: Services
) -> None:
    patient = elsewhere.patients.find("L1")
    assert patient is not None
    heavier = replace(patient.details, weight_kg=74.0)
    elsewhere.patients.correct(patient.id, heavier, "weighed again")
    weight = window.workspace.header.facts["Weight"]
    qtbot.waitUntil(lambda: weight.text() == "74 kg", timeout=2000)


def test_a_protocol_change_elsewhere_is_applied(
    qtbot: QtBot, window: MainWindow, elsewhere: Services
) -> None:
    assert "Below epidural cutoff" not in board_row(window, "L1")["Flags"]  # 80 at 38 weeks
    elsewhere.protocol.change("neuraxial_min", 90, "anaesthetists' local policy")
    qtbot.waitUntil(
        lambda: "Below epidural cutoff" in board_row(window, "L1")["Flags"], timeout=2000
    )
