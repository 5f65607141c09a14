"""Qt table models adapting service results for views."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex


def sortable(value: Any) -> Any:
    """A value Qt's sort proxy can compare: it cannot compare Python datetimes or tuples."""
    if isinstance(value, datetime):
        # Seconds from 1970 by subtraction: .timestamp() raises for the year 1 (a record
        # stored by an older version), and an exception inside Qt's sort kills the process.
        return (value - datetime(1970, 1, 1)).total_seconds()
    if isinstance(value, date):
        return float(value.toordinal())
    if value is None:
        return float("-inf")
    return value


class RowsModel(QAbstractTableModel):
    """A flat table over a list of rows (service results), with fixed column headers."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Any] = []

    def headers(self) -> list[str]:
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers())

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers()[section]
        return None
