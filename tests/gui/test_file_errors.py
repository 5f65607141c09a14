"""Every action that writes a file, into a read-only folder, a missing folder or onto a full
disk: a message naming the file and what is wrong, in words; nothing half-written; never
the box for an unexpected error. And a refused record import reads in a box wide enough."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from disks import fill, read_only, tiny_disk
from gui_driver import open_window
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from itp_monitor.gui.dialogs.help import menu_actions
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services

WRITERS = [
    "File → Export a record file…",
    "Reports → Save the delivery handover as PDF…",
    "Reports → Save the ward summary as PDF…",
    "Reports → Export the ward's counts and injections (CSV)…",
    "Reports → Export this woman's counts and injections (CSV)…",
    "Reports → Export the de-identified case series…",
    "Reports → Export this woman as FHIR…",
]


class Messages:
    """Reads and closes every message box that opens while it runs."""

    def __init__(self) -> None:
        self.told: list[str] = []
        self.widths: list[int] = []
        self.boxes: list[dict[str, Any]] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._read)
        self.timer.start()

    def _read(self) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            label = box.findChild(QLabel, "qt_msgbox_informativelabel")
            self.boxes.append(
                {
                    "text": box.text(),
                    "informative": box.informativeText(),
                    "details": box.detailedText(),
                    "width": box.width(),
                    "informative width": label.width() if label is not None else 0,
                }
            )
            self.told.append(f"{box.text()} {box.informativeText()}".strip())
            box.done(0)
        elif box is not None:
            box.close()

    def stop(self) -> None:
        self.timer.stop()


@contextmanager
def reading_messages() -> Iterator[Messages]:
    messages = Messages()
    try:
        yield messages
    finally:
        messages.stop()


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    services.demo.load()
    w = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    patient = services.patients.find("DEMO-03")
    assert patient is not None
    w.open_patient(patient.id)  # the exports of one woman need her open
    return w


def answer_save_dialogs(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Every 'save as' dialog answered with the name it suggests, in `folder`."""

    def save_name(parent: Any, caption: str, suggested: str = "", *a: Any) -> Any:
        return str(folder / Path(suggested).name), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)


def write_into(window: MainWindow, where: str, folder: Path) -> str:
    """Triggers the menu action `where`, the file to go into `folder`; what it said."""
    action = next(a for path, a in menu_actions(window) if path == where)
    window.statusBar().clearMessage()
    with reading_messages() as messages:
        action.trigger()
    assert len(messages.told) == 1, (
        f"{where}: {messages.told or window.statusBar().currentMessage()}"
    )
    return messages.told[0]


def cases() -> list[Any]:
    made = []
    for place in ("read-only folder", "missing folder", "full disk"):
        for where in WRITERS:
            made.append(pytest.param(place, where, id=f"{place}: {where}"))
    return made


@pytest.mark.parametrize(("place", "where"), cases())
def test_a_file_that_cannot_be_written_is_said_in_words(
    qtbot: QtBot,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    place: str,
    where: str,
) -> None:
    if place == "missing folder":
        folder = tmp_path / "nowhere"
        answer_save_dialogs(monkeypatch, folder)
        told = write_into(window, where, folder)
        assert f"the folder {folder} does not exist" in told
        assert not folder.exists()
    elif place == "read-only folder":
        shared = tmp_path / "shared"
        shared.mkdir()
        with read_only(shared) as folder:
            answer_save_dialogs(monkeypatch, folder)
            told = write_into(window, where, folder)
            # a read-only disk (root, in CI) or a folder without write permission
            assert f"the folder {folder} is read-only" in told
            assert list(folder.iterdir()) == []
    else:
        with tiny_disk(tmp_path / "disk", 64) as folder:
            fill(folder)
            answer_save_dialogs(monkeypatch, folder)
            told = write_into(window, where, folder)
            assert "the disk is full" in told
            assert [p.name for p in folder.iterdir()] == ["filler"]
    assert told.startswith(f"Could not write {folder}/")
    assert told.endswith("Nothing was written.")
    assert "unexpected" not in told and "Errno" not in told


def test_a_refused_record_import_reads_in_a_wide_box_with_the_list_in_details(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    patients = [
        {"mrn": f"BAD-{n:02}", "name": "", "edd": "someday in the distant future"}
        for n in range(12)
    ]
    record = tmp_path / "a-record-file-from-the-maternity-unit-of-another-hospital.json"
    record.write_text(json.dumps({"format": "itp-monitor/1", "patients": patients}))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(record), ""))
    action = next(a for path, a in menu_actions(window) if path == "File → Import a record file…")
    with reading_messages() as messages:
        action.trigger()
    (box,) = messages.boxes
    assert box["text"] == f"Nothing was saved from {record}:"
    problems = box["details"].splitlines()
    assert len(problems) >= 12 and box["informative"].startswith(problems[0])
    assert f"and {len(problems) - 1} more" in box["informative"]
    # wide enough for a sentence a line: not a column of a few words each
    average = QFontMetrics(window.font()).averageCharWidth()
    assert box["width"] >= 60 * average
    metrics = QFontMetrics(window.font())
    first = metrics.boundingRect(
        QRect(0, 0, box["informative width"], 10_000), Qt.TextFlag.TextWordWrap, problems[0]
    )
    assert first.height() <= 2 * metrics.lineSpacing()  # the first problem in two lines at most
    assert window.services.patients.find("BAD-00") is None
