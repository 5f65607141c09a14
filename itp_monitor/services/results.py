"""What the services hand back: plain values, never database objects."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from itp_monitor.domain.records import (
    AdverseEvent,
    BleedingAssessment,
    ClinicalRecord,
    Delivery,
    Injection,
    NeonatalCount,
    PatientDetails,
    PlateletCount,
    Treatment,
)
from itp_monitor.domain.vocab import RecordStatus

R = TypeVar("R", bound=ClinicalRecord)


@dataclass(frozen=True)
class Stored(Generic[R]):
    """A clinical record as stored: one version, its identity and who entered it."""

    id: int
    patient_id: int
    record: R
    status: RecordStatus
    supersedes_id: int | None
    entered_at_utc: datetime
    entered_by: str

    @property
    def counts(self) -> bool:
        return self.status is RecordStatus.CURRENT


@dataclass(frozen=True)
class PatientInfo:
    id: int
    details: PatientDetails
    archived: bool

    @property
    def mrn(self) -> str:
        return self.details.mrn

    @property
    def name(self) -> str:
        return self.details.name

    @property
    def edd(self) -> date:
        return self.details.edd


@dataclass(frozen=True)
class PatientSummary:
    """One line of the patient list."""

    patient: PatientInfo
    latest_count: PlateletCount | None
    count_total: int


@dataclass(frozen=True)
class PatientRecords:
    """Everything currently recorded for one patient, each list in time order."""

    patient: PatientInfo
    counts: tuple[Stored[PlateletCount], ...] = ()
    injections: tuple[Stored[Injection], ...] = ()
    bleeding: tuple[Stored[BleedingAssessment], ...] = ()
    treatments: tuple[Stored[Treatment], ...] = ()
    delivery: Stored[Delivery] | None = None
    neonatal_counts: tuple[Stored[NeonatalCount], ...] = ()
    adverse_events: tuple[Stored[AdverseEvent], ...] = ()

    def applying(self, saved: Stored[Any]) -> PatientRecords:
        """These records after a save that returned `saved`: a new record, a correction
        (which replaces the version it supersedes) or a void (which takes it away).

        Lets a screen show its own save at once, without reading everything again.
        """
        name = _LISTS[type(saved.record)]
        gone = {saved.id, saved.supersedes_id}
        if name == "delivery":
            return replace(self, delivery=saved if saved.counts else None)
        rows = [r for r in getattr(self, name) if r.id not in gone]
        if saved.counts:
            rows.append(saved)
            rows.sort(key=lambda r: (r.record.at, r.id))
        changed: dict[str, Any] = {name: tuple(rows)}
        return replace(self, **changed)


_LISTS: dict[type[Any], str] = {
    PlateletCount: "counts",
    Injection: "injections",
    BleedingAssessment: "bleeding",
    Treatment: "treatments",
    Delivery: "delivery",
    NeonatalCount: "neonatal_counts",
    AdverseEvent: "adverse_events",
}


@dataclass(frozen=True)
class AuditRecord:
    """One line of the history: who did what to which record, when and why."""

    id: int
    at_utc: datetime
    user: str
    action: str
    entity: str
    record_id: int | None
    original_id: int | None
    patient_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


@dataclass(frozen=True)
class ImportOutcome:
    """What an import added, per patient, and the warnings it accepted."""

    created: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()
    records_added: int = 0
    records_already_present: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
