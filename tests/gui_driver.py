"""Drives the app as a person would: open a window, type into dialogs, press keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QLineEdit, QMainWindow, QWidget
from pytestqt.qtbot import QtBot

from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services


def open_window(
    qtbot: QtBot,
    services: Services,
    settings_file: str,
    poll_ms: int = 1000,
    backup_every_ms: int | None = None,
) -> MainWindow:
    """The main window, shown. No automatic backups unless `backup_every_ms`: a test that
    is not about them never waits for one when its window closes at the end."""
    settings = QSettings(settings_file, QSettings.Format.IniFormat)
    window = MainWindow(services, settings, poll_ms=poll_ms, backup_every_ms=backup_every_ms)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@contextmanager
def answering(
    handler: Callable[[QDialog], None], of: type[QDialog] = QDialog
) -> Iterator[list[BaseException]]:
    """Runs `handler` on the next modal dialog once it is open; closes it if the handler did not.

    `of`: the kind of dialog to wait for, when another opens first (one dialog asked
    after another: each handler waits for its own). Failures inside the handler are
    collected and raised after the dialog is gone.
    """
    failures: list[BaseException] = []

    def run() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or not isinstance(dialog, of):
            QTimer.singleShot(10, run)
            return
        assert isinstance(dialog, QDialog)
        try:
            handler(dialog)
        except BaseException as e:
            failures.append(e)
        finally:
            if dialog.isVisible() and failures:
                dialog.reject()

    QTimer.singleShot(0, run)
    yield failures
    if failures:
        raise failures[0]


def press(qtbot: QtBot, widget: QWidget, keys: str) -> None:
    """Presses a shortcut such as 'Ctrl+1' in the widget's window, made active first (as the
    window a person types into is; shortcuts only reach the active window)."""
    window = widget.window()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    sequence = QKeySequence(keys)
    combo = sequence[0]
    qtbot.keyClick(widget, combo.key(), combo.keyboardModifiers())


def type_into(qtbot: QtBot, dialog: QWidget, field: str, text: str) -> None:
    edit = dialog.findChild(QLineEdit, field)
    assert edit is not None, f"no text field {field}"
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def choose(dialog: QWidget, field: str, value: Any) -> None:
    combo = dialog.findChild(QComboBox, field)
    assert combo is not None, f"no choice {field}"
    combo.setCurrentIndex(combo.findData(value))


def enter(qtbot: QtBot, dialog: QWidget) -> None:
    """Presses Enter where the focus is, as a person finishing the form would."""
    target = dialog.focusWidget() or dialog
    qtbot.keyClick(target, Qt.Key.Key_Return)


def board_cells(window: MainWindow, header: str) -> list[str]:
    proxy = window.board.proxy
    column = next(
        c
        for c in range(proxy.columnCount())
        if proxy.headerData(c, Qt.Orientation.Horizontal) == header
    )
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


def board_row(window: MainWindow, mrn: str) -> dict[str, str]:
    proxy = window.board.proxy
    headers = [proxy.headerData(c, Qt.Orientation.Horizontal) for c in range(proxy.columnCount())]
    for r in range(proxy.rowCount()):
        cells = {h: proxy.index(r, c).data() for c, h in enumerate(headers)}
        if cells["MRN"] == mrn:
            return cells
    raise AssertionError(f"{mrn} is not on the board")


def menu_action(window: QMainWindow, path: str) -> QAction:
    """The menu's action at `path`, as the menus show it: "Settings → Users…"."""
    from itp_monitor.gui.dialogs.help import menu_actions

    return next(a for where, a in menu_actions(window) if where == path)


def trigger(window: QMainWindow, path: str) -> None:
    """Chooses the menu item at `path`, as a person does."""
    menu_action(window, path).trigger()
