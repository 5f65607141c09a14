"""The app's start with a database it cannot open, and its last-resort handler: a dialog
that says what is wrong, which file and what to do, never a traceback."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from disks import fill, read_only, tiny_disk
from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from itp_monitor import app as app_module
from itp_monitor import last_resort
from itp_monitor.app import LastResortHook, run_app
from itp_monitor.gui.dialogs.open_failed import OpenFailedDialog
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import upgrade

Step = Callable[[], bool]  # acts on what is on screen; True once it has done its part


@pytest.fixture(autouse=True)
def own_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp: QApplication
) -> Iterator[Path]:
    """The data folder (log, default database) and the window's settings in the test's
    folder, and the application's font as it was: run_app sets up the shared QApplication."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("ITP_MONITOR_DB", raising=False)
    config = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    font, hook = qapp.font(), sys.excepthook
    yield tmp_path / "data" / "itp-monitor"
    qapp.setFont(font)
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, config)
    assert sys.excepthook is hook  # run_app put back the hook it found


def shown(kind: type[QWidget], name: str | None = None) -> QWidget | None:
    for widget in QApplication.topLevelWidgets():
        visible = isinstance(widget, kind) and widget.isVisible()
        if visible and (name is None or widget.objectName() == name):
            return widget
    return None


def answering(steps: list[Step], every_ms: int = 20) -> None:
    """Plays `steps` in order against what appears on screen, from the event loop."""

    def tick() -> None:
        try:
            done = bool(steps) and steps[0]()
        except BaseException:
            # A step that cannot do its part (a button missing) must fail the test, not
            # leave a modal dialog waiting for the timeout: close what is open, then raise
            # (pytest-qt reports an exception raised in a timer).
            steps.clear()
            for widget in QApplication.topLevelWidgets():
                widget.close()
            raise
        if done:
            steps.pop(0)
        if steps:
            QTimer.singleShot(every_ms, tick)

    QTimer.singleShot(every_ms, tick)


def the_dialog(qtbot: QtBot, seen: dict[str, object], button: str) -> Step:
    """Reads the start-up dialog into `seen` and presses the button named `button`."""

    def step() -> bool:
        box = shown(OpenFailedDialog)
        if not isinstance(box, OpenFailedDialog):
            return False
        seen["text"] = box.text()
        seen["info"] = box.informativeText()
        seen["buttons"] = sorted(b.text() for b in box.buttons())
        pressed = next(b for b in box.buttons() if b.text() == button)
        qtbot.mouseClick(pressed, Qt.MouseButton.LeftButton)
        return True

    return step


def closing_the_window(seen: dict[str, object]) -> Step:
    def step() -> bool:
        window = shown(MainWindow)
        if window is None:
            return False
        seen["title"] = window.windowTitle()
        window.close()  # the last window: the app's event loop ends, run_app returns
        return True

    return step


def newer_database(template_db: Path, folder: Path) -> Path:
    path = folder / "newer.sqlite"
    shutil.copy(template_db, path)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0099_future'")
    raw.close()
    return path


@pytest.mark.parametrize("kind", ["folder", "text file", "newer schema"])
def test_a_database_that_cannot_be_opened_shows_what_which_and_what_to_do(
    qtbot: QtBot, tmp_path: Path, template_db: Path, kind: str
) -> None:
    if kind == "folder":
        path, words = tmp_path / "ward-folder", "this is a folder, not a database file"
        path.mkdir()
    elif kind == "text file":
        path, words = tmp_path / "notes.txt", "the file is not an ITP Monitor database"
        path.write_text("shopping list\n")
    else:
        path, words = newer_database(template_db, tmp_path), "newer version of ITP Monitor"
    seen: dict[str, object] = {}
    answering([the_dialog(qtbot, seen, "Quit")])
    assert run_app(str(path)) == 1
    assert words in str(seen["text"])
    assert f"File: {path}" in str(seen["info"])
    assert seen["buttons"] == ["Choose another database…", "Quit"]  # it cannot be read


