"""The history tab reads as the ward speaks: the reason in view, words instead of codes."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest
from gui_driver import open_window
from helpers import NOW, USER, hours_ago
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from pytestqt.qtbot import QtBot

from itp_monitor.domain.records import Injection, PatientDetails, PlateletCount, Treatment
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.gui.models.history import HEADERS, HistoryTableModel
from itp_monitor.gui.widgets.history_table import HistoryTable
from itp_monitor.services.container import Services

LONG_REASON = (
    "laboratory phoned: the analyser misread a clotted sample; the repeat count on a "
    "fresh sample is the one to use"
)


@pytest.fixture
def services_with_history(services: Services) -> tuple[Services, int]:
    edd = NOW.date() + timedelta(days=60)
    patient = services.patients.add(PatientDetails("H1", "Hana Ito", edd, date(1990, 1, 1), 60.0))
    count = services.records.record(patient.id, PlateletCount(hours_ago(30), 15.0, "lab", "L1"))
    services.records.correct(count.id, dataclasses.replace(count.record, value=51.0), LONG_REASON)
    given = services.records.record(
        patient.id, Injection(hours_ago(20), 18000, 60.0, "abdomen-left", None, USER)
    )
    services.records.correct(
        given.id, dataclasses.replace(given.record, site="thigh-left"), "given in the thigh"
    )
    services.records.record(
        patient.id, Treatment("ivig", hours_ago(48), hours_ago(24), "1 g/kg on two days")
    )
    return services, patient.id


@pytest.fixture
def window(qtbot: QtBot, services_with_history: tuple[Services, int], tmp_path: Path) -> MainWindow:
    services, patient_id = services_with_history
    w = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    w.open_patient(patient_id)
    w.workspace.tabs.setCurrentWidget(w.workspace.history)
    return w


def rows(model: HistoryTableModel) -> list[dict[str, str]]:
    return [model.row_texts(r) for r in range(model.rowCount())]


def test_the_history_speaks_the_wards_words(window: MainWindow) -> None:
    history = rows(window.workspace.history_model)
    assert HEADERS.index("Reason") == 3  # straight after what was done
    treatment, injection_fixed, _injection, count_fixed, count, _patient = history
    assert treatment["What"] == "recorded treatment"
    assert treatment["After"].startswith(
        f"Treatment: IVIG · Started: {hours_ago(48):%d %b %Y %H:%M}"
    )
    assert "Source: laboratory" in count["After"]
    assert "Dose: 1 g/kg on two days" in treatment["After"]
    assert (injection_fixed["What"], injection_fixed["Reason"]) == (
        "corrected rhTPO injection",
        "given in the thigh",
    )
    assert (injection_fixed["Before"], injection_fixed["After"]) == (
        "Site: left abdomen",
        "Site: left thigh",
    )
    assert (count_fixed["Before"], count_fixed["After"]) == ("Count: 15 ×10⁹/L", "Count: 51 ×10⁹/L")
    assert count_fixed["Reason"] == LONG_REASON
    every_word = " ".join(" ".join(r.values()) for r in history)
    for code in ("ivig", "thigh-left", "abdomen-left", "kind ", "_at", "dose_units", "None"):
        assert code not in every_word


def test_the_reason_is_in_view_and_whole_at_a_laptops_width(
    qtbot: QtBot, services_with_history: tuple[Services, int]
) -> None:
    services, patient_id = services_with_history
    model = HistoryTableModel()
    model.set_history(services.patients.history(patient_id))
    table = HistoryTable(model)
    qtbot.addWidget(table)
    table.resize(900, 500)
    table.show()
    qtbot.waitExposed(table)
    assert table.horizontalHeader().length() <= table.viewport().width()  # nothing off the right
    reason = HEADERS.index("Reason")
    row = next(r for r in range(model.rowCount()) if model.row_texts(r)["Reason"] == LONG_REASON)
    cell = table.visualRect(model.index(row, reason))
    assert table.viewport().rect().contains(cell)
    wrapped = QFontMetrics(table.font()).boundingRect(
        QRect(0, 0, cell.width() - 8, 10_000), int(Qt.TextFlag.TextWordWrap), LONG_REASON
    )
    assert cell.height() >= wrapped.height()  # the row grew to show all of it
