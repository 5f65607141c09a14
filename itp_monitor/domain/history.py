"""What the rules read about one woman: her current counts, injections, bleeding and delivery.

Light tuples rather than the full records, so that a ward of a thousand women
with a hundred counts each is read and judged in a fraction of a second. The
caller passes current records only (voided ones left out, corrected ones with
their new values); the rules themselves drop anything timed after T.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from itp_monitor.domain.records import (
    BleedingAssessment,
    Delivery,
    Injection,
    NeonatalCount,
    PlateletCount,
)


class CountPoint(NamedTuple):
    """A platelet count: when collected and its value in ×10⁹/L."""

    at: datetime
    value: float


class DosePoint(NamedTuple):
    """An rhTPO injection: when given, the dose in units and the weight it was based on."""

    at: datetime
    units: int
    weight_kg: float

    @property
    def per_kg(self) -> float:
        return self.units / self.weight_kg


class BleedPoint(NamedTuple):
    """A bleeding assessment: when, and its WHO grade."""

    at: datetime
    who_grade: int


@dataclass(frozen=True, slots=True)
class PatientHistory:
    edd: date
    counts: Sequence[CountPoint] = ()
    injections: Sequence[DosePoint] = ()
    bleeding: Sequence[BleedPoint] = ()
    delivered_at: datetime | None = None
    neonatal_counts: Sequence[CountPoint] = ()

    @classmethod
    def from_records(
        cls,
        edd: date,
        *,
        counts: Iterable[PlateletCount] = (),
        injections: Iterable[Injection] = (),
        bleeding: Iterable[BleedingAssessment] = (),
        delivery: Delivery | None = None,
        neonatal_counts: Iterable[NeonatalCount] = (),
    ) -> PatientHistory:
        return cls(
            edd=edd,
            counts=[CountPoint(c.collected_at, c.value) for c in counts],
            injections=[DosePoint(i.given_at, i.dose_units, i.weight_kg) for i in injections],
            bleeding=[BleedPoint(b.assessed_at, b.who_grade) for b in bleeding],
            delivered_at=delivery.delivered_at if delivery else None,
            neonatal_counts=[CountPoint(n.collected_at, n.value) for n in neonatal_counts],
        )
