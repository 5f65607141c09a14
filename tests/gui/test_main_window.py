"""The first window, used as a person would: open it, load the demonstration ward, read the list."""

from __future__ import annotations

from helpers import count
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services
from itp_monitor.services.results import PatientInfo


def _window(qtbot: QtBot, services: Services) -> MainWindow:
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    return window


def _column(window: MainWindow, header: str) -> list[str]:
    view = window.patients.table
    model = view.model()
    col = next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == header
    )
    return [model.index(r, col).data() for r in range(model.rowCount())]


def test_the_title_names_the_app_and_the_database(qtbot: QtBot, services: Services) -> None:
    window = _window(qtbot, services)
    assert window.windowTitle().startswith("ITP Monitor")
    assert str(services.db.location.path) in window.windowTitle()
    assert str(services.db.location.path) in window.statusBar().currentMessage()


def test_an_empty_ward_offers_the_demonstration_ward(qtbot: QtBot, services: Services) -> None:
    window = _window(qtbot, services)
    assert window.patients.currentWidget() is window.patients.empty
    qtbot.mouseClick(window.patients.empty.load_demo, Qt.MouseButton.LeftButton)
    assert window.patients.currentWidget() is window.patients.table
    mrns = _column(window, "MRN")
    assert len(mrns) == 12  # the archived woman is not on the ward
    assert all(m.startswith("DEMO-") for m in mrns)
    assert "Loaded the demonstration ward: 13 patients" in window.statusBar().currentMessage()


def test_the_offer_is_shown_whole(qtbot: QtBot, services: Services) -> None:
    window = _window(qtbot, services)
    qtbot.waitExposed(window)
    label = window.patients.empty.text
    assert label.height() >= label.heightForWidth(label.width())  # no line cut off


def test_each_patient_shows_her_latest_count(
    qtbot: QtBot, services: Services, patient: PatientInfo
) -> None:
    services.records.record(patient.id, count(18, hours=30))
    services.records.record(patient.id, count(42.5, hours=3))
    window = _window(qtbot, services)
    assert _column(window, "MRN") == ["A1001"]
    assert _column(window, "Name") == ["Jane Doe"]
    assert _column(window, "Latest count ×10⁹/L") == ["42.5"]
    assert _column(window, "Counts") == ["2"]


def test_the_list_sorts_by_latest_count(qtbot: QtBot, services: Services) -> None:
    services.demo.load()
    window = _window(qtbot, services)
    window.patients.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    values = [float(v) for v in _column(window, "Latest count ×10⁹/L")]
    assert values == sorted(values) and values[0] == 9.0
