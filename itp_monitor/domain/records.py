"""What the ward records, as plain values: a patient and each kind of clinical record.

Times are local wall-clock times without an offset, as the ward writes them.
Counts are in ×10⁹/L.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class PatientDetails:
    mrn: str
    name: str
    edd: date
    date_of_birth: date | None = None
    weight_kg: float | None = None
    notes: str | None = None


@dataclass(frozen=True)
class PlateletCount:
    collected_at: datetime
    value: float
    source: str = "manual"
    accession: str | None = None

    @property
    def at(self) -> datetime:
        return self.collected_at


@dataclass(frozen=True)
class Injection:
    """One subcutaneous rhTPO injection; the weight it was dosed on keeps U/kg known."""

    given_at: datetime
    dose_units: int
    weight_kg: float
    site: str | None = None
    lot: str | None = None
    given_by: str | None = None
    notes: str | None = None

    @property
    def at(self) -> datetime:
        return self.given_at

    @property
    def dose_per_kg(self) -> float:
        return self.dose_units / self.weight_kg


@dataclass(frozen=True)
class BleedingAssessment:
    assessed_at: datetime
    who_grade: int
    notes: str | None = None

    @property
    def at(self) -> datetime:
        return self.assessed_at


@dataclass(frozen=True)
class Treatment:
    """Another treatment (steroid, IVIG, anti-D, transfusion); `ended_at` None means ongoing."""

    kind: str
    started_at: datetime
    ended_at: datetime | None = None
    dose: str | None = None
    notes: str | None = None

    @property
    def at(self) -> datetime:
        return self.started_at


@dataclass(frozen=True)
class Delivery:
    delivered_at: datetime
    mode: str
    anaesthesia: str | None = None
    blood_loss_ml: int | None = None
    notes: str | None = None

    @property
    def at(self) -> datetime:
        return self.delivered_at


@dataclass(frozen=True)
class NeonatalCount:
    """A platelet count of the newborn (cord or heel-prick), ×10⁹/L."""

    collected_at: datetime
    value: float
    notes: str | None = None

    @property
    def at(self) -> datetime:
        return self.collected_at


@dataclass(frozen=True)
class AdverseEvent:
    """An adverse event; `related_to_rhtpo` None means not yet judged."""

    onset_at: datetime
    description: str
    grade: int
    related_to_rhtpo: bool | None = None
    notes: str | None = None

    @property
    def at(self) -> datetime:
        return self.onset_at


ClinicalRecord = (
    PlateletCount
    | Injection
    | BleedingAssessment
    | Treatment
    | Delivery
    | NeonatalCount
    | AdverseEvent
)
