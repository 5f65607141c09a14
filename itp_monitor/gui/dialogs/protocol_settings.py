"""The unit's protocol: every threshold and its source; a change needs a reason and a yes."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.domain.validation import InvalidEntry, fmt_number
from itp_monitor.gui.models.history import local
from itp_monitor.services.protocol import ProtocolService
from itp_monitor.services.protocol_store import SettingState

HEADERS = ["Setting", "Value", "Unit", "Default", "Source", "Last changed"]


class ProtocolSettingsDialog(QDialog):
    def __init__(self, protocol: ProtocolService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("The unit's protocol")
        self.resize(1100, 620)
        self.protocol = protocol
        self.changed = False
        intro = QLabel(
            "Every number the flags use, with where it comes from. A change applies from now on, "
            "needs a reason, and is kept in the audit trail."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
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
        self.message.setStyleSheet("color: #B03A00;")
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
        layout.addWidget(self.table, 1)
        layout.addLayout(edit)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.confirm = self._confirm
        self.states: list[SettingState] = []
        self.load()

    def load(self) -> None:
        self.states = self.protocol.settings()
        self.table.setRowCount(len(self.states))
        for row, s in enumerate(self.states):
            changed = (
                f"{local(s.changed_at_utc):%d %b %Y} by {s.changed_by}: {s.reason}"
                if s.changed_at_utc
                else "never"
            )
            cells = [
                s.info.label,
                fmt_number(s.value),
                s.info.unit,
                fmt_number(s.info.default),
                s.info.source,
                changed,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(s.info.explain if column == 0 else text)
                if column == 1 and not s.is_default:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()

    def select(self, key: str) -> None:
        row = next(i for i, s in enumerate(self.states) if s.key == key)
        self.table.selectRow(row)

    def _state(self) -> SettingState | None:
        rows = self.table.selectionModel().selectedRows()
        return self.states[rows[0].row()] if rows else None

    def _selected(self) -> None:
        s = self._state()
        if s is not None:
            self.value.setText(fmt_number(s.value))
            self.message.setText(f"{s.info.label}: {s.info.explain}")
            self.message.setStyleSheet("color: #333;")

    def _confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Change the unit's protocol", text)
        return answer == QMessageBox.StandardButton.Yes

    def _apply(self, value: float | None) -> None:
        s = self._state()
        if s is None:
            return
        shown = "its default" if value is None else f"{fmt_number(value)} {s.info.unit}"
        if not self.confirm(
            f"Set '{s.info.label}' to {shown} for everyone on this unit, from now on?"
        ):
            return
        try:
            self.protocol.change(s.key, value, self.reason.text())
        except InvalidEntry as e:
            self.message.setStyleSheet("color: #B03A00;")
            self.message.setText("\n".join(p.message for p in e.problems))
            return
        self.changed = True
        self.reason.clear()
        self.load()
        self.select(s.key)
        self.message.setStyleSheet("color: #333;")
        self.message.setText(f"{s.info.label} is now {shown}.")

    def change(self) -> None:
        try:
            value = float(self.value.text().strip())
        except ValueError:
            self.message.setStyleSheet("color: #B03A00;")
            self.message.setText(f"{self.value.text()!r} is not a number")
            return
        self._apply(value)

    def back_to_default(self) -> None:
        self._apply(None)
