"""The history table: every column in view, the long ones wrapped rather than off to the right."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from itp_monitor.gui.models.history import HEADERS, HistoryTableModel

SHORT = ("When", "Who", "What")  # as wide as their words; the rest share what is left


class HistoryTable(QTableView):
    def __init__(self, model: HistoryTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history")
        self.setModel(model)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        # rows as tall as their wrapped text
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.horizontalHeader()
        for column, name in enumerate(HEADERS):
            mode = (
                QHeaderView.ResizeMode.ResizeToContents
                if name in SHORT
                else QHeaderView.ResizeMode.Stretch
            )
            header.setSectionResizeMode(column, mode)
        header.setResizeContentsPrecision(50)  # widths from the newest rows, not a long history
