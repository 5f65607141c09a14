"""A tab of one kind of record: the table, and buttons to add, correct and void."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.gui.forms.record_forms import in_sentence
from itp_monitor.gui.models.records import SORT_ROLE, RecordTableModel
from itp_monitor.services.results import Stored

RESIZE_ROWS = 40
MIN_ROWS_SHOWN = 2  # the table may shrink this far so the chart above keeps its height


class RecordTab(QWidget):
    add_requested = Signal(type)
    correct_requested = Signal(type, object)
    void_requested = Signal(type, object)

    def __init__(self, record_type: type, title: str, shortcut: str, note: str = "") -> None:
        super().__init__()
        self.record_type = record_type
        self.read_only: str | None = None  # why nothing can be saved, when it cannot
        self.model = RecordTableModel(record_type)
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(self.model)
        proxy.setSortRole(SORT_ROLE)
        self.proxy = proxy
        self.table = QTableView()
        self.table.setModel(proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(self.model.time_column, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # size columns from the first rows only: measuring all 500 counts of a busy patient
        # on every save would cost more than a frame
        self.table.horizontalHeader().setResizeContentsPrecision(RESIZE_ROWS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(self._rows_height(MIN_ROWS_SHOWN))
        self.table.doubleClicked.connect(lambda _: self._correct())
        self.add = QPushButton(f"Add {in_sentence(title)}… ({shortcut})")
        self.add.clicked.connect(lambda: self.add_requested.emit(self.record_type))
        self.correct = QPushButton("Correct…")
        self.correct.setProperty("usual_tip", "Correct the selected entry; the original is kept")
        self.correct.setToolTip(self.correct.property("usual_tip"))
        self.correct.clicked.connect(self._correct)
        self.void = QPushButton("Void…")
        self.void.setProperty(
            "usual_tip", "Mark the selected entry as entered in error; it is kept"
        )
        self.void.setToolTip(self.void.property("usual_tip"))
        self.void.clicked.connect(self._void)
        bar = QHBoxLayout()
        for button in (self.add, self.correct, self.void):
            bar.addWidget(button)
        bar.addStretch(1)
        if note:
            bar.addWidget(QLabel(note))
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(4, 4, 4, 4)  # room for rows, not for frames
        self.column.setSpacing(4)
        self.column.addLayout(bar)
        self.column.addWidget(self.table, 1)
        self.table.selectionModel().selectionChanged.connect(self._enable)
        self._enable()

    def _rows_height(self, rows: int) -> int:
        header = self.table.horizontalHeader().sizeHint().height()
        row = self.table.verticalHeader().defaultSectionSize()
        return header + rows * row + 2 * self.table.frameWidth()

    def fit_rows(self, rows: int) -> None:
        """A table that never holds more than `rows` rows (the one delivery): that high."""
        self.table.setFixedHeight(self._rows_height(rows))
        self.column.setStretchFactor(self.table, 0)
        self.column.addStretch(0)

    def set_records(self, rows: tuple[Stored[Any], ...]) -> None:
        """Shows these records, the selection staying on the record chosen before, or on
        the version that corrected it; a record voided (here or elsewhere) leaves nothing
        selected, so Correct and Void cannot fall on its neighbour."""
        chosen = self.selected()
        self.model.set_records(rows)
        if chosen is not None:
            self._select_id(chosen.id)
        self._enable()

    def _select_id(self, record_id: int) -> None:
        selection = self.table.selectionModel()
        row = self.model.row_of(record_id)
        if row is None:
            selection.clearSelection()
            selection.clearCurrentIndex()
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        selection.setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def selected(self) -> Stored[Any] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.stored(self.proxy.mapToSource(rows[0]).row())

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def set_read_only(self, note: str | None) -> None:
        """With a note, nothing here can save (the database was opened read-only): the
        buttons are disabled and say why; a double-click corrects nothing."""
        self.read_only = note
        self.add.setEnabled(note is None)
        for button in (self.add, self.correct, self.void):
            button.setToolTip(note or button.property("usual_tip") or "")
        self._enable()

    def _enable(self) -> None:
        chosen = self.selected() is not None and self.read_only is None
        self.correct.setEnabled(chosen)
        self.void.setEnabled(chosen)

    def _correct(self) -> None:
        stored = self.selected()
        if stored is not None and self.read_only is None:
            self.correct_requested.emit(self.record_type, stored)

    def _void(self) -> None:
        stored = self.selected()
        if stored is not None and self.read_only is None:
            self.void_requested.emit(self.record_type, stored)
