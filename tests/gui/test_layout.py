"""What fits: form messages shown whole (1× and 2×), the chart on a 1366×768 laptop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import NOW, USER
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

import itp_monitor
from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.gui.forms.dialog import EntryDialog
from itp_monitor.gui.forms.record_forms import FORMS
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.errors import Failure, StorageFailure
from itp_monitor.storage.database import Database, resolve_location

LAPTOP = (1366, 768)
CHART_SHARE = 0.4  # the issue's floor: the chart gets at least this much of the window
# a path as long as a ward's network share gives, for the disk-full message
FAR_AWAY = "/mnt/hospital-share/obstetrics/haematology/ward-7b/itp-monitor/itp-monitor.sqlite"


# --- messages shown whole --------------------------------------------------------------


def cut_off(dialog: QWidget) -> list[str]:
    """The visible labels whose text does not fit them, or that lie outside the dialog."""
    found = []
    inside = dialog.rect()
    for label in dialog.findChildren(QLabel):
        if not label.isVisibleTo(dialog) or not label.text():
            continue
        if label.wordWrap():
            short = label.height() < label.heightForWidth(label.width())
        else:
            short = label.width() < label.sizeHint().width()
        where = QRect(label.mapTo(dialog, QPoint(0, 0)), label.size())
        if short or not inside.contains(where):
            found.append(label.text()[:50])
    return found


def long_messages(services: Services, shot: Path | None = None) -> dict[str, list[str]]:
    """Types three entries that earn long messages into a real count form; for each, the
    messages that were cut off (none, when the dialog grew to show them)."""
    patient = services.patients.add(
        PatientDetails("L1", "Lena Ek", NOW.date() + timedelta(days=30), date(1990, 1, 1), 60.0)
    )
    failing = {"now": False}

    def save(values: dict[str, Any], confirmed: bool) -> Any:
        if failing["now"]:
            raise StorageFailure(Failure.FULL, FAR_AWAY)
        record = FORMS[PlateletCount].make(values)
        return services.records.record(patient.id, record, confirmed=confirmed)

    form = FORMS[PlateletCount]
    dialog = EntryDialog(form.title, form.specs, save, clock=lambda: NOW)
    dialog.show()
    found: dict[str, list[str]] = {}

    def attempt(name: str, when: str, count: str) -> None:
        dialog.findChild(QLineEdit, "collected_at").setText(when)
        dialog.findChild(QLineEdit, "value").setText(count)
        dialog.save_button.click()
        for _ in range(3):
            QApplication.processEvents()
        found[name] = cut_off(dialog)

    attempt("unreadable time", "soon", "42")
    attempt("per-µL count", "t 0800", "45000")
    failing["now"] = True
    attempt("disk full", "t 0800", "42")
    if shot is not None:
        dialog.grab().save(str(shot))
    screen = dialog.screen().availableGeometry()
    if dialog.height() > screen.height() or dialog.width() > screen.width():
        found["larger than the screen"] = [f"{dialog.width()}×{dialog.height()}"]
    dialog.close()
    return found


def test_form_messages_are_shown_whole(qtbot: QtBot, services: Services) -> None:
    assert long_messages(services) == {"unreadable time": [], "per-µL count": [], "disk full": []}


def test_form_messages_are_shown_whole_at_twice_the_pixels(db_path: Path, tmp_path: Path) -> None:
    # a 2732×1536 screen at 2×: a 1366×768 laptop's worth of room, drawn at twice the pixels
    screens = {"screens": [{"name": "hi-dpi", "x": 0, "y": 0, "width": 2732, "height": 1536}]}
    config = tmp_path / "screens.json"
    config.write_text(json.dumps(screens))
    source = str(Path(itp_monitor.__file__).parents[1])
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "QT_SCALE_FACTOR": "2",
        "PYTHONPATH": os.pathsep.join([source, str(Path(__file__).parents[1])]),
    }
    done = subprocess.run(
        [sys.executable, __file__, str(db_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ratio"] == 2.0
    assert result["cut off"] == {"unreadable time": [], "per-µL count": [], "disk full": []}


def main() -> None:
    """`python test_layout.py DB [SHOT]`: the long messages at this screen's ratio, as JSON.

    The 2× test runs this in a process of its own: a device pixel ratio is fixed once
    Qt has started.
    """
    app = QApplication(sys.argv[:1])
    database = Database(resolve_location(sys.argv[1]))
    try:
        services = build_services(database, user=USER, clock=lambda: NOW)
        shot = Path(sys.argv[2]) if len(sys.argv) > 2 else None
        found = long_messages(services, shot)
    finally:
        database.dispose()
    ratio = app.primaryScreen().devicePixelRatio()
    print(json.dumps({"ratio": ratio, "cut off": found}))


# --- the chart on a laptop ---------------------------------------------------------------


@pytest.fixture
def font_size() -> Iterator[Callable[[float], None]]:
    """Sets the application's font size (as a laptop's larger text does); restored after."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.font()

    def set_size(points: float) -> None:
        font = QFont(before)
        font.setPointSizeF(points)
        app.setFont(font)

    yield set_size
    app.setFont(before)


@pytest.mark.parametrize("points", [9.0, 13.0])
def test_on_a_1366_by_768_laptop_the_chart_gets_at_least_40_percent(
    qtbot: QtBot,
    services: Services,
    tmp_path: Path,
    font_size: Callable[[float], None],
    points: float,
) -> None:
    from gui_driver import open_window

    font_size(points)
    patient = services.patients.add(
        PatientDetails("W1", "Wen Li", NOW.date() + timedelta(days=40), date(1994, 6, 1), 58.0)
    )
    for day in range(30):
        services.records.record(
            patient.id, PlateletCount(NOW - timedelta(days=day, hours=1), 20.0 + day, "lab")
        )
    window = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    window.open_patient(patient.id)
    window.resize(*LAPTOP)
    qtbot.waitUntil(lambda: window.size().toTuple() == LAPTOP, timeout=2000)
    QApplication.processEvents()
    chart = window.workspace.chart
    assert chart.isVisible()
    assert chart.height() >= CHART_SHARE * window.height(), (chart.height(), window.height())
    # the tables are still there to be used, not squeezed away
    assert window.workspace.record_tabs[PlateletCount].table.height() > 0


if __name__ == "__main__":
    main()
