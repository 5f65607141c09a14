"""One laboratory result as read from a file, and its value converted to ×10⁹/L."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from itp_monitor.domain.reading import NumberReader, Unreadable, quoted
from itp_monitor.domain.units import PER_MICROLITRE
from itp_monitor.domain.validation import MAX_CODE

# Units matched after normalising (see normal_unit): factor to ×10⁹/L.
UNITS = {
    "10^9/l": 1.0,
    "g/l": 1.0,
    "10^3/ul": 1.0,
    "k/ul": 1.0,
    "/ul": 1 / PER_MICROLITRE,
    "cells/ul": 1 / PER_MICROLITRE,
}
PER_MICROLITRE_UNITS = frozenset(u for u, f in UNITS.items() if f == 1 / PER_MICROLITRE)
_UNIT_CHARACTERS = str.maketrans({" ": None, "×": "x", "µ": "u", "μ": "u"})


class UnreadableFile(ValueError):
    """The file cannot be read as a laboratory file at all; the message says why."""


@dataclass(slots=True)
class LabResult:
    line: int
    mrn: str | None = None
    collected_at: datetime | None = None
    value: float | None = None  # ×10⁹/L, after the unit
    accession: str | None = None
    problem: str | None = None  # why it is invalid, if it is
    corrected: bool = False  # an HL7 result with status C


def normal_unit(text: str) -> str:
    s = text.strip().casefold().translate(_UNIT_CHARACTERS)
    return re.sub(r"^x?10[\^*e]?([39])", r"10^\1", s)


def factor_of(unit: str) -> float | None:
    return UNITS.get(normal_unit(unit))


@lru_cache(maxsize=256)
def _unit(unit: str) -> tuple[float, bool] | None:
    """The factor to ×10⁹/L and whether the unit counts per µL; a file repeats its units,
    so each spelling is worked out once."""
    key = normal_unit(unit)
    factor = UNITS.get(key)
    return None if factor is None else (factor, key in PER_MICROLITRE_UNITS)


def check_code(result: LabResult, field: str, text: str) -> str | None:
    """An MRN or accession as read: one that no record could hold, or that messages could
    not print, makes the result invalid (and is not kept)."""
    if len(text) > MAX_CODE:
        result.problem = result.problem or f"{field}: {len(text):,} characters, at most {MAX_CODE}"
        return None
    if not text.isprintable():
        result.problem = result.problem or f"{field}: {quoted(text)} holds unprintable characters"
        return None
    return text or None


def convert(
    result: LabResult,
    value_text: str,
    unit_text: str | None,
    default_unit: str | None,
    numbers: NumberReader,
    field: str = "value",
) -> None:
    """Sets result.value in ×10⁹/L from what the file says, or result.problem."""
    unit = unit_text.strip() if unit_text and unit_text.strip() else default_unit
    if not unit:
        result.problem = "unit: none given (give the file's unit with --unit)"
        return
    known = _unit(unit)
    if known is None:
        result.problem = (
            f"unit: {quoted(unit)} is not a platelet unit (10^9/L, G/L, 10^3/uL, K/uL, /uL)"
        )
        return
    factor, per_microlitre = known
    try:
        number = numbers(value_text, per_microlitre=per_microlitre)
    except Unreadable as e:
        result.problem = f"{field}: {e}"
        return
    result.value = number * factor