def test_choosing_another_database_opens_it(qtbot: QtBot, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n")
    chosen = tmp_path / "ward" / "new.sqlite"
    chosen.parent.mkdir()
    seen: dict[str, object] = {}

    def file_dialog() -> bool:
        dialog = shown(QFileDialog)
        if not isinstance(dialog, QFileDialog):
            return False
        name = dialog.findChild(QLineEdit, "fileNameEdit")  # where a person types the name
        assert isinstance(name, QLineEdit)
        name.setText(str(chosen))
        dialog.accept()
        return True

    answering(
        [the_dialog(qtbot, seen, "Choose another database…"), file_dialog, closing_the_window(seen)]
    )
    assert run_app(str(notes)) == 0
    assert seen["title"] == f"ITP Monitor — {chosen}"
    assert chosen.is_file()
    assert notes.read_text() == "shopping list\n"


def test_a_database_another_program_holds_can_be_tried_again(qtbot: QtBot, tmp_path: Path) -> None:
    """An older database must be upgraded, a write, while another program's import holds
    the write lock: the app waits briefly, says busy, and opens it once tried again."""
    path = tmp_path / "older.sqlite"
    older = Database(resolve_location(str(path)))
    upgrade(older, "0003_covering_indexes")
    older.dispose()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    seen: dict[str, object] = {}
    press_try_again = the_dialog(qtbot, seen, "Try again")

    def the_import_ends_then_try_again() -> bool:
        if shown(OpenFailedDialog) is None:
            return False
        other.execute("ROLLBACK")
        return press_try_again()

    answering([the_import_ends_then_try_again, closing_the_window(seen)])
    try:
        assert run_app(str(path)) == 0
    finally:
        other.close()
    assert "the database is busy: another program is writing to it" in str(seen["text"])
    assert seen["buttons"] == ["Choose another database…", "Quit", "Try again"]
    assert seen["title"] == f"ITP Monitor — {path}"


def test_a_read_only_database_opens_read_only_and_a_save_says_read_only(
    qtbot: QtBot, tmp_path: Path, template_db: Path
) -> None:
    """A read-only disk (tests/disks.py: a read-only bind mount as root, else permissions).
    Loading the demonstration ward is disabled; tried all the same (its slot called), it
    says the database was opened read-only, and not to open it read-only."""
    share = tmp_path / "share"
    share.mkdir()
    shutil.copy(template_db, share / "ward.sqlite")
    seen: dict[str, object] = {}
    told: list[str] = []

    def load_demo() -> bool:
        window = shown(MainWindow)
        if window is None:
            return False
        seen["title"] = window.windowTitle()
        action = next(a for a in window.findChildren(QAction) if "demonstration" in a.text())
        seen["demo action"] = (action.isEnabled(), action.statusTip())
        QTimer.singleShot(0, window.load_demo)
        return True

    def read_the_message() -> bool:
        box = next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox)
                and not isinstance(w, OpenFailedDialog)
                and w.isVisible()
            ),
            None,
        )
        if box is None:
            return False
        told.append(f"{box.text()} {box.informativeText()}")
        box.done(0)
        return True

    with read_only(share) as view:
        db = view / "ward.sqlite"
        answering(
            [
                the_dialog(qtbot, seen, "Open read-only"),
                load_demo,
                read_the_message,
                closing_the_window({}),
            ]
        )
        assert run_app(str(db)) == 0
    assert "the database is read-only" in str(seen["text"])
    assert seen["buttons"] == ["Choose another database…", "Open read-only", "Quit"]
    assert seen["title"] == f"ITP Monitor — {db} (read-only)"
    assert seen["demo action"] == (False, "Opened read-only: nothing can be saved")
    assert [t.strip() for t in told] == [
        f"Not saved: the database was opened read-only ({db}): nothing can be saved to it."
    ]


