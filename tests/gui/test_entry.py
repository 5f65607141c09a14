"""Entering records as a nurse would: shortcut, type, Enter; then table, chart, flags, board."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from gui_driver import answering, board_row, choose, enter, open_window, press, type_into
from helpers import NOW
from PySide6.QtWidgets import QCheckBox, QDialog, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from itp_monitor.domain.flags import FlagCode
from itp_monitor.domain.records import (
    AdverseEvent,
    BleedingAssessment,
    Delivery,
    Injection,
    NeonatalCount,
    PatientDetails,
    PlateletCount,
    Treatment,
)
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    """The app open on Nina, 37+1, 68 kg, with no records yet."""
    edd = NOW.date() + timedelta(days=20)
    patient = services.patients.add(PatientDetails("N1", "Nina Berg", edd, date(1992, 5, 5), 68.0))
    w = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    w.open_patient(patient.id)
    return w


def rows(window: MainWindow, record_type: type) -> list[list[str]]:
    model = window.workspace.record_tabs[record_type].proxy
    return [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def flag_codes(window: MainWindow) -> set[FlagCode]:
    return {f.code for f in window.workspace.flag_list.flags}


def test_a_count_typed_and_saved_shows_everywhere(qtbot: QtBot, window: MainWindow) -> None:
    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "15")
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert rows(window, PlateletCount) == [[f"{NOW:%d %b %Y %H:%M}", "15", "laboratory", ""]]
    assert [y for _, y in window.workspace.chart.plotted_counts()] == [15.0]
    assert {FlagCode.PLT_CRITICAL, FlagCode.DELIVERY_BELOW_CUTOFF} <= flag_codes(window)
    assert "below 20" in window.workspace.flag_list.text()
    row = board_row(window, "N1")
    assert row["Latest ×10⁹/L"] == "15"
    assert "Critical count" in row["Flags"]


def test_an_injection_is_proposed_at_the_protocol_dose(qtbot: QtBot, window: MainWindow) -> None:
    seen: dict[str, str] = {}

    def fill(dialog: QDialog) -> None:
        seen["dose"] = dialog.findChild(type(dialog.field("dose_units").edit), "dose_units").text()
        seen["note"] = dialog.findChild(QLabel, "dose_units_note").text()
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+2")
    assert seen == {"dose": "20400", "note": "= 300 U/kg at 68 kg"}
    [injection] = rows(window, Injection)
    assert injection[1:4] == ["68", "20,400", "300"]  # weight kg, dose U, U/kg
    assert len(window.workspace.chart.plotted_injections()) == 1
    assert window.workspace.header.facts["Course"].text().startswith("day 1")
    assert board_row(window, "N1")["Course day"] == "1"


def test_the_dose_in_u_per_kg_follows_what_is_typed(qtbot: QtBot, window: MainWindow) -> None:
    notes: list[str] = []

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "dose_units", "17000")
        notes.append(dialog.findChild(QLabel, "dose_units_note").text())
        type_into(qtbot, dialog, "weight_kg", "85")
        notes.append(dialog.findChild(QLabel, "dose_units_note").text())
        dialog.reject()

    with answering(fill):
        press(qtbot, window, "Ctrl+2")
    assert notes == ["= 250 U/kg at 68 kg", "= 200 U/kg at 85 kg"]
    assert rows(window, Injection) == []


def test_an_unusual_dose_needs_its_box_ticked(qtbot: QtBot, window: MainWindow) -> None:
    shown: dict[str, object] = {}

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "dose_units", "9000")
        enter(qtbot, dialog)
        confirm = dialog.findChild(QCheckBox)
        shown["warning"] = dialog.findChild(QLabel, "dose_units_message").text()
        shown["asked"] = confirm.isVisible()
        shown["saved before ticking"] = len(rows(window, Injection))
        confirm.setChecked(True)
        dialog.save_button.click()

    with answering(fill):
        press(qtbot, window, "Ctrl+2")
    assert "132 U/kg at 68 kg, outside 200–400 U/kg" in str(shown["warning"])
    assert shown["asked"] is True and shown["saved before ticking"] == 0
    assert rows(window, Injection)[0][2] == "9,000"


def test_a_bad_count_is_refused_beside_its_field_and_nothing_is_saved(
    qtbot: QtBot, window: MainWindow
) -> None:
    messages: list[str] = []

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "45000")
        enter(qtbot, dialog)
        messages.append(dialog.findChild(QLabel, "value_message").text())
        type_into(qtbot, dialog, "value", "45,5")
        enter(qtbot, dialog)
        messages.append(dialog.findChild(QLabel, "value_message").text())
        assert dialog.isVisible()
        dialog.reject()

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert "45,000/µL is 45 ×10⁹/L" in messages[0]
    assert "write decimals with a point" in messages[1]
    assert rows(window, PlateletCount) == []
    assert board_row(window, "N1")["Latest ×10⁹/L"] == "—"


def test_a_bleeding_assessment(qtbot: QtBot, window: MainWindow) -> None:
    def fill(dialog: QDialog) -> None:
        choose(dialog, "who_grade", 2)
        type_into(qtbot, dialog, "notes", "epistaxis 30 min")
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+3")
    assert rows(window, BleedingAssessment)[0][1].startswith("2: mild but clinically significant")
    assert FlagCode.BLEEDING in flag_codes(window)
    assert "Bleeding" in board_row(window, "N1")["Flags"]


def test_another_treatment_appears_on_the_chart(qtbot: QtBot, window: MainWindow) -> None:
    def fill(dialog: QDialog) -> None:
        choose(dialog, "kind", "ivig")
        type_into(qtbot, dialog, "dose", "1 g/kg")
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+4")
    assert rows(window, Treatment)[0][0] == "IVIG"
    assert rows(window, Treatment)[0][2] == "ongoing"
    assert [s.label for s in window.workspace.chart.data.treatments] == ["IVIG 1 g/kg"]


def test_a_delivery_then_a_newborn_count(qtbot: QtBot, window: MainWindow) -> None:
    def delivery(dialog: QDialog) -> None:
        choose(dialog, "mode", "caesarean")
        choose(dialog, "anaesthesia", "neuraxial")
        type_into(qtbot, dialog, "blood_loss_ml", "650")
        enter(qtbot, dialog)

    with answering(delivery):
        press(qtbot, window, "Ctrl+5")
    assert rows(window, Delivery)[0][1:4] == ["caesarean", "neuraxial", "650"]
    assert FlagCode.NEONATAL_COUNT_DUE in flag_codes(window)
    assert board_row(window, "N1")["GA"].startswith("delivered")
    assert window.workspace.chart.data.delivery is not None

    def newborn(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "40")
        type_into(qtbot, dialog, "notes", "cord blood")
        enter(qtbot, dialog)

    with answering(newborn):
        press(qtbot, window, "Ctrl+6")
    assert rows(window, NeonatalCount)[0][1:] == ["40", "cord blood"]
    [low] = [f for f in window.workspace.flag_list.flags if f.code is FlagCode.NEONATAL_LOW]
    assert low.severity.value == "critical"
    assert "Newborn count low" in board_row(window, "N1")["Flags"]


def test_an_adverse_event(qtbot: QtBot, window: MainWindow) -> None:
    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "description", "injection-site erythema")
        choose(dialog, "related_to_rhtpo", True)
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+7")
    assert rows(window, AdverseEvent)[0][1:4] == ["injection-site erythema", "1: mild", "yes"]


def test_escape_cancels_and_saves_nothing(qtbot: QtBot, window: MainWindow) -> None:
    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "88")
        from PySide6.QtCore import Qt

        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Escape)

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert rows(window, PlateletCount) == []


def test_a_new_patients_edd_starts_empty_and_enter_does_not_save_her_at_term(
    qtbot: QtBot, window: MainWindow, services: Services
) -> None:
    window.show_board()
    seen: dict[str, object] = {}

    def fill(dialog: QDialog) -> None:
        seen["edd"] = dialog.findChild(QLineEdit, "edd").text()
        type_into(qtbot, dialog, "mrn", "N9")
        type_into(qtbot, dialog, "name", "Nadia Sund")
        enter(qtbot, dialog)
        seen["message"] = dialog.findChild(QLabel, "edd_message").text()
        seen["open"] = dialog.isVisible()
        dialog.reject()

    with answering(fill):
        press(qtbot, window.board, "Ctrl+N")
    assert seen == {"edd": "", "message": "is missing", "open": True}
    assert services.patients.find("N9") is None
