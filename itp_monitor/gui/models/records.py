"""Table models of one patient's records, one kind per table, over Stored results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from itp_monitor.domain.kinds import kind_of
from itp_monitor.gui.models import RowsModel, sortable
from itp_monitor.services.results import Stored

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


class RecordTableModel(RowsModel):
    """The current records of one kind, a column per described column, each value in the
    description's words and sorted by the value itself."""

    def __init__(self, record_type: type) -> None:
        super().__init__()
        self.record_type = record_type
        kind = kind_of(record_type)
        self.columns = kind.columns()
        self.time_column = next(  # the table starts sorted on it, the newest first
            i for i, c in enumerate(self.columns) if c.name == kind.time_field
        )

    def headers(self) -> list[str]:
        return [c.column for c in self.columns]

    def set_records(self, rows: Sequence[Stored[Any]]) -> None:
        """Removes the rows that went and adds those that came, rather than starting over.

        A save changes one record; a reset would make the sort proxy sort all of a
        busy patient's 500 counts again, and lose the selection and the scroll.
        """
        wanted = {s.id: s for s in rows}
        for row in reversed(range(len(self._rows))):
            if wanted.get(self._rows[row].id) != self._rows[row]:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        kept = {s.id for s in self._rows}
        new = [s for s in rows if s.id not in kept]
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._rows.extend(new)
            self.endInsertRows()

    def stored(self, row: int) -> Stored[Any]:
        found: Stored[Any] = self._rows[row]
        return found

    def row_of(self, record_id: int) -> int | None:
        """The row of this record, else of the version that corrected it, else None."""
        ids = [s.id for s in self._rows]
        if record_id in ids:
            return ids.index(record_id)
        superseding = [s.supersedes_id for s in self._rows]
        return superseding.index(record_id) if record_id in superseding else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        value = getattr(self._rows[index.row()].record, column.name)
        if role == Qt.ItemDataRole.DisplayRole:
            return column.words(value)
        if role == SORT_ROLE:
            # None is no value to Qt's sort, which puts it after all others: 'ongoing' last
            return None if value is None else sortable(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