@pytest.fixture
def full_disk(tmp_path: Path, template_db: Path) -> Iterator[Path]:
    """A ward database on a disk with no space left (a small tmpfs: root only)."""
    with tiny_disk(tmp_path / "disk", template_db.stat().st_size // 1024 + 256) as disk:
        db = disk / "ward.sqlite"
        shutil.copy(template_db, db)
        fill(disk)
        yield db


def test_a_full_disk_offers_to_try_again_once_space_is_freed(qtbot: QtBot, full_disk: Path) -> None:
    first: dict[str, object] = {}
    second: dict[str, object] = {}
    end: dict[str, object] = {}
    press_again = the_dialog(qtbot, second, "Try again")

    def space_freed_then_try_again() -> bool:
        if shown(OpenFailedDialog) is None:
            return False
        (full_disk.parent / "filler").unlink()
        return press_again()

    answering(
        [
            the_dialog(qtbot, first, "Try again"),  # still full: asked again
            space_freed_then_try_again,
            closing_the_window(end),
        ]
    )
    assert run_app(str(full_disk)) == 0
    assert "cannot open its database: the disk is full" in str(first["text"])
    assert "Free some space on the disk, then try again" in str(first["info"])
    assert first["buttons"] == [
        "Choose another database…",
        "Open read-only",
        "Quit",
        "Try again",
    ]
    assert second["text"] == first["text"]
    assert end["title"] == f"ITP Monitor — {full_disk}"  # writable: nothing about reading only


def test_a_full_disk_opened_read_only_says_the_disk_is_full(qtbot: QtBot, full_disk: Path) -> None:
    seen: dict[str, object] = {}

    def look() -> bool:
        window = shown(MainWindow)
        if not isinstance(window, MainWindow):
            return False
        label = window.findChild(QLabel, "read_only")
        new = next(a for a in window.findChildren(QAction) if a.text() == "&New patient…")
        seen["title"] = window.windowTitle()
        seen["status"] = label.text() if isinstance(label, QLabel) else ""
        seen["new patient"] = (new.isEnabled(), new.statusTip())
        window.close()
        return True

    answering([the_dialog(qtbot, {}, "Open read-only"), look])
    assert run_app(str(full_disk)) == 0
    assert seen["title"] == f"ITP Monitor — {full_disk} (the disk is full: nothing can be saved)"
    assert "The disk is full: nothing can be saved" in str(seen["status"])
    assert seen["new patient"] == (
        False,
        str(seen["status"]).removeprefix("<b>").removesuffix("</b>"),
    )


def test_an_error_at_start_is_one_short_message_naming_the_log(
    qtbot: QtBot,
    tmp_path: Path,
    template_db: Path,
    own_folders: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "ward.sqlite"
    shutil.copy(template_db, db)

    def broken(*_args: object, **_kwargs: object) -> MainWindow:
        raise RuntimeError("INSERT INTO patients VALUES ('DEMO-03', 45000)")

    monkeypatch.setattr(app_module, "MainWindow", broken)  # a bug nobody foresaw
    told: list[str] = []

    def read_the_message() -> bool:
        box = shown(QMessageBox)
        if not isinstance(box, QMessageBox):
            return False
        told.append(f"{box.text()}\n{box.informativeText()}")
        box.done(0)
        return True

    answering([read_the_message])
    assert run_app(str(db)) == 1
    log = own_folders / last_resort.LOG_NAME
    assert told == [
        f"An unexpected error stopped the app's start (RuntimeError).\nThe details are in {log}."
    ]
    assert "DEMO-03" in log.read_text()


def test_the_last_resort_logs_each_error_shows_one_box_at_a_time_and_the_app_goes_on(
    qtbot: QtBot, tmp_path: Path
) -> None:
    log = tmp_path / "itp-monitor.log"
    button = QPushButton("Go")
    qtbot.addWidget(button)
    presses: list[int] = []

    def slot() -> None:
        presses.append(1)
        raise ValueError(
            f"SELECT value FROM platelet_counts WHERE mrn = 'DEMO-03' -- {len(presses)}"
        )

    button.clicked.connect(slot)
    hook, previous = LastResortHook(log), sys.excepthook
    sys.excepthook = hook
    try:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # while the first box is open
        boxes = [
            w
            for w in QApplication.topLevelWidgets()
            if w.objectName() == "last_resort" and w.isVisible()
        ]
        assert len(boxes) == 1
        box = boxes[0]
        assert isinstance(box, QMessageBox)
        assert box.text() == "An unexpected error stopped what you were doing (ValueError)."
        assert box.informativeText() == f"The details are in {log}."
        box.done(0)
        qtbot.waitUntil(lambda: hook.box is None, timeout=2000)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # the app went on: a new box
        assert hook.box is not None and hook.box.isVisible()
        hook.box.done(0)
    finally:
        sys.excepthook = previous
    logged = log.read_text()
    assert len(presses) == 3
    assert [f"DEMO-03' -- {n}" in logged for n in (1, 2, 3)] == [True, True, True]
