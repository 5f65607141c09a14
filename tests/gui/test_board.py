"""The ward board as staff use it: who needs attention first, search, archived, and the keyboard."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from gui_driver import answering, board_cells, board_row, open_window, press, type_into
from helpers import NOW
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage
from PySide6.QtWidgets import QDialog, QStyle
from pytestqt.qtbot import QtBot

from itp_monitor.domain.flags import FlagCode
from itp_monitor.domain.records import PatientDetails
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.gui.models.ward import FLAGS_COLUMN, flags_of
from itp_monitor.gui.palette import SEVERITY
from itp_monitor.gui.widgets.badges import badge_text, layout_badges, widest_badge
from itp_monitor.services.container import Services


@pytest.fixture
def empty_window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    return open_window(qtbot, services, str(tmp_path / "settings.ini"))


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    services.demo.load()
    return open_window(qtbot, services, str(tmp_path / "settings.ini"))


def test_the_title_names_the_app_and_the_database(
    empty_window: MainWindow, services: Services
) -> None:
    assert empty_window.windowTitle().startswith("ITP Monitor")
    assert str(services.db.location.path) in empty_window.windowTitle()
    assert str(services.db.location.path) in empty_window.location_label.text()


def test_an_empty_ward_offers_the_demonstration_ward(
    qtbot: QtBot, empty_window: MainWindow
) -> None:
    board = empty_window.board
    assert board.pages.currentWidget() is board.empty
    label = board.empty.text
    assert label.height() >= label.heightForWidth(label.width())  # no line cut off
    qtbot.mouseClick(board.empty.load_demo, Qt.MouseButton.LeftButton)
    assert board.pages.currentWidget() is board.table
    assert len(board_cells(empty_window, "MRN")) == 12
    assert "Loaded the demonstration ward: 13 patients" in empty_window.statusBar().currentMessage()


def test_the_most_urgent_come_first(window: MainWindow) -> None:
    flags = board_cells(window, "Flags")
    worst = [0 if "critical" in f else 1 if "warning" in f else 2 for f in flags]
    assert worst == sorted(worst)
    assert board_row(window, "DEMO-06")["Flags"] == "critical: Critical count; critical: Bleeding"
    assert board_cells(window, "MRN")[-3:] == ["DEMO-01", "DEMO-02", "DEMO-12"]  # no flags


def test_every_column_sorts_by_its_own_value(window: MainWindow) -> None:
    header = [window.board.proxy.headerData(c, Qt.Orientation.Horizontal) for c in range(9)]
    window.board.table.sortByColumn(header.index("Latest ×10⁹/L"), Qt.SortOrder.AscendingOrder)
    values = [float(v) for v in board_cells(window, "Latest ×10⁹/L")]
    assert values == sorted(values) and values[0] == 9 and values[-1] == 431
    window.board.table.sortByColumn(header.index("EDD"), Qt.SortOrder.DescendingOrder)
    assert board_cells(window, "MRN")[0] == "DEMO-12"  # EDD in April
    window.board.table.sortByColumn(FLAGS_COLUMN, Qt.SortOrder.AscendingOrder)
    assert "critical" in board_cells(window, "Flags")[0]


def test_each_badge_says_what_it_is_not_only_its_colour(window: MainWindow) -> None:
    index = window.board.proxy.index(0, FLAGS_COLUMN)
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert "below" in tip or "bleeding" in tip.lower()


def test_search_by_mrn_or_name_and_enter_opens_her(qtbot: QtBot, window: MainWindow) -> None:
    search = window.board.search
    press(qtbot, window, "Ctrl+F")
    assert search.hasFocus()
    qtbot.keyClicks(search, "keiko")
    assert board_cells(window, "MRN") == ["DEMO-11"]
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert window.showing_patient()
    assert window.windowTitle().startswith("ITP Monitor — Keiko Tanaka (DEMO-11)")
    press(qtbot, window, "Ctrl+B")
    assert not window.showing_patient()
    search.clear()
    qtbot.keyClicks(search, "demo-0")
    assert len(board_cells(window, "MRN")) == 9


def test_archived_patients_show_only_when_asked(qtbot: QtBot, window: MainWindow) -> None:
    assert "DEMO-13" not in board_cells(window, "MRN")
    window.board.show_archived.setChecked(True)
    assert "DEMO-13" in board_cells(window, "MRN")


def test_a_new_patient_is_admitted_from_the_keyboard(qtbot: QtBot, window: MainWindow) -> None:
    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "mrn", "Z900")
        type_into(qtbot, dialog, "name", "Zoe Park")
        type_into(qtbot, dialog, "weight_kg", "64")
        dialog.field("edd").set_value(NOW.date().replace(year=2027, month=2, day=1))
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)

    with answering(fill):
        press(qtbot, window, "Ctrl+N")
    assert window.showing_patient()
    assert window.workspace.header.facts["MRN"].text() == "Z900"
    assert "Z900" in board_cells(window, "MRN")


def test_the_first_woman_admitted_on_an_empty_ward_is_on_the_board(
    qtbot: QtBot, empty_window: MainWindow
) -> None:
    """Not the panel that offers the demonstration ward: she is there when staff go back."""

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "mrn", "Z900")
        type_into(qtbot, dialog, "name", "Zoe Park")
        dialog.field("edd").set_value(NOW.date().replace(year=2027, month=2, day=1))
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)

    board = empty_window.board
    with answering(fill):
        press(qtbot, empty_window, "Ctrl+N")
    press(qtbot, empty_window, "Ctrl+B")
    assert board.pages.currentWidget() is board.table
    assert board_cells(empty_window, "MRN") == ["Z900"]


def test_a_woman_admitted_elsewhere_on_an_empty_ward_is_on_the_board(
    empty_window: MainWindow, elsewhere: Services
) -> None:
    elsewhere.patients.add(PatientDetails("Z901", "Ada Lin", NOW.date() + timedelta(days=60)))
    empty_window.poll_changes()
    board = empty_window.board
    assert board.pages.currentWidget() is board.table
    assert board_cells(empty_window, "MRN") == ["Z901"]


def test_the_last_patient_is_remembered(qtbot: QtBot, services: Services, tmp_path: Path) -> None:
    services.demo.load()
    first = open_window(qtbot, services, str(tmp_path / "remember.ini"))
    patient = services.patients.find("DEMO-05")
    assert patient is not None
    first.open_patient(patient.id)
    first.close()
    second = open_window(qtbot, services, str(tmp_path / "remember.ini"))
    assert second.board.selected_patient_id() == patient.id


def test_the_about_box_says_version_and_database(
    window: MainWindow, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        "itp_monitor.gui.dialogs.help.QMessageBox.about",
        lambda _parent, _title, text: shown.append(text),
    )
    window.about()
    from itp_monitor import __version__

    assert __version__ in shown[0] and str(services.db.location.path) in shown[0]


def badge_pixels(image: QImage, rect: QRect) -> int:
    """How many pixels of `rect` have a badge's colour (the warning or critical fill)."""
    fills = {QColor(SEVERITY[s][0]).rgb() for s in ("critical", "warning")}
    return sum(
        1
        for x in range(rect.left(), rect.right() + 1)
        for y in range(rect.top(), rect.bottom() + 1)
        if image.pixel(x, y) in fills
    )


