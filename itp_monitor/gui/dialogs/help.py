"""Help: the keyboard shortcuts, read from the window's own actions, and the packaged user guide."""

from __future__ import annotations

import platform
from dataclasses import dataclass

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import (
    QAction,
    QImage,
    QKeySequence,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from itp_monitor import __version__
from itp_monitor.packaged import data_dir

GUIDE = "user-guide.md"
PICTURE_MARGIN = 12


@dataclass(frozen=True)
class ShortcutEntry:
    where: str  # "File → Import laboratory results…", or what a widget's shortcut does
    keys: str  # as this platform writes them: "Ctrl+L"


def _plain(text: str) -> str:
    """A menu text as a person reads it: '&Import…' -> 'Import…' ('&&' stays one '&')."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _keys(sequence: QKeySequence) -> str:
    """The main key only: a standard key's extra bindings are media keys ('Refresh')."""
    return sequence.toString(QKeySequence.SequenceFormat.NativeText)


def menu_actions(window: QMainWindow) -> list[tuple[str, QAction]]:
    """Every action of every menu, submenus included, each with its menu path."""
    found: list[tuple[str, QAction]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.isSeparator():
                continue
            where = f"{path} → {_plain(action.text())}"
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                walk(submenu, where)
            else:
                found.append((where, action))

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, _plain(top.text()))
    return found


def shortcuts(window: QMainWindow) -> list[ShortcutEntry]:
    """Every key the window answers to: the menus' actions, then the shortcuts of its
    widgets that say what they do (QShortcut.whatsThis)."""
    entries = [
        ShortcutEntry(where, _keys(action.shortcut()))
        for where, action in menu_actions(window)
        if not action.shortcut().isEmpty()
    ]
    for shortcut in window.findChildren(QShortcut):
        if shortcut.whatsThis() and not shortcut.key().isEmpty():
            entries.append(ShortcutEntry(shortcut.whatsThis(), _keys(shortcut.key())))
    return entries


class ShortcutsDialog(QDialog):
    """A table of what each key does, made when opened so it always matches the menus."""

    def __init__(self, window: QMainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setWindowTitle("Keyboard shortcuts")
        self.entries = shortcuts(window)
        self.table = QTableWidget(len(self.entries), 2)
        self.table.setObjectName("shortcuts")
        self.table.setHorizontalHeaderLabels(["Does", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        for row, entry in enumerate(self.entries):
            self.table.setItem(row, 0, QTableWidgetItem(entry.where))
            self.table.setItem(row, 1, QTableWidgetItem(entry.keys))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        note = QLabel(
            "The Record shortcuts work while a woman's workspace is open. "
            "Menus also open with Alt and their underlined letter."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.table.resizeColumnsToContents()
        rows_height = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.resize(
            max(560, self.table.horizontalHeader().length() + 60),
            min(760, rows_height + self.table.horizontalHeader().height() + 120),
        )

    def rows(self) -> list[tuple[str, str]]:
        """The table as shown: (what, keys) per line."""

        def cell(row: int, column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""

        return [(cell(r, 0), cell(r, 1)) for r in range(self.table.rowCount())]


class GuideBrowser(QTextBrowser):
    """A text browser whose pictures (1400-pixel screenshots) are never wider than it."""

    def __init__(self) -> None:
        super().__init__()
        self.sourceChanged.connect(lambda _url: self.fit_pictures())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_pictures()

    def fit_pictures(self) -> None:
        document = self.document()
        room = max(self.viewport().width() - 2 * PICTURE_MARGIN, 100)
        cursor = QTextCursor(document)
        block = document.begin()
        while block.isValid():
            fragments = block.begin()
            while not fragments.atEnd():
                fragment = fragments.fragment()
                shape = fragment.charFormat()
                if shape.isImageFormat():
                    picture = shape.toImageFormat()
                    natural = document.resource(
                        QTextDocument.ResourceType.ImageResource, QUrl(picture.name())
                    )
                    if isinstance(natural, QPixmap | QImage) and natural.width() > 0:
                        picture.setWidth(min(natural.width(), room))
                        cursor.setPosition(fragment.position())
                        cursor.setPosition(
                            fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor
                        )
                        cursor.setCharFormat(picture)
                fragments += 1
            block = block.next()


class UserGuide(QWidget):
    """The user guide shipped inside the app (docs/user-guide.md), readable offline; its
    pictures and its links to the other guides resolve beside it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("ITP Monitor — user guide")
        self.browser = GuideBrowser()
        self.browser.setObjectName("user_guide")
        self.browser.setOpenExternalLinks(True)  # web links go to the browser, if there is one
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.resize(980, 760)
        try:
            guide = data_dir("docs") / GUIDE
            found = guide.is_file()
        except FileNotFoundError:
            found = False
        if found:
            self.browser.setSource(
                QUrl.fromLocalFile(str(guide)), QTextDocument.ResourceType.MarkdownResource
            )
        else:
            self.browser.setPlainText(
                "The user guide is missing from this installation. Reinstall ITP Monitor "
                "(make run); the guide is also docs/user-guide.md in the source."
            )


def about(window: QWidget, where: str, user: str) -> None:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    title = "ITP Monitor"
    QMessageBox.about(
        window,
        f"About {title}",
        f"<h3>{title} {__version__}</h3>"
        "<p>Monitors rhTPO treatment and platelet counts of pregnant women with immune "
        "thrombocytopenia, against the unit's protocol.</p>"
        f"<p><b>Database:</b> {where}<br><b>User:</b> {user}</p>"
        f"<p style='color:#555'>Python {platform.python_version()} · Qt {qVersion()} · "
        f"PySide6 {pyside_version}</p>",
    )
