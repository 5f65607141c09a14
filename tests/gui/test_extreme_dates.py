"""Women an older version stored with a record in the year 1 or an EDD at the calendar's end:
they open, chart, print, and the bad record can be voided. Nothing raises on the way."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from gui_driver import answering, board_row, enter, open_window
from helpers import NOW
from older_versions import stored_by_an_older_version
from PySide6.QtWidgets import QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from itp_monitor.domain.evaluation import evaluate
from itp_monitor.domain.gestation import GestationalAge, date_reaching, gestational_age
from itp_monitor.domain.history import CountPoint, PatientHistory
from itp_monitor.domain.projection import project
from itp_monitor.domain.protocol import default_protocol, default_protocol_in_force, definitions
from itp_monitor.domain.records import PlateletCount
from itp_monitor.gui.chart.axes import FIRST, LAST, CalendarAxis, seconds
from itp_monitor.gui.dialogs.help import menu_actions
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services

YEAR_ONE = datetime(1, 1, 1)
LAST_DAY = date(9999, 12, 31)


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    return open_window(qtbot, services, str(tmp_path / "settings.ini"))


@pytest.fixture
def saved_to(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Save dialogs answered with the suggested name, in a folder of the test's."""
    folder = tmp_path / "printed"
    folder.mkdir()
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda _parent, _caption, suggested="", *_: (str(folder / Path(suggested).name), ""),
    )
    return folder


def pdf_text(path: Path) -> str:
    document = pdfium.PdfDocument(path)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def trigger(window: MainWindow, where: str) -> None:
    next(a for w, a in menu_actions(window) if w == where).trigger()


def test_a_count_dated_the_year_1_opens_charts_prints_and_is_voided(
    qtbot: QtBot, window: MainWindow, services: Services, saved_to: Path
) -> None:
    patient_id = stored_by_an_older_version(services, "Y1", count_at=YEAR_ONE)
    window.refresh_ward()
    assert board_row(window, "Y1")["Latest ×10⁹/L"] == "40"
    with qtbot.captureExceptions() as raised:
        window.open_patient(patient_id)
        window.grab()  # painted, axes and all
    assert not raised, raised and repr(raised[0][1])
    chart = window.workspace.chart
    plotted = chart.plotted_counts()
    assert sorted(y for _, y in plotted) == [30.0, 40.0]
    edge = next(x for x, y in plotted if y == 30.0)
    assert edge == chart.x_of(FIRST)  # drawn at the edge of the chart's calendar
    (left, right), _ = chart.counts_plot.viewRange()
    assert left <= chart.x_of(NOW - timedelta(days=1)) <= right  # her real count in view
    assert chart.outside_label.isVisibleTo(chart)
    assert "1 record dated outside 1900–2199" in chart.outside_label.text()

    with qtbot.captureExceptions() as raised:
        trigger(window, "Reports → Save the delivery handover as PDF…")
    assert not raised, raised and repr(raised[0][1])
    assert "Y1" in pdf_text(saved_to / "handover-Y1.pdf")

    tab = window.workspace.record_tabs[PlateletCount]
    row = next(r for r in range(tab.proxy.rowCount()) if tab.proxy.index(r, 1).data() == "30")
    tab.select_row(row)

    def void(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.reason, "dated the year 1 by an older version")  # type: ignore[attr-defined]
        enter(qtbot, dialog)

    with answering(void), qtbot.captureExceptions() as raised:
        tab.void.click()
    assert not raised, raised and repr(raised[0][1])
    assert [s.record.value for s in services.patients.records(patient_id).counts] == [40.0]
    assert [y for _, y in chart.plotted_counts()] == [40.0]
    assert not chart.outside_label.isVisibleTo(chart)


@pytest.mark.parametrize("edd", [LAST_DAY, date(1, 1, 1)], ids=["9999-12-31", "0001-01-01"])
def test_an_edd_at_the_calendars_end_opens_charts_and_prints(
    qtbot: QtBot, window: MainWindow, services: Services, saved_to: Path, edd: date
) -> None:
    patient_id = stored_by_an_older_version(services, "E1", edd=edd)
    window.refresh_ward()
    assert board_row(window, "E1")["EDD"].endswith(str(edd.year))
    with qtbot.captureExceptions() as raised:
        window.open_patient(patient_id)
        window.workspace.chart.axis_choice.setCurrentIndex(1)  # gestational weeks
        window.grab()
        window.workspace.chart.axis_choice.setCurrentIndex(0)
        window.grab()
        trigger(window, "Reports → Save the delivery handover as PDF…")
        trigger(window, "Reports → Save the ward summary as PDF…")
    assert not raised, raised and repr(raised[0][1])
    assert window.workspace.header.facts["EDD"].text().endswith(str(edd.year))
    assert [y for _, y in window.workspace.chart.plotted_counts()] == [40.0]
    assert not window.workspace.chart.window_region.isVisible()  # its window is off the calendar
    assert "E1" in pdf_text(saved_to / "handover-E1.pdf")
    assert "E1" in pdf_text(saved_to / "ward-summary.pdf")


def test_a_view_dragged_far_off_keeps_its_date_labels(qtbot: QtBot) -> None:
    axis = CalendarAxis()
    for low, high in [(-1e13, 1e13), (seconds(FIRST) - 1e9, seconds(FIRST)), (0, 1e15)]:
        for spacing, ticks in axis.tickValues(low, high, 800):
            assert len(ticks) <= 40
            labels = axis.tickStrings(ticks, 1.0, spacing)
            assert all(label.strip() for label in labels)
    assert seconds(YEAR_ONE) == seconds(FIRST) and seconds(datetime.max) == seconds(LAST)


def test_the_date_arithmetic_of_the_rules_never_raises() -> None:
    d = definitions()
    for edd in (date.min, date(1, 1, 20), LAST_DAY, date(9999, 12, 20)):
        for weeks in (0, 28, 37, 42):
            reached = date_reaching(edd, GestationalAge.of(weeks), d)
            assert reached is None or isinstance(reached, date)
        for on in (date.min, NOW.date(), date.max):
            gestational_age(edd, on, d)
        counts = [CountPoint(YEAR_ONE, 30.0), CountPoint(NOW - timedelta(days=2), 40.0)]
        for at in (NOW, YEAR_ONE, datetime(1, 2, 1), datetime(9999, 12, 31, 23, 59)):
            history = PatientHistory(edd=edd, counts=counts)
            evaluate(history, at, default_protocol_in_force(), d)
            project(counts, at, edd, default_protocol(), d)
    assert date_reaching(date(1, 1, 5), GestationalAge.of(37), d) is None
    assert date_reaching(LAST_DAY, GestationalAge.of(42), d) is None
    assert date_reaching(date(2027, 1, 10), GestationalAge.of(37), d) == date(2026, 12, 20)
