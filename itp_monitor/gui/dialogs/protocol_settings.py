"""The unit's protocol: every threshold and its source; a change needs a reason and a yes.

One line per setting, grouped as the protocol file groups them, so that most of them
are in sight at once; what a setting does and its full source show beneath, for the
one selected (and in each line's tooltip).
"""

from __future__ import annotations

import re
from functools import cache
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.domain.validation import InvalidEntry, fmt_number
from itp_monitor.gui.models.history import local
from itp_monitor.gui.palette import CONFLICT
from itp_monitor.packaged import data_dir
from itp_monitor.services.protocol import ProtocolService
from itp_monitor.services.protocol_store import SettingState
from itp_monitor.services.results import Changes

HEADERS = ["Setting", "Value", "Unit", "Default", "Source", "Last changed"]
VALUE_COLUMN, CHANGED_COLUMN = 1, 5
KEY_ROLE = Qt.ItemDataRole.UserRole + 1
OTHER = "Other settings"
SCREEN_SHARE = 0.9  # of the screen's free height and width, at most
PREFERRED_WIDTH = 1280  # room for the sources beside the values
_HEADING = re.compile(r"^#\s*---\s*(.+?)\s*-*\s*$")
_SETTING = re.compile(r"^\[settings\.(\w+)\]")


@cache
def setting_groups() -> dict[str, str]:
    """Setting key -> the heading it stands under in the protocol file ('rhTPO treatment'),
    read from the file itself, so that a setting added there is grouped with its kind."""
    groups: dict[str, str] = {}
    heading = OTHER
    try:
        lines = (data_dir("resources") / "protocol.toml").read_text("utf-8").splitlines()
    except (OSError, FileNotFoundError):
        return groups
    for line in lines:
        if match := _HEADING.match(line):
            heading = match[1].split(":")[0].strip()
            first = heading.split()[0]
            if first == first.lower():  # 'the newborn' -> 'The newborn'; 'rhTPO …' stays
                heading = heading[0].upper() + heading[1:]
        elif match := _SETTING.match(line):
            groups[match[1]] = heading
    return groups


