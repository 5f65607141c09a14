"""Table model of the ward board, over the evaluations the services return."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from itp_monitor.domain.flags import Flag
from itp_monitor.domain.problems import fmt_number
from itp_monitor.domain.response import days_between
from itp_monitor.gui.models import RowsModel, sortable
from itp_monitor.services.evaluation import PatientEvaluation

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FLAGS_ROLE = Qt.ItemDataRole.UserRole + 2
PATIENT_ID_ROLE = Qt.ItemDataRole.UserRole + 3
CONFLICTS_ROLE = Qt.ItemDataRole.UserRole + 4  # how many conflicts between devices are open
Index = QModelIndex | QPersistentModelIndex


def _age_of(moment: datetime, now: datetime) -> str:
    days = days_between(now, moment)
    if days == 0:
        hours = int((now - moment).total_seconds() // 3600)
        return "now" if hours <= 0 else f"{hours} h"
    return f"{days} d"


def _ga(r: PatientEvaluation) -> tuple[str, int]:
    e = r.evaluation
    if e.gestational_age is not None:
        return str(e.gestational_age), e.gestational_age.days
    if e.age_at_delivery is not None:
        return f"delivered {e.age_at_delivery}", 1000 + e.age_at_delivery.days
    return "—", -1


def _latest(r: PatientEvaluation) -> tuple[str, float]:
    c = r.evaluation.latest_count
    return (fmt_number(c.value), c.value) if c else ("—", -1.0)


def _latest_age(r: PatientEvaluation) -> tuple[str, float]:
    c = r.evaluation.latest_count
    if c is None:
        return "no count", 1e9
    return _age_of(c.at, r.evaluation.at), (r.evaluation.at - c.at).total_seconds()


def _response(r: PatientEvaluation) -> tuple[str, str]:
    response = r.evaluation.response
    text = response.status.label + (", confirmed" if response.confirmed else "")
    return text, response.status.value


def _flags(r: PatientEvaluation) -> tuple[str, int]:
    flags = r.evaluation.flags
    text = "; ".join(f"{f.severity.value}: {f.code.heading}" for f in flags) or "no flags"
    worst_rank, more_is_worse = r.sort_key[:2]  # (0 critical .. 3 none, minus how many)
    return text, 100 * worst_rank + more_is_worse


# header, (text, sort value) of a row
COLUMNS: list[tuple[str, Callable[[PatientEvaluation], tuple[str, Any]]]] = [
    ("Flags", _flags),
    ("MRN", lambda r: (r.patient.mrn, r.patient.mrn)),
    ("Name", lambda r: (r.patient.name, r.patient.name.casefold())),
    ("GA", _ga),
    ("EDD", lambda r: (f"{r.patient.edd:%d %b %Y}", r.patient.edd.toordinal())),
    ("Latest ×10⁹/L", _latest),
    ("Taken", _latest_age),
    (
        "Course day",
        lambda r: (
            str(r.evaluation.response.course_day or "—"),
            r.evaluation.response.course_day or 0,
        ),
    ),
    ("Response", _response),
]
FLAGS_COLUMN, NAME_COLUMN = 0, 2
WRAPPING = (2, 3, 8)  # Name, GA, Response: words that may wrap onto two lines
NUMERIC = {5, 6, 7}


def conflict_words(open_conflicts: int) -> str:
    """A woman's open conflicts as her badge says them."""
    if open_conflicts == 1:
        return "conflict: settle it"
    return f"{open_conflicts} conflicts: settle them"


CONFLICT_TIP = (
    "Recorded differently on two devices, found by a sync: both versions stand until "
    "staff settle it in View → Conflicts…"
)


class WardTableModel(RowsModel):
    def __init__(self) -> None:
        super().__init__()
        self._conflicts: dict[int, int] = {}  # patient id → open conflicts

    def headers(self) -> list[str]:
        return [header for header, _ in COLUMNS]

    def set_ward(self, rows: Sequence[PatientEvaluation]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def update_patient(self, row: PatientEvaluation | None, patient_id: int) -> None:
        """Replaces (or adds, or with None removes) one patient's row."""
        at = next((i for i, r in enumerate(self._rows) if r.patient.id == patient_id), None)
        if row is None:
            if at is not None:
                self.beginRemoveRows(QModelIndex(), at, at)
                del self._rows[at]
                self.endRemoveRows()
        elif at is None:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append(row)
            self.endInsertRows()
        else:
            self._rows[at] = row
            self.dataChanged.emit(self.index(at, 0), self.index(at, len(COLUMNS) - 1))

    def set_conflicts(self, counts: dict[int, int]) -> None:
        """Each woman's open conflicts (services.conflicts.counts()); redraws whose changed."""
        changed = {
            p
            for p in counts.keys() | self._conflicts.keys()
            if counts.get(p) != self._conflicts.get(p)
        }
        self._conflicts = dict(counts)
        for at, r in enumerate(self._rows):
            if r.patient.id in changed:
                self.dataChanged.emit(self.index(at, FLAGS_COLUMN), self.index(at, FLAGS_COLUMN))

    def conflicted(self) -> frozenset[int]:
        return frozenset(self._conflicts)

    def evaluation_of(self, row: int) -> PatientEvaluation:
        found: PatientEvaluation = self._rows[row]
        return found

    def row_of(self, patient_id: int) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.patient.id == patient_id), None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        text, sort_value = COLUMNS[index.column()][1](r)
        conflicts = self._conflicts.get(r.patient.id, 0)
        if role == Qt.ItemDataRole.DisplayRole:
            if conflicts and index.column() == FLAGS_COLUMN:
                return f"{conflict_words(conflicts)}; {text}"
            return text
        if role == SORT_ROLE:
            return sortable(sort_value)
        if role == PATIENT_ID_ROLE:
            return r.patient.id
        if role == FLAGS_ROLE:
            return r.evaluation.flags
        if role == CONFLICTS_ROLE:
            return conflicts
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == FLAGS_COLUMN:
            lines = [f"{f.code.heading}: {f.message}" for f in r.evaluation.flags]
            if conflicts:
                lines.insert(0, f"{conflict_words(conflicts).capitalize()}. {CONFLICT_TIP}")
            return "\n".join(lines) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def flags_of(index: QModelIndex) -> tuple[Flag, ...]:
    flags = index.data(FLAGS_ROLE)
    return tuple(flags) if flags else ()


def conflicts_of(index: QModelIndex) -> int:
    return int(index.data(CONFLICTS_ROLE) or 0)