@pytest.mark.parametrize("width", [640, 900])
def test_no_badge_covers_the_mrn_in_a_narrow_window(
    qtbot: QtBot, window: MainWindow, width: int
) -> None:
    window.resize(width, 700)
    qtbot.waitUntil(lambda: window.width() <= max(width, window.minimumSizeHint().width()))
    table = window.board.table
    proxy = window.board.proxy
    mrn_column = next(
        c
        for c in range(proxy.columnCount())
        if proxy.headerData(c, Qt.Orientation.Horizontal) == "MRN"
    )
    flags_width = table.columnWidth(FLAGS_COLUMN)
    assert flags_width >= widest_badge(table.font())  # the longest badge fits whole
    picture = table.viewport().grab().toImage()
    long_badge_seen = False
    for row in range(proxy.rowCount()):
        cell = table.visualRect(proxy.index(row, FLAGS_COLUMN))
        mrn = table.visualRect(proxy.index(row, mrn_column))
        for flag, rect, text in layout_badges(
            flags_of(proxy.index(row, FLAGS_COLUMN)), table.font(), flags_width
        ):
            badge = rect.translated(cell.topLeft())
            assert not badge.intersects(mrn), f"{flag.code.heading} covers the MRN"
            assert cell.contains(badge), f"{flag.code.heading} leaves its cell"
            assert text == badge_text(flag)  # whole, not shortened
            long_badge_seen |= flag.code is FlagCode.PROJECTED_BELOW_DELIVERY
        visible_mrn = mrn.intersected(table.viewport().rect())
        if not visible_mrn.isEmpty():
            assert badge_pixels(picture, visible_mrn) == 0, f"a badge is painted over row {row}"
    assert long_badge_seen  # DEMO-10's "Projected below delivery cutoff" was among them


def test_a_badge_in_a_cell_too_narrow_is_shortened_inside_it(window: MainWindow) -> None:
    font = window.board.table.font()
    flags = window.services.evaluation.ward()[0].evaluation.flags
    for flag, rect, text in layout_badges(flags, font, 90):
        assert rect.left() >= 0 and rect.right() < 90
        assert text == badge_text(flag) or text.endswith("…")


@pytest.mark.parametrize("point_size", [11, 13])  # the app's own font, and a larger one
def test_on_a_1366_by_768_laptop_every_column_reads_whole_without_scrolling(
    qtbot: QtBot, window: MainWindow, point_size: int
) -> None:
    font = QFont(window.font())
    font.setPointSize(point_size)
    window.setFont(font)
    window.resize(1366, 768)
    table = window.board.table
    qtbot.waitUntil(lambda: table.font().pointSize() == point_size and window.width() == 1366)
    qtbot.wait(50)  # the board lays itself out again for the new width and font
    proxy, header = window.board.proxy, table.horizontalHeader()
    assert table.horizontalScrollBar().maximum() == 0  # nothing to scroll sideways to
    assert header.length() <= table.viewport().width()
    metrics = QFontMetrics(table.font())
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    for column in range(proxy.columnCount()):
        name = proxy.headerData(column, Qt.Orientation.Horizontal)
        assert header.sectionSizeHint(column) <= header.sectionSize(column), f"header {name}"
        for row in range(proxy.rowCount()):
            index = proxy.index(row, column)
            cell = table.visualRect(index)
            if column == FLAGS_COLUMN:
                for flag, rect, text in layout_badges(flags_of(index), font, cell.width()):
                    assert text == badge_text(flag) and rect.bottom() < cell.height()
                continue
            text = index.data()
            room = cell.width() - 2 * margin
            for word in text.split():
                assert metrics.horizontalAdvance(word) <= room, f"{name}: {text!r} is cut"
            lines = metrics.boundingRect(QRect(0, 0, room, 10_000), Qt.TextFlag.TextWordWrap, text)
            assert lines.height() <= cell.height(), f"{name}: {text!r} is cut off below"
    assert "complete response, confirmed" in board_cells(window, "Response")
