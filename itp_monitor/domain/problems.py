"""A problem with one field, and the number and time formats every message uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def fmt_number(value: float) -> str:
    """45000 -> '45,000'; 31.5 -> '31.5'."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}".rstrip("0")


def fmt_time(value: datetime) -> str:
    """2026-11-25 08:00; seconds only when there are some.

    isoformat, not strftime: strftime writes the year 1 as '1', not '0001'.
    """
    return value.isoformat(" ", "seconds" if value.second else "minutes")


def fmt_span(span: timedelta) -> str:
    """'45 minutes', '1 hour', '4.5 hours', '3 days': how far apart two records are."""
    minutes = abs(span.total_seconds()) / 60
    if minutes < 60:
        whole = round(minutes)
        return f"{whole} minute{'' if whole == 1 else 's'}"
    hours = minutes / 60
    if hours < 48:
        text = f"{hours:.1f}".removesuffix(".0")
        return f"{text} hour{'' if text == '1' else 's'}"
    days = hours / 24
    text = f"{days:.1f}".removesuffix(".0")
    return f"{text} days"