class ProtocolSettingsDialog(QDialog):
    def __init__(self, protocol: ProtocolService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("The unit's protocol")
        self.protocol = protocol
        self.changes = Changes()  # what the settings changed while it was open
        intro = QLabel(
            "Every number the flags and the entry checks use, with where it comes from. A "
            "change applies from now on, needs a reason, and is kept in the audit trail."
        )
        intro.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("settings")
        self.tree.setColumnCount(len(HEADERS))
        self.tree.setHeaderLabels(HEADERS)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)  # the source, elided
        header.setSectionResizeMode(CHANGED_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(CHANGED_COLUMN, self.fontMetrics().horizontalAdvance("0" * 30))
        self.tree.itemSelectionChanged.connect(self._selected)
        self.details = QLabel("Select a setting to read what it does and where it comes from.")
        self.details.setObjectName("details")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.value = QLineEdit()
        self.value.setObjectName("new_value")
        self.value.setPlaceholderText("new value")
        self.reason = QLineEdit()
        self.reason.setObjectName("change_reason")
        self.reason.setPlaceholderText("reason (required)")
        self.apply = QPushButton("Change…")
        self.apply.clicked.connect(self.change)
        self.reset = QPushButton("Back to default…")
        self.reset.clicked.connect(self.back_to_default)
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        edit = QHBoxLayout()
        edit.addWidget(QLabel("New value:"))
        edit.addWidget(self.value)
        edit.addWidget(QLabel("Reason:"))
        edit.addWidget(self.reason, 2)
        edit.addWidget(self.apply)
        edit.addWidget(self.reset)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.details)
        layout.addLayout(edit)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.confirm = self._confirm
        self.states: list[SettingState] = []
        self.items: dict[str, QTreeWidgetItem] = {}
        self.load()
        self._fit_to_screen()

    @property
    def changed(self) -> bool:
        """Whether a setting was changed while it was open."""
        return self.changes.any

    # --- showing --------------------------------------------------------------------------

    def load(self) -> None:
        selected = self._state()
        self.states = self.protocol.settings()
        self.tree.clear()
        self.items = {}
        groups = setting_groups()
        headings: dict[str, QTreeWidgetItem] = {}
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for s in self.states:
            name = groups.get(s.key, OTHER)
            if name not in headings:
                heading = QTreeWidgetItem(self.tree, [name])
                heading.setFirstColumnSpanned(True)
                heading.setFont(0, bold)
                heading.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading, not a choice
                heading.setExpanded(True)
                headings[name] = heading
            item = QTreeWidgetItem(headings[name], self._cells(s))
            item.setData(0, KEY_ROLE, s.key)
            for column in range(len(HEADERS)):
                item.setToolTip(column, f"{s.info.explain}\nSource: {s.info.source}")
            if not s.is_default:
                font = item.font(VALUE_COLUMN)
                font.setBold(True)
                item.setFont(VALUE_COLUMN, font)
            self.items[s.key] = item
        self.tree.expandAll()
        if selected is not None:
            self.select(selected.key)

    @staticmethod
    def _cells(s: SettingState) -> list[str]:
        changed = (
            f"{local(s.changed_at_utc):%d %b %Y} by {s.changed_by}: {s.reason}"
            if s.changed_at_utc
            else "never"
        )
        if s.disputed:  # two changes made apart: in force here and everywhere until settled
            changed = f"{CONFLICT[2]} changed on two devices apart (View → Conflicts); {changed}"
        return [
            s.info.label,
            fmt_number(s.value),
            s.info.unit,
            fmt_number(s.info.default),
            s.info.source,
            changed,
        ]

    def _fit_to_screen(self) -> None:
        """As tall as every line needs, as far as the screen allows: a scroll bar only
        when the screen is too small for them all."""
        screen = (self.parentWidget() or self).screen() or QGuiApplication.primaryScreen()
        free = screen.availableGeometry()
        rows = len(self.items) + len({setting_groups().get(k, OTHER) for k in self.items})
        row = max(self.tree.sizeHintForRow(0), self.fontMetrics().height() + 4)
        chrome = self.sizeHint().height() - self.tree.sizeHint().height()
        wanted = chrome + self.tree.header().sizeHint().height() + rows * row + 8
        height = min(wanted, round(free.height() * SCREEN_SHARE))
        width = min(
            max(PREFERRED_WIDTH, self.sizeHint().width()), round(free.width() * SCREEN_SHARE)
        )
        self.resize(width, height)

    def shown(self, key: str) -> list[str]:
        """The line of a setting as shown, column by column."""
        item = self.items[key]
        return [item.text(c) for c in range(len(HEADERS))]

    def select(self, key: str) -> None:
        item = self.items[key]
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)

    def _state(self) -> SettingState | None:
        items = self.tree.selectedItems()
        key = items[0].data(0, KEY_ROLE) if items else None
        return next((s for s in self.states if s.key == key), None)

    def _selected(self) -> None:
        s = self._state()
        if s is not None:
            self.value.setText(fmt_number(s.value))
            value = f"{fmt_number(s.value)} {s.info.unit}; default {fmt_number(s.info.default)}"
            self.details.setText(
                f"<b>{escape(s.info.label)}</b> ({escape(value)}): {escape(s.info.explain)}"
                f"<br><span style='color:#555'>Source: {escape(s.info.source)}</span>"
            )
            self.message.setText("")

    # --- changing -------------------------------------------------------------------------

    def _confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Change the unit's protocol", text)
        return answer == QMessageBox.StandardButton.Yes

    def _say(self, text: str, problem: bool = False) -> None:
        self.message.setStyleSheet("color: #B03A00;" if problem else "color: #333;")
        self.message.setText(text)

    def _apply(self, value: float | None) -> None:
        s = self._state()
        if s is None:
            self._say("Select the setting to change first.", problem=True)
            return
        shown = "its default" if value is None else f"{fmt_number(value)} {s.info.unit}"
        if not self.confirm(
            f"Set '{s.info.label}' to {shown} for everyone on this unit, from now on?"
        ):
            return
        try:
            self.changes = self.protocol.change(s.key, value, self.reason.text()).changes
        except InvalidEntry as e:
            self._say("\n".join(p.message for p in e.problems), problem=True)
            return
        self.reason.clear()
        self.load()
        self.select(s.key)
        self._say(f"{s.info.label} is now {shown}.")

    def change(self) -> None:
        try:
            value = float(self.value.text().strip())
        except ValueError:
            self._say(f"{self.value.text()!r} is not a number", problem=True)
            return
        self._apply(value)

    def back_to_default(self) -> None:
        self._apply(None)
