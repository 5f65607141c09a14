"""Builders for rule tests: histories written in days before T, as a clinician would say them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from itp_monitor.domain.evaluation import Evaluation, evaluate
from itp_monitor.domain.history import BleedPoint, CountPoint, DosePoint, PatientHistory
from itp_monitor.domain.protocol import ProtocolInForce, default_protocol_in_force

T = datetime(2026, 11, 25, 23, 59, 59)  # the end of the evaluation day
TODAY = T.date()
WEIGHT = 68.0
DOSE = 20400  # 300 U/kg at 68 kg


def at(days_before: float, hour: int = 8) -> datetime:
    """`days_before` calendar days before T's date, at `hour` (fractions add hours)."""
    whole = int(days_before)
    moment = datetime.combine(TODAY - timedelta(days=whole), time(hour))
    return moment - timedelta(days=days_before - whole)


def edd_for(weeks: int, days: int = 0) -> date:
    """The EDD of a woman who is weeks+days pregnant on T's date."""
    return TODAY + timedelta(days=280 - (7 * weeks + days))


def history(
    *,
    pregnant: tuple[int, int] = (30, 0),
    counts: Iterable[tuple[float, float]] = (),
    injections: Iterable[float] = (),
    bleeding: Iterable[tuple[float, int]] = (),
    delivered: float | None = None,
    newborn: Iterable[tuple[float, float]] = (),
) -> PatientHistory:
    """counts, newborn: (days before, value); injections: days before; bleeding: (days, grade)."""
    return PatientHistory(
        edd=edd_for(*pregnant),
        counts=[CountPoint(at(d), float(v)) for d, v in counts],
        injections=[DosePoint(at(d, 9), DOSE, WEIGHT) for d in injections],
        bleeding=[BleedPoint(at(d, 10), g) for d, g in bleeding],
        delivered_at=at(delivered, 14) if delivered is not None else None,
        neonatal_counts=[CountPoint(at(d, 16), float(v)) for d, v in newborn],
    )


def course(first: int, last: int) -> list[float]:
    """Daily injections from `first` to `last` days before T (first > last)."""
    return [float(d) for d in range(first, last - 1, -1)]


def run(
    h: PatientHistory, protocol: ProtocolInForce | None = None, when: datetime = T
) -> Evaluation:
    return evaluate(h, when, protocol or default_protocol_in_force())
