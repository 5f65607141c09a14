"""Table models of one patient's records, one kind per table, over Stored results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from itp_monitor.domain.records import (
    AdverseEvent,
    BleedingAssessment,
    Delivery,
    Injection,
    NeonatalCount,
    PlateletCount,
    Treatment,
)
from itp_monitor.domain.validation import fmt_number
from itp_monitor.domain.vocab import InjectionSite, WhoBleedingGrade
from itp_monitor.gui.models import RowsModel, sortable
from itp_monitor.services.results import Stored

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def when(moment: datetime | None) -> str:
    return f"{moment:%d %b %Y %H:%M}" if moment else ""


def _related(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "not judged"}[value]


@dataclass(frozen=True)
class Column:
    header: str
    text: Callable[[Any], str]
    sort: Callable[[Any], Any] | None = None
    numeric: bool = False


COLUMNS: dict[type, list[Column]] = {
    PlateletCount: [
        Column("Collected", lambda r: when(r.collected_at), lambda r: r.collected_at),
        Column("×10⁹/L", lambda r: fmt_number(r.value), lambda r: r.value, numeric=True),
        Column("Source", lambda r: r.source),
        Column("Accession", lambda r: r.accession or ""),
    ],
    Injection: [
        Column("Given", lambda r: when(r.given_at), lambda r: r.given_at),
        Column("Dose U", lambda r: fmt_number(r.dose_units), lambda r: r.dose_units, numeric=True),
        Column("U/kg", lambda r: f"{r.dose_per_kg:.0f}", lambda r: r.dose_per_kg, numeric=True),
        Column("Weight kg", lambda r: fmt_number(r.weight_kg), lambda r: r.weight_kg, numeric=True),
        Column("Site", lambda r: InjectionSite(r.site).label if r.site else ""),
        Column("Lot", lambda r: r.lot or ""),
        Column("Given by", lambda r: r.given_by or ""),
    ],
    BleedingAssessment: [
        Column("Assessed", lambda r: when(r.assessed_at), lambda r: r.assessed_at),
        Column(
            "WHO grade",
            lambda r: f"{r.who_grade}: {WhoBleedingGrade(r.who_grade).description}",
            lambda r: r.who_grade,
        ),
        Column("Notes", lambda r: r.notes or ""),
    ],
    Treatment: [
        Column("Treatment", lambda r: r.kind.replace("_", " ")),
        Column("Started", lambda r: when(r.started_at), lambda r: r.started_at),
        Column(
            "Ended", lambda r: when(r.ended_at) or "ongoing", lambda r: r.ended_at or datetime.max
        ),
        Column("Dose", lambda r: r.dose or ""),
        Column("Notes", lambda r: r.notes or ""),
    ],
    Delivery: [
        Column("Delivered", lambda r: when(r.delivered_at), lambda r: r.delivered_at),
        Column("Mode", lambda r: r.mode.replace("_", " ")),
        Column("Anaesthesia", lambda r: r.anaesthesia or ""),
        Column(
            "Blood loss mL",
            lambda r: fmt_number(r.blood_loss_ml) if r.blood_loss_ml is not None else "",
            lambda r: r.blood_loss_ml or 0,
            numeric=True,
        ),
        Column("Notes", lambda r: r.notes or ""),
    ],
    NeonatalCount: [
        Column("Collected", lambda r: when(r.collected_at), lambda r: r.collected_at),
        Column("×10⁹/L", lambda r: fmt_number(r.value), lambda r: r.value, numeric=True),
        Column("Notes", lambda r: r.notes or ""),
    ],
    AdverseEvent: [
        Column("Onset", lambda r: when(r.onset_at), lambda r: r.onset_at),
        Column("Description", lambda r: r.description),
        Column("Grade", lambda r: str(r.grade), lambda r: r.grade, numeric=True),
        Column("Related to rhTPO", lambda r: _related(r.related_to_rhtpo)),
        Column("Notes", lambda r: r.notes or ""),
    ],
}


class RecordTableModel(RowsModel):
    """The current records of one kind; the newest first unless sorted otherwise."""

    def __init__(self, record_type: type) -> None:
        super().__init__()
        self.record_type = record_type
        self.columns = COLUMNS[record_type]

    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

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
        record = self._rows[index.row()].record
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(record)
        if role == SORT_ROLE:
            return sortable(column.sort(record)) if column.sort else column.text(record)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
