"""Table model of the history (the audit trail): who did what, when, before and after, and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from itp_monitor.gui.models import RowsModel
from itp_monitor.services.results import AuditRecord

Index = QModelIndex | QPersistentModelIndex
HEADERS = ["When", "Who", "What", "Before", "After", "Reason"]
ACTIONS = {
    "create": "recorded",
    "correct": "corrected",
    "void": "voided",
    "archive": "archived",
    "restore": "restored to the ward",
    "setting": "changed a setting",
}
HIDDEN = {"archived"}


def local(at_utc: datetime) -> datetime:
    return at_utc.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


def _value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, str) and len(v) >= 16 and v[4] == "-" and "T" in v:
        return datetime.fromisoformat(v).strftime("%d %b %Y %H:%M")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def describe(values: dict[str, Any] | None, only: set[str] | None = None) -> str:
    """'value 42 · collected_at 28 Nov 2026 08:00' — the fields named in `only`, or all."""
    if values is None:
        return ""
    keys = [k for k in values if (only is None or k in only) and k not in HIDDEN]
    return " · ".join(f"{k.replace('_', ' ')} {_value(values[k])}" for k in keys)


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
        return self._rows[row]

    def cells(self, e: AuditRecord) -> list[str]:
        changed = None
        if e.action == "correct" and e.before and e.after:
            changed = {k for k in e.after if e.before.get(k) != e.after.get(k)}
        what = f"{ACTIONS.get(e.action, e.action)} {e.entity.replace('_', ' ')}"
        return [
            f"{local(e.at_utc):%d %b %Y %H:%M}",
            e.user,
            what,
            describe(e.before, changed),
            describe(e.after, changed) if e.action != "void" else "voided: no longer counts",
            e.reason or "",
        ]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cells(e)[index.column()]
        if role == Qt.ItemDataRole.FontRole and e.action in ("correct", "void"):
            font = QFont()
            font.setBold(True)
            return font
        return None
