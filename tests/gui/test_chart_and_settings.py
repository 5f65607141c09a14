"""The chart's axes, scale and hover text; the protocol settings dialog."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest
from gui_driver import board_row, open_window
from helpers import NOW
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from itp_monitor.domain.records import BleedingAssessment, PatientDetails, PlateletCount
from itp_monitor.gui.chart.chart import GESTATIONAL, PlateletChart
from itp_monitor.gui.dialogs.protocol_settings import ProtocolSettingsDialog
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.gui.palette import colour
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


def in_view(chart: PlateletChart, x: float) -> bool:
    (left, right), _ = chart.counts_plot.viewRange()
    return left <= x <= right


def wheel_zoom(chart: PlateletChart) -> None:
    """One notch of the mouse wheel over the middle of the counts, as a person zooms in."""
    box = chart.counts_plot.getViewBox()
    centre = chart.view.mapFromScene(box.mapToScene(box.boundingRect().center()))
    viewport = chart.view.viewport()
    QApplication.sendEvent(
        viewport,
        QWheelEvent(
            QPointF(centre),
            QPointF(viewport.mapToGlobal(centre)),
            QPoint(0, 0),
            QPoint(0, 120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        ),
    )


def test_a_new_womans_first_counts_come_into_view(
    qtbot: QtBot, services: Services, elsewhere: Services, tmp_path: Path
) -> None:
    window = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    patient = services.patients.add(
        PatientDetails("N1", "Nadia New", NOW.date() + timedelta(days=70), None, 60.0)
    )
    window.open_patient(patient.id)
    chart = window.workspace.chart
    baseline = NOW - timedelta(days=6)
    elsewhere.records.record(patient.id, PlateletCount(baseline, 18.0, "lab"))
    elsewhere.records.record(patient.id, PlateletCount(NOW - timedelta(hours=1), 22.0, "lab"))
    window.poll_changes()  # as the lab's results arrive from another workstation
    assert [y for _, y in chart.plotted_counts()] == [18.0, 22.0]
    assert all(in_view(chart, x) for x, _ in chart.plotted_counts())


def test_a_zoom_the_user_made_stays_when_a_count_arrives(
    qtbot: QtBot, window: MainWindow, elsewhere: Services
) -> None:
    open_mrn(window, "DEMO-03")
    chart = window.workspace.chart
    wheel_zoom(chart)
    zoomed = chart.counts_plot.viewRange()
    patient_id = window.workspace.patient_id
    elsewhere.records.record(patient_id, PlateletCount(NOW, 25.0, "lab"))
    window.poll_changes()
    assert 25.0 in [y for _, y in chart.plotted_counts()]
    assert chart.counts_plot.viewRange()[0] == pytest.approx(zoomed[0])
    chart.reset_button.click()
    elsewhere.records.record(patient_id, PlateletCount(NOW - timedelta(hours=1), 26, "lab"))
    window.poll_changes()
    assert all(in_view(chart, x) for x, _ in chart.plotted_counts())


def bleeding_colours(chart: PlateletChart) -> dict[int, str]:
    """WHO grade -> the colour its dot is drawn in."""
    spots = chart.bleeding_points.data
    return {
        int(value.value): spot_brush.color().name()
        for value, spot_brush in zip(spots["data"], spots["brush"], strict=True)
    }


def test_the_bleeding_colour_follows_the_protocols_bleeding_grade(
    qtbot: QtBot, window: MainWindow
) -> None:
    red, grey = QColor(colour("vermillion")).name(), QColor(colour("grey")).name()
    patient = window.services.patients.find("DEMO-06")
    assert patient is not None
    window.services.records.record(
        patient.id, BleedingAssessment(NOW - timedelta(hours=3), 1, "petechiae")
    )
    window.open_patient(patient.id)
    chart = window.workspace.chart
    assert bleeding_colours(chart) == {1: grey, 2: red}  # the shipped setting: from grade 2
    changed = window.services.protocol.change("bleeding_min_who_grade", 3, "unit policy")
    window.hub.announce(changed.changes)
    assert bleeding_colours(chart) == {1: grey, 2: grey}
    changed = window.services.protocol.change("bleeding_min_who_grade", 1, "unit policy")
    window.hub.announce(changed.changes)
    assert bleeding_colours(chart) == {1: red, 2: red}


def test_the_delivery_window_closes_where_the_pregnancy_becomes_post_term(
    window: MainWindow,
) -> None:
    open_mrn(window, "DEMO-03")
    data = window.workspace.chart.data
    assert data.window_end is not None and data.window_start is not None
    assert data.window_end.date() - data.edd == timedelta(days=14)  # 42+0
    assert data.edd - data.window_start.date() == timedelta(days=28)  # 36+0


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
    label, value, unit, default, _source, changed = dialog.shown("neuraxial_min")
    assert (label, value, unit, default) == ("Neuraxial anaesthesia cutoff", "90", "×10⁹/L", "70")
    assert "anaesthetists' local policy" in changed
    window.hub.announce(dialog.changes)
    epidural = [r for r in board_row(window, "DEMO-05")["Flags"].split("; ") if "epidural" in r]
    assert epidural


def test_the_protocol_shows_most_settings_at_once_grouped(qtbot: QtBot, window: MainWindow) -> None:
    dialog = ProtocolSettingsDialog(window.services.protocol, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    tree = dialog.tree
    headings = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert headings[:5] == [
        "rhTPO treatment",
        "Response (International Working Group)",
        "Platelet count thresholds",
        "Pregnancy and delivery",
        "The newborn",
    ]
    settings = window.services.protocol.settings()
    under = {
        tree.topLevelItem(i).child(j).text(0)
        for i in range(len(headings))
        for j in range(tree.topLevelItem(i).childCount())
    }
    assert under == {s.info.label for s in settings}  # every setting, each under a heading
    free = dialog.screen().availableGeometry()
    assert dialog.height() <= free.height() and dialog.width() <= free.width()
    height = tree.viewport().height()
    in_sight = [
        key
        for key, item in dialog.items.items()
        if tree.visualItemRect(item).top() >= 0 and tree.visualItemRect(item).bottom() <= height
    ]
    assert len(in_sight) >= min(len(settings), 20)  # it showed three
    needs_scrolling = len(in_sight) < len(settings)
    assert tree.verticalScrollBar().isVisible() == needs_scrolling
    if needs_scrolling:  # only because the screen is full
        assert dialog.height() >= 0.85 * free.height()
    dialog.select("neonatal_severe_below")
    assert "Newborn count severe" in dialog.details.text() and "Provan" in dialog.details.text()


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
