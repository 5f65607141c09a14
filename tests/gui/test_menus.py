"""Every menu action and every shortcut, through the real QAction, on the board and in a
workspace; the laboratory import from the menu to the saved count; Help."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gui_driver import answering, open_window, press
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QTextDocument
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QTextBrowser, QWidget
from pytestqt.qtbot import QtBot

from itp_monitor.domain.records import PlateletCount
from itp_monitor.gui.dialogs.help import ShortcutsDialog, UserGuide, menu_actions
from itp_monitor.gui.dialogs.lab_import import LabImportDialog
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services

LABS = "MRN,Collected at,Platelets,Unit,Accession\nDEMO-03,2026-11-25 07:00,64,10^9/L,MENU-1\n"
RECORD_FILE = {
    "format": "itp-monitor/1",
    "patients": [{"mrn": "MENU-01", "name": "Menu Test", "edd": "2027-02-01"}],
}
# Actions whose work shows nowhere a person could point at (they redraw what is shown).
QUIET = {"View → Refresh"}


class ModalCloser:
    """Closes each modal dialog as soon as it is open, and notes its title."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._close)
        self.timer.start()

    def _close(self) -> None:
        modal = QApplication.activeModalWidget()
        if modal is None:
            return
        self.seen.append(modal.windowTitle() or type(modal).__name__)
        if isinstance(modal, QDialog):
            modal.reject()
        else:
            modal.close()

    def stop(self) -> None:
        self.timer.stop()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    record = tmp_path / "in" / "record.json"
    record.parent.mkdir()
    record.write_text(json.dumps(RECORD_FILE))
    labs = tmp_path / "in" / "labs.csv"
    labs.write_text(LABS)
    return {"record": record, "labs": labs, "out": tmp_path / "out"}


@pytest.fixture
def answered_files(monkeypatch: pytest.MonkeyPatch, files: dict[str, Path]) -> Iterator[list[str]]:
    """File dialogs answered as a person would: the prepared file to open, the suggested
    name (in a folder of the test's) to save. Yields the captions asked."""
    asked: list[str] = []
    files["out"].mkdir()

    def open_name(parent: Any, caption: str, folder: str = "", types: str = "", *a: Any) -> Any:
        asked.append(caption)
        return str(files["record"] if "record" in caption.lower() else files["labs"]), ""

    def save_name(parent: Any, caption: str, suggested: str = "", *a: Any) -> Any:
        asked.append(caption)
        return str(files["out"] / Path(suggested).name), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_name)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    yield asked


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    services.demo.load()
    return open_window(qtbot, services, str(tmp_path / "settings.ini"))


def put_in(window: MainWindow, state: str) -> None:
    """On the board (DEMO-03 selected, as after a click), or with DEMO-03 open."""
    patient = window.services.patients.find("DEMO-03")
    assert patient is not None
    if state == "patient":
        if not window.showing_patient():
            window.open_patient(patient.id)
    else:
        window.show_board()
        window.board.select_patient(patient.id)


def effect(window: MainWindow, closer: ModalCloser, before: tuple[Any, ...]) -> bool:
    """Whether the action did something a person sees: a dialog, a message, another page
    or window."""
    page, guide_shown = before
    guide_now = window.guide is not None and window.guide.isVisible()
    return bool(
        closer.seen
        or window.statusBar().currentMessage()
        or window.pages.currentWidget() is not page
        or guide_now != guide_shown
    )


def snapshot(window: MainWindow) -> tuple[Any, ...]:
    return window.pages.currentWidget(), window.guide is not None and window.guide.isVisible()


def close_extra_windows(window: MainWindow) -> None:
    if window.guide is not None:
        window.guide.close()


@pytest.mark.parametrize("state", ["board", "patient"])
def test_every_menu_action_works(
    qtbot: QtBot,
    window: MainWindow,
    answered_files: list[str],
    files: dict[str, Path],
    state: str,
) -> None:
    actions = menu_actions(window)
    assert len(actions) >= 25
    quit_action = next(a for where, a in actions if where == "File → Quit")
    closer = ModalCloser()
    silent: list[str] = []
    try:
        for where, action in actions:
            if action is quit_action:
                continue
            put_in(window, state)
            close_extra_windows(window)
            window.statusBar().clearMessage()
            closer.seen.clear()
            if where.startswith("Record →"):
                # adding a record needs her workspace: the actions say so by being disabled
                assert action.isEnabled() == (state == "patient"), where
            before = snapshot(window)
            with qtbot.captureExceptions() as raised:
                action.trigger()
            assert not raised, f"{where}: {raised[0][1]!r}"
            if where == "View → Ward board":
                assert window.pages.currentWidget() is window.board
            elif action.isEnabled() and where not in QUIET and not effect(window, closer, before):
                silent.append(where)
        assert not silent, f"these did nothing a person could see: {silent}"
        written = {p.name for p in files["out"].iterdir()}
        assert {"ward.json", "ward-summary.pdf", "counts-and-injections.csv"} <= written
        if state == "patient":
            assert {"handover-DEMO-03.pdf", "DEMO-03-fhir.json"} <= written
        assert window.services.patients.find("MENU-01") is not None  # the record file came in
        with qtbot.captureExceptions() as raised:
            quit_action.trigger()
        assert not raised
        assert not window.isVisible()
    finally:
        closer.stop()
        close_extra_windows(window)


