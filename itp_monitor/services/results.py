"""What the services hand back: plain values, never database objects."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from itp_monitor.domain.kinds import KINDS, RecordKind, kind_of
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


class Setting(StrEnum):
    """A setting of the unit's that a write changed."""

    PROTOCOL = "protocol"  # the numbers every judgement uses
    LAB_CODES = "lab_codes"  # the laboratory's own codes, read only from HL7 files


@dataclass(frozen=True)
class Changes:
    """What a write changed, so that each screen can tell what it must show again.

    Every write returns one (a `changes` of what it returns); so does the watch for what
    other programs wrote.
    """

    patients: frozenset[int] = frozenset()  # whose records or details changed
    kinds: frozenset[str] = frozenset()  # the kinds of record written (entity names)
    details: frozenset[int] = frozenset()  # admitted, or details or archived state changed
    settings: frozenset[Setting] = frozenset()
    everything: bool = False  # too much to say what: a whole file imported

    @property
    def any(self) -> bool:
        return bool(self.patients or self.settings) or self.everything

    @property
    def judging(self) -> bool:
        """Whether any woman may now be judged otherwise: the protocol changed, or anything."""
        return self.everything or Setting.PROTOCOL in self.settings


EVERYTHING = Changes(everything=True)


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

    @property
    def changes(self) -> Changes:
        """What saving this version changed: her records of its kind."""
        return Changes(
            patients=frozenset({self.patient_id}), kinds=frozenset({kind_of(self.record).entity})
        )


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

    @property
    def changes(self) -> Changes:
        """What admitting her, correcting her details, archiving or restoring her changed."""
        return Changes(patients=frozenset({self.id}), details=frozenset({self.id}))


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

    def of(self, kind: RecordKind) -> tuple[Stored[Any], ...]:
        """Her current records of one kind, in time order."""
        held = getattr(self, kind.listing)
        if kind.single:
            return () if held is None else (held,)
        return tuple(held)

    def applying(self, saved: Stored[Any]) -> PatientRecords:
        """These records after a save that returned `saved`: a new record, a correction
        (which replaces the version it supersedes) or a void (which takes it away).

        Lets a screen show its own save at once, without reading everything again.
        """
        kind = kind_of(saved.record)
        if kind.single:
            return self.with_records(kind, [saved] if saved.counts else [])
        gone = {saved.id, saved.supersedes_id}
        rows = [r for r in self.of(kind) if r.id not in gone]
        if saved.counts:
            rows.append(saved)
            rows.sort(key=lambda r: (r.record.at, r.id))
        return self.with_records(kind, rows)

    def with_records(self, kind: RecordKind, rows: list[Stored[Any]]) -> PatientRecords:
        """These records with those of one kind replaced (the last, for a single kind)."""
        held: Any = (rows[-1] if rows else None) if kind.single else tuple(rows)
        return replace(self, **{kind.listing: held})


def assemble(info: PatientInfo, per_kind: dict[str, list[Stored[Any]]]) -> PatientRecords:
    """Her records from the current records of each kind, keyed by the kind's entity."""
    records = PatientRecords(patient=info)
    for kind in KINDS:
        records = records.with_records(kind, per_kind.get(kind.entity, []))
    return records


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

    @property
    def changes(self) -> Changes:
        """A whole file: every screen shows everything again."""
        return EVERYTHING
