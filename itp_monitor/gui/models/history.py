"""Table model of the history (the audit trail): when, who, what, why, and before and after,
in the words and units the entry forms use."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from itp_monitor.domain.kinds import FieldKind
from itp_monitor.domain.problems import fmt_number
from itp_monitor.domain.vocab import AuditAction
from itp_monitor.gui.forms.fields import FieldSpec
from itp_monitor.gui.forms.record_forms import FORMS, PATIENT_SPECS
from itp_monitor.gui.models import RowsModel
from itp_monitor.services.audit import SETTLED
from itp_monitor.services.kinds import kind_named
from itp_monitor.services.results import AuditRecord

Index = QModelIndex | QPersistentModelIndex
# The reason straight after what was done: it is what a reader of the history looks for,
# and the values before and after can be long.
HEADERS = ["When", "Who", "What", "Reason", "Before", "After"]
# The database refuses any other action (a CHECK constraint); one that came would be shown.
ACTION_WORDS = {a.value: a.label for a in AuditAction} | {SETTLED: "settled a"}
REASON_COLUMN = HEADERS.index("Reason")
HIDDEN = {"archived"}
_HINT = re.compile(r"\s*\(.*\)$")  # 'Ended (empty: ongoing)': the hint is for the form only
_NUMBERED = re.compile(r"^(\d+): (.+)$")  # a graded choice, '2: mild …'


def local(at_utc: datetime) -> datetime:
    return at_utc.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


def specs_of(entity: str) -> dict[str, FieldSpec]:
    """The entry form's fields of a kind of record ('platelet_count', 'patient')."""
    if entity == "patient":
        return {s.name: s for s in PATIENT_SPECS}
    try:
        form = FORMS[kind_named(entity).record]
    except KeyError:
        return {}
    return {s.name: s for s in form.specs}


def entity_words(entity: str) -> str:
    try:
        return kind_named(entity).label
    except KeyError:
        return entity.replace("_", " ")


def label_of(name: str, spec: FieldSpec | None) -> str:
    return _HINT.sub("", spec.label) if spec else name.replace("_", " ")


def value_words(name: str, value: Any, spec: FieldSpec | None) -> str:
    """A stored value as the form shows it: 'IVIG', 'left thigh', '12 Nov 2026 08:00',
    '45 ×10⁹/L'. A value an older version stored that no longer reads is shown as stored."""
    if value is None:
        return "—"
    kind = spec.kind if spec else ""
    try:
        if spec is not None and spec.choices:
            shown = next((text for text, v in spec.choices if v == value), None)
            if shown is not None:
                return _NUMBERED.sub(r"\1 (\2)", shown)
        if kind == FieldKind.MOMENT:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
            return f"{moment:%d %b %Y %H:%M}"
        if kind == FieldKind.DATE:
            day = value if isinstance(value, date) else date.fromisoformat(value)
            return f"{day:%d %b %Y}"
        if isinstance(value, int | float) and not isinstance(value, bool):
            unit = f" {spec.unit}" if spec and spec.unit else ""
            return fmt_number(value) + unit
    except (ValueError, TypeError):
        pass
    return str(value)


def describe(entity: str, values: dict[str, Any] | None, only: set[str] | None = None) -> str:
    """'Count: 45 ×10⁹/L · Collected: 28 Nov 2026 08:00': the fields named in `only` (a
    correction's, even when emptied), or all that have a value."""
    if values is None:
        return ""
    specs = specs_of(entity)
    keys = [
        k
        for k in values
        if k not in HIDDEN and (k in only if only is not None else values[k] is not None)
    ]
    return " · ".join(
        f"{label_of(k, specs.get(k))}: {value_words(k, values[k], specs.get(k))}" for k in keys
    )


class HistoryTableModel(RowsModel):
    """Newest first. A correction shows only what changed, before beside after."""

    def headers(self) -> list[str]:
        return HEADERS

    def set_history(self, rows: Sequence[AuditRecord]) -> None:
        rows = list(reversed(rows))
        if rows == self._rows:
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def entry(self, row: int) -> AuditRecord:
        found: AuditRecord = self._rows[row]
        return found

    def cells(self, e: AuditRecord) -> list[str]:
        """The row's texts in the order of HEADERS."""
        changed = None
        if e.action == AuditAction.CORRECT and e.before and e.after:
            changed = {k for k in e.after if e.before.get(k) != e.after.get(k)}
        what = f"{ACTION_WORDS.get(e.action, e.action)} {entity_words(e.entity)}"
        after = (
            describe(e.entity, e.after, changed)
            if e.action != AuditAction.VOID
            else "voided: no longer counts"
        )
        return [
            f"{local(e.at_utc):%d %b %Y %H:%M}",
            e.user,
            what,
            e.reason or "",
            describe(e.entity, e.before, changed),
            after,
        ]

    def row_texts(self, row: int) -> dict[str, str]:
        """The row's texts by column header (for tests and the screen reader's sake)."""
        return dict(zip(HEADERS, self.cells(self._rows[row]), strict=True))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cells(e)[index.column()]
        if role == Qt.ItemDataRole.FontRole and e.action in (AuditAction.CORRECT, AuditAction.VOID):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        return None