@pytest.mark.parametrize("state", ["board", "patient"])
def test_every_shortcut_reaches_its_action(
    qtbot: QtBot, window: MainWindow, answered_files: list[str], state: str
) -> None:
    keyed = [(w, a) for w, a in menu_actions(window) if not a.shortcut().isEmpty()]
    assert len(keyed) >= 15
    keys = [a.shortcut().toString() for _, a in keyed]
    assert len(keys) == len(set(keys)), f"two actions share a key: {sorted(keys)}"
    closer = ModalCloser()
    try:
        for where, action in keyed:
            put_in(window, state)
            close_extra_windows(window)
            if not action.isEnabled():
                continue
            fired: list[bool] = []
            action.triggered.connect(lambda *_, seen=fired: seen.append(True))
            with qtbot.captureExceptions() as raised:
                press(qtbot, window.focusWidget() or window, action.shortcut().toString())
            assert not raised, f"{where} ({action.shortcut().toString()}): {raised[0][1]!r}"
            assert fired, f"{action.shortcut().toString()} did not reach {where}"
            if where == "File → Quit":
                assert not window.isVisible()
                return
        raise AssertionError("File → Quit has no shortcut")
    finally:
        closer.stop()
        close_extra_windows(window)


def action_at(window: MainWindow, path: str) -> QAction:
    return next(a for where, a in menu_actions(window) if where == path)


def test_laboratory_results_from_the_menu_reach_her_table(
    qtbot: QtBot, window: MainWindow, answered_files: list[str]
) -> None:
    saved: list[str] = []

    def save(dialog: QDialog) -> None:
        assert isinstance(dialog, LabImportDialog)
        assert dialog.save_button.text() == "Save 1 new"
        dialog.save_button.click()
        saved.append(dialog.summary.text())

    with answering(save):
        action_at(window, "File → Import laboratory results…").trigger()
    assert answered_files == ["Import laboratory results"]
    assert saved == ["1 new"]
    assert "Saved 1 new result" in window.statusBar().currentMessage()
    put_in(window, "patient")
    tab = window.workspace.record_tabs[PlateletCount]
    column = next(
        c
        for c in range(tab.proxy.columnCount())
        if tab.proxy.headerData(c, Qt.Orientation.Horizontal) == "×10⁹/L"
    )
    values = [tab.proxy.index(r, column).data() for r in range(tab.proxy.rowCount())]
    assert "64" in values


def test_ctrl_l_opens_the_laboratory_import(
    qtbot: QtBot, window: MainWindow, answered_files: list[str]
) -> None:
    titles: list[str] = []

    def look(dialog: QDialog) -> None:
        titles.append(dialog.windowTitle())
        dialog.reject()

    with answering(look):
        press(qtbot, window.board.table, "Ctrl+L")
    assert titles == ["Import laboratory results"]


def test_keyboard_shortcuts_are_listed_from_the_actions(qtbot: QtBot, window: MainWindow) -> None:
    put_in(window, "patient")
    listed: list[list[tuple[str, str]]] = []

    def read(dialog: QDialog) -> None:
        assert isinstance(dialog, ShortcutsDialog)
        listed.append(dialog.rows())
        dialog.reject()

    with answering(read):
        action_at(window, "Help → Keyboard shortcuts").trigger()
    rows = dict(listed[0])
    assert rows["File → Import laboratory results…"] == "Ctrl+L"
    assert rows["Record → Platelet count…"] == "Ctrl+1"
    assert rows["Help → Keyboard shortcuts"] == "Ctrl+/"
    assert rows["Ward board → find a woman by MRN or name"] == "Ctrl+F"
    # made from the actions: a key given to an action later is listed too
    action_at(window, "Settings → Laboratory codes…").setShortcut("Ctrl+K")
    with answering(read):
        action_at(window, "Help → Keyboard shortcuts").trigger()
    assert dict(listed[1])["Settings → Laboratory codes…"] == "Ctrl+K"
    every_key = {a.shortcut().toString() for _, a in menu_actions(window) if a.shortcuts()}
    assert every_key <= {keys for _, keys in listed[1]}


def test_the_user_guide_opens_offline_with_its_pictures(qtbot: QtBot, window: MainWindow) -> None:
    action_at(window, "Help → User guide").trigger()
    guide = window.guide
    assert isinstance(guide, UserGuide) and guide.isVisible()
    browser = guide.findChild(QTextBrowser, "user_guide")
    assert browser is not None
    text = browser.toPlainText()
    assert "Using ITP Monitor on the ward" in text and "The ward board" in text
    assert browser.source().isLocalFile()
    html = browser.toHtml()
    assert "images/ward-board.png" in html
    picture = browser.document().resource(
        QTextDocument.ResourceType.ImageResource,
        browser.source().resolved(QUrl("images/ward-board.png")),
    )
    assert picture is not None and not picture.isNull()  # resolved beside the guide, offline
    qtbot.waitUntil(lambda: browser.horizontalScrollBar().maximum() == 0)  # pictures fit
    action_at(window, "Help → User guide").trigger()  # asked again: the same window
    assert window.guide is guide
    guide.close()


def test_about_names_the_database(qtbot: QtBot, window: MainWindow) -> None:
    texts: list[str] = []

    def read(dialog: QWidget) -> None:
        texts.append(dialog.findChild(QWidget, "qt_msgbox_label").text())  # type: ignore[union-attr]
        dialog.close()

    with answering(read):  # type: ignore[arg-type]
        action_at(window, "Help → About ITP Monitor").trigger()
    assert str(window.services.db.location.path) in texts[0]
