"""Table model of a laboratory file's preview: every result with its status and why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from itp_monitor.domain.problems import fmt_number
from itp_monitor.gui.models import Index, RowsModel, sortable
from itp_monitor.services.lab_import import LabRow, LabStatus

# status: (symbol, background tint) beside its words — never colour alone
STATUS = {
    LabStatus.NEW: ("+", "#d8f0e6"),
    LabStatus.CORRECTION: ("✎", "#d9ecf8"),
    LabStatus.DUPLICATE: ("=", "#eeeeee"),
    LabStatus.UNKNOWN_PATIENT: ("?", "#fbe9c8"),
    LabStatus.INVALID: ("✘", "#f9dccb"),
}
HEADERS = ["Line", "MRN", "Collected", "×10⁹/L", "Status", "Why"]
STATUS_COLUMN = 4
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1  # the status code, for filtering by status


def shown_status(status: LabStatus) -> str:
    """'+ new', '? unknown patient': symbol and words, as the table shows them."""
    return f"{STATUS[status][0]} {status.label}"


class LabRowsModel(RowsModel):
    def headers(self) -> list[str]:
        return HEADERS

    def set_rows(self, rows: Sequence[LabRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> LabRow:
        return self._rows[row]  # type: ignore[no-any-return]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r: LabRow = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.BackgroundRole and column == STATUS_COLUMN:
            return QBrush(QColor(STATUS[r.status][1]))
        if role == STATUS_ROLE:
            return r.status.value
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        values: list[Any] = [
            r.line,
            r.mrn,
            r.collected_at,
            r.value,
            shown_status(r.status),
            # a new row that looks like a slip is saved, with a note saying why to look
            r.reason or (f"note: {r.note}" if r.note else None),
        ]
        if role == Qt.ItemDataRole.ToolTipRole and column == len(HEADERS) - 1:
            return values[-1]  # the whole reason, when the column is too narrow for it
        if role == Qt.ItemDataRole.UserRole:
            return sortable(values[column])
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        value = values[column]
        if value is None:
            return "—" if column in (1, 2, 3) else ""
        if column == 2:
            return f"{value:%Y-%m-%d %H:%M}"
        if column == 3:
            return fmt_number(value)
        return str(value)
