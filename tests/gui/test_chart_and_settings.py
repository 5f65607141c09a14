"""The chart's axes, scale and hover text; the protocol settings dialog."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from gui_driver import board_row, open_window
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from itp_monitor.gui.chart.chart import GESTATIONAL
from itp_monitor.gui.dialogs.protocol_settings import ProtocolSettingsDialog
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    services.demo.load()
    return open_window(qtbot, services, str(tmp_path / "settings.ini"))


def open_mrn(window: MainWindow, mrn: str) -> None:
    patient = window.services.patients.find(mrn)
    assert patient is not None
    window.open_patient(patient.id)


def test_the_chart_draws_the_counts_bands_and_lane(window: MainWindow) -> None:
    open_mrn(window, "DEMO-03")
    chart = window.workspace.chart
    records = window.workspace.records
    assert [y for _, y in chart.plotted_counts()] == [s.record.value for s in records.counts]
    assert len(chart.plotted_injections()) == 14
    lows = sorted(low for low, _ in chart.band_edges())
    assert lows == [0, 20, 30, 50, 70, 100, 400]
    assert not chart.projection_shown()
    assert chart.data.treatments[0].label == "IVIG 1 g/kg on two days"


def test_hovering_a_count_tells_value_date_gestation_and_course_day(window: MainWindow) -> None:
    open_mrn(window, "DEMO-03")
    data = window.workspace.chart.data
    tip = data.tip(data.counts[-1])
    assert tip.startswith("21 ×10⁹/L\n")
    assert "37+0" in tip and "course day 18" in tip


def test_the_projection_is_drawn_when_it_raises_its_flag(window: MainWindow) -> None:
    open_mrn(window, "DEMO-10")
    chart = window.workspace.chart
    assert chart.projection_shown()
    assert "projected 27" in chart.projection_label.toPlainText()


def test_the_time_axis_switches_to_gestational_weeks(window: MainWindow) -> None:
    open_mrn(window, "DEMO-03")
    chart = window.workspace.chart
    calendar_x = [x for x, _ in chart.plotted_counts()]
    chart.axis_choice.setCurrentIndex(chart.axis_choice.findData(GESTATIONAL))
    weeks = [x / 7 for x, _ in chart.plotted_counts()]
    assert calendar_x[0] > 1e9  # seconds since 1970
    assert 34 < weeks[0] < weeks[-1] < 37.2  # 34+2 to 37+0
    assert window.settings.value("chart/axis_mode") == GESTATIONAL


def test_a_log_scale_keeps_the_bands_with_their_counts(window: MainWindow) -> None:
    open_mrn(window, "DEMO-11")
    chart = window.workspace.chart
    chart.log_box.setChecked(True)
    ys = [y for _, y in chart.plotted_counts()]
    assert ys[-1] == pytest.approx(math.log10(431))
    assert (math.log10(400), pytest.approx(math.log10(2000))) in [
        (low, pytest.approx(high)) for low, high in chart.band_edges()
    ] or any(abs(low - math.log10(400)) < 1e-9 for low, _ in chart.band_edges())


def test_zoom_then_reset(window: MainWindow) -> None:
    open_mrn(window, "DEMO-03")
    chart = window.workspace.chart
    before = chart.counts_plot.viewRange()
    chart.counts_plot.getViewBox().scaleBy((0.2, 0.2))
    assert chart.counts_plot.viewRange() != before
    chart.reset_button.click()
    assert chart.counts_plot.viewRange()[0] == pytest.approx(before[0])


def test_a_unit_changes_a_threshold_with_a_reason_and_the_board_follows(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert "Below delivery cutoff" not in board_row(window, "DEMO-08")["Flags"]
    dialog = ProtocolSettingsDialog(window.services.protocol, window)
    qtbot.addWidget(dialog)
    dialog.confirm = lambda _text: True  # the question a person answers with Yes
    dialog.select("neuraxial_min")
    dialog.value.setText("90")
    dialog.reason.setText("anaesthetists' local policy")
    dialog.apply.click()
    assert "now 90" in dialog.message.text()
    row = next(
        r
        for r in range(dialog.table.rowCount())
        if dialog.table.item(r, 0).text().startswith("Neuraxial")
    )
    assert dialog.table.item(row, 1).text() == "90"
    assert "anaesthetists' local policy" in dialog.table.item(row, 5).text()
    window.hub.protocol_changed.emit()
    epidural = [r for r in board_row(window, "DEMO-05")["Flags"].split("; ") if "epidural" in r]
    assert epidural


def test_a_threshold_out_of_order_is_refused_in_the_dialog(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = ProtocolSettingsDialog(window.services.protocol, window)
    qtbot.addWidget(dialog)
    dialog.confirm = lambda _text: True
    dialog.select("delivery_min")
    dialog.value.setText("80")
    dialog.reason.setText("try")
    dialog.apply.click()
    assert "must be at most Neuraxial anaesthesia cutoff (70)" in dialog.message.text()
    assert not dialog.changed


def test_nothing_changes_without_a_yes(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    dialog = ProtocolSettingsDialog(window.services.protocol, window)
    qtbot.addWidget(dialog)
    dialog.select("delivery_min")
    dialog.value.setText("60")
    dialog.reason.setText("policy")
    dialog.apply.click()
    assert not dialog.changed
    assert all(s.is_default for s in window.services.protocol.settings())
