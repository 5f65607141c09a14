"""Table model of the patient list, over PatientSummary results from the services."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from itp_monitor.services.results import PatientSummary

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def _day(d: date | None) -> str:
    return d.strftime("%d %b %Y") if d else ""


def _moment(d: datetime | None) -> str:
    return d.strftime("%d %b %H:%M") if d else ""


# header, text shown, value to sort by
COLUMNS: list[tuple[str, Callable[[PatientSummary], str], Callable[[PatientSummary], Any]]] = [
    ("MRN", lambda s: s.patient.mrn, lambda s: s.patient.mrn),
    ("Name", lambda s: s.patient.name, lambda s: s.patient.name.casefold()),
    ("EDD", lambda s: _day(s.patient.edd), lambda s: s.patient.edd.toordinal()),
    (
        "Latest count ×10⁹/L",
        lambda s: f"{s.latest_count.value:g}" if s.latest_count else "—",
        lambda s: s.latest_count.value if s.latest_count else -1.0,
    ),
    (
        "Collected",
        lambda s: _moment(s.latest_count.collected_at) if s.latest_count else "",
        lambda s: s.latest_count.collected_at.timestamp() if s.latest_count else 0.0,
    ),
    ("Counts", lambda s: str(s.count_total), lambda s: s.count_total),
    (
        "Weight kg",
        lambda s: f"{s.patient.details.weight_kg:g}" if s.patient.details.weight_kg else "",
        lambda s: s.patient.details.weight_kg or 0.0,
    ),
]
NUMERIC = {3, 5, 6}
NAME_COLUMN = 1


class PatientTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[PatientSummary] = []

    def set_patients(self, rows: Sequence[PatientSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def summary(self, row: int) -> PatientSummary:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        summary = self._rows[index.row()]
        _, text, sort_key = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return text(summary)
        if role == SORT_ROLE:
            return sort_key(summary)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][0]
        return None
