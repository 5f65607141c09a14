"""Qt table models adapting service results for views."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def sortable(value: Any) -> Any:
    """A value Qt's sort proxy can compare: it cannot compare Python datetimes or tuples."""
    if isinstance(value, datetime):
        return value.timestamp() if value != datetime.max else float("inf")
    if isinstance(value, date):
        return float(value.toordinal())
    if value is None:
        return float("-inf")
    return value
