"""The record store's tables: patients, clinical records in versions, settings and audit trail.

Clinical rows are never changed in value nor deleted. A correction marks the
original `corrected` and adds a row that `supersedes` it; a void marks it
`voided`. Only rows whose status is `current` count. Times of care are local
wall-clock times; the bookkeeping times (`*_utc`) are UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from itp_monitor.domain.protocol import limits
from itp_monitor.domain.vocab import (
    AdverseEventGrade,
    Anaesthesia,
    AuditAction,
    DeliveryMode,
    InjectionSite,
    RecordStatus,
    TreatmentKind,
    WhoBleedingGrade,
    values_of,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_LIMITS = limits()

AUDIT_ACTIONS = tuple(a.value for a in AuditAction)


def _one_of(column: str, allowed: tuple[str, ...], *, nullable: bool = False) -> str:
    listed = ", ".join(f"'{a}'" for a in allowed)
    clause = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {clause}" if nullable else clause


def _between(column: str, lo: float, hi: float, *, nullable: bool = False) -> str:
    clause = f"{column} >= {lo:g} AND {column} <= {hi:g}"
    return f"{column} IS NULL OR ({clause})" if nullable else clause


def _current_only(*columns: str, name: str) -> Index:
    """A unique index over the current versions only (SQLite and PostgreSQL partial index)."""
    where = text("status = 'current'")
    return Index(name, *columns, unique=True, sqlite_where=where, postgresql_where=where)


def _current_covering(name: str, *columns: str) -> Index:
    """An index over the current versions holding every column a bulk read needs."""
    where = text("status = 'current'")
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None]
    edd: Mapped[date]
    weight_kg: Mapped[float | None]
    notes: Mapped[str | None] = mapped_column(Text)
    archived: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at_utc: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("length(trim(mrn)) > 0", name="mrn_not_blank"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        CheckConstraint(
            _between("weight_kg", _LIMITS.weight_min, _LIMITS.weight_max, nullable=True),
            name="weight_plausible",
        ),
    )


class ClinicalRow(Base):
    """Columns every clinical record has: its patient, its version and who entered it."""

    __abstract__ = True

    # sort_order puts identity first and bookkeeping last in every table.
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)
    status: Mapped[str] = mapped_column(
        String(10), default=RecordStatus.CURRENT.value, sort_order=1
    )
    entered_at_utc: Mapped[datetime] = mapped_column(sort_order=3)
    entered_by: Mapped[str] = mapped_column(String(100), sort_order=4)

    @declared_attr
    def patient_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), sort_order=-1)

    @declared_attr
    def supersedes_id(cls) -> Mapped[int | None]:
        # unique: a version is corrected at most once, so versions form a chain.
        return mapped_column(
            ForeignKey(f"{cls.__tablename__}.id", ondelete="RESTRICT"), unique=True, sort_order=2
        )


def _clinical_args(table: str, *extra: Any) -> tuple[Any, ...]:
    return (
        CheckConstraint(_one_of("status", values_of(RecordStatus)), name="status_known"),
        Index(f"ix_{table}_patient_status", "patient_id", "status"),
        *extra,
    )


class PlateletCountRow(ClinicalRow):
    __tablename__ = "platelet_counts"

    collected_at: Mapped[datetime]
    value: Mapped[float]
    source: Mapped[str] = mapped_column(String(64))
    accession: Mapped[str | None] = mapped_column(String(64), index=True)

    __table_args__ = _clinical_args(
        "platelet_counts",
        CheckConstraint(_between("value", 0, _LIMITS.count_max), name="value_plausible"),
        # status as a column too: every row is 'current', so the rule is the same, but
        # the index then covers the ward board's read of every current count.
        _current_only(
            "patient_id", "collected_at", "value", "status", name="uq_platelet_counts_current"
        ),
    )


class InjectionRow(ClinicalRow):
    __tablename__ = "injections"

    given_at: Mapped[datetime]
    dose_units: Mapped[int]
    weight_kg: Mapped[float]
    site: Mapped[str | None] = mapped_column(String(20))
    lot: Mapped[str | None] = mapped_column(String(64))
    given_by: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _clinical_args(
        "injections",
        CheckConstraint("dose_units > 0", name="dose_positive"),
        CheckConstraint(
            _between("weight_kg", _LIMITS.weight_min, _LIMITS.weight_max), name="weight_plausible"
        ),
        CheckConstraint(
            _one_of("site", values_of(InjectionSite), nullable=True), name="site_known"
        ),
        _current_covering(
            "ix_injections_current", "patient_id", "given_at", "dose_units", "weight_kg", "status"
        ),
    )


class BleedingAssessmentRow(ClinicalRow):
    __tablename__ = "bleeding_assessments"

    assessed_at: Mapped[datetime]
    who_grade: Mapped[int]
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _clinical_args(
        "bleeding_assessments",
        CheckConstraint(
            _between("who_grade", min(WhoBleedingGrade), max(WhoBleedingGrade)),
            name="who_grade_known",
        ),
    )


class TreatmentRow(ClinicalRow):
    __tablename__ = "treatments"

    kind: Mapped[str] = mapped_column(String(30))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    dose: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _clinical_args(
        "treatments",
        CheckConstraint(_one_of("kind", values_of(TreatmentKind)), name="kind_known"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )


class DeliveryRow(ClinicalRow):
    __tablename__ = "deliveries"

    delivered_at: Mapped[datetime]
    mode: Mapped[str] = mapped_column(String(30))
    anaesthesia: Mapped[str | None] = mapped_column(String(30))
    blood_loss_ml: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _clinical_args(
        "deliveries",
        CheckConstraint(_one_of("mode", values_of(DeliveryMode)), name="mode_known"),
        CheckConstraint(
            _one_of("anaesthesia", values_of(Anaesthesia), nullable=True), name="anaesthesia_known"
        ),
        CheckConstraint(
            _between("blood_loss_ml", 0, _LIMITS.blood_loss_max_ml, nullable=True),
            name="blood_loss_plausible",
        ),
        _current_only("patient_id", name="uq_deliveries_current"),
    )


class NeonatalCountRow(ClinicalRow):
    __tablename__ = "neonatal_counts"

    collected_at: Mapped[datetime]
    value: Mapped[float]
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _clinical_args(
        "neonatal_counts",
        CheckConstraint(_between("value", 0, _LIMITS.count_max), name="value_plausible"),
        _current_only("patient_id", "collected_at", "value", name="uq_neonatal_counts_current"),
    )


class AdverseEventRow(ClinicalRow):
    __tablename__ = "adverse_events"

    onset_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(Text)
    grade: Mapped[int]
    related_to_rhtpo: Mapped[bool | None]
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _clinical_args(
        "adverse_events",
        CheckConstraint("length(trim(description)) > 0", name="description_not_blank"),
        CheckConstraint(
            _between("grade", min(AdverseEventGrade), max(AdverseEventGrade)), name="grade_known"
        ),
    )


class ProtocolSettingRow(Base):
    """One change of a protocol setting by the unit; the latest row per key is in force.

    A NULL value returns the setting to the shipped default.
    """

    __tablename__ = "protocol_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[float | None]
    set_at_utc: Mapped[datetime]
    set_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)


class PreferenceRow(Base):
    """A remembered choice of the unit (a lab file's column mapping, local HL7 codes).

    Append-only like the settings: the latest row per key is in force.
    """

    __tablename__ = "preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    value: Mapped[Any] = mapped_column(JSON)
    set_at_utc: Mapped[datetime]
    set_by: Mapped[str] = mapped_column(String(100))


class AuditEntry(Base):
    """Who did what to which record, when, with the values before and after and why.

    The database refuses to change or delete these rows (triggers in the migrations).
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at_utc: Mapped[datetime]
    user: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int | None]
    original_id: Mapped[int | None]
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint(_one_of("action", AUDIT_ACTIONS), name="action_known"),)


CLINICAL_TABLES: tuple[type[ClinicalRow], ...] = (
    PlateletCountRow,
    InjectionRow,
    BleedingAssessmentRow,
    TreatmentRow,
    DeliveryRow,
    NeonatalCountRow,
    AdverseEventRow,
)
