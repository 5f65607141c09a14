"""Gestational age from the EDD, in weeks+days, with the term categories of ACOG/SMFM."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import total_ordering

from itp_monitor.domain.protocol import Definitions, definitions


class TermCategory(StrEnum):
    PRETERM = "preterm"
    EARLY_TERM = "early term"
    FULL_TERM = "full term"
    LATE_TERM = "late term"
    POST_TERM = "post-term"


@total_ordering
@dataclass(frozen=True)
class GestationalAge:
    """A gestational age in whole days, written weeks+days (36+2)."""

    days: int

    @classmethod
    def of(cls, weeks: int, days: int = 0) -> GestationalAge:
        return cls(7 * weeks + days)

    @classmethod
    def parse(cls, text: str) -> GestationalAge:
        """'36+2' -> 36 weeks 2 days."""
        match = re.fullmatch(r"\s*(\d{1,2})\s*\+\s*([0-6])\s*", text)
        if not match:
            raise ValueError(f"{text!r} is not a gestational age written weeks+days, like 36+2")
        return cls.of(int(match[1]), int(match[2]))

    @property
    def weeks(self) -> int:
        return self.days // 7

    @property
    def extra_days(self) -> int:
        return self.days % 7

    def __str__(self) -> str:
        return f"{self.weeks}+{self.extra_days}"

    def __lt__(self, other: GestationalAge) -> bool:
        return self.days < other.days

    def category(self, d: Definitions | None = None) -> TermCategory:
        d = d or definitions()
        for weeks, category in (
            (d.post_term_weeks, TermCategory.POST_TERM),
            (d.late_term_weeks, TermCategory.LATE_TERM),
            (d.full_term_weeks, TermCategory.FULL_TERM),
            (d.early_term_weeks, TermCategory.EARLY_TERM),
        ):
            if self.weeks >= weeks:
                return category
        return TermCategory.PRETERM


def gestational_age(edd: date, on: date, d: Definitions | None = None) -> GestationalAge:
    """280 − (EDD − date) days. Never raises: the difference of two dates always exists."""
    d = d or definitions()
    return GestationalAge(d.pregnancy_days - (edd - on).days)


def date_reaching(edd: date, age: GestationalAge, d: Definitions | None = None) -> date | None:
    """The date on which the pregnancy reaches `age` (37+0 is EDD − 21 days); None when
    that date is not in the calendar (an EDD an older version stored in the year 1 or 9999)."""
    d = d or definitions()
    try:
        return edd - timedelta(days=d.pregnancy_days - age.days)
    except OverflowError:
        return None
