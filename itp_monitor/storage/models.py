"""The record store's tables: patients, clinical records in versions, settings and audit trail.

Clinical rows are never changed in value nor deleted. A correction marks the
original `corrected` and adds a row that `supersedes` it; a void marks it
`voided`. Only rows whose status is `current` count. Times of care are local
wall-clock times; the bookkeeping times (`*_utc`) are UTC.

Every row that travels to another database (patients, record versions, settings,
preferences, audit entries) has a `uid` that is unique everywhere and the `device`
that made it, the database's own (`devices`). Integer ids stay for joins within
one database.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    false,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine.interfaces import ExecutionContext

from itp_monitor.domain.protocol import limits
from itp_monitor.domain.vocab import (
    AdverseEventGrade,
    Anaesthesia,
    AuditAction,
    ConflictKind,
    DeliveryMode,
    InjectionSite,
    RecordStatus,
    Role,
    Settlement,
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


def _current_covering(name: str, *columns: str) -> Index:
    """An index over the current versions holding every column a bulk read needs."""
    where = text("status = 'current'")
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Ids are UUIDs kept as their 36-character text, not SQLAlchemy's `Uuid` type: the same
# text in SQLite and PostgreSQL, in raw SQL, in the driver-level reads and writes of
# storage/bulk.py and in JSON, so nothing converts them per database. The cost, 36
# bytes against 16 for PostgreSQL's native uuid, is small beside the rows they name.
UID_LENGTH = 36
ACCOUNT_NAME_LENGTH = 80
_THIS_DEVICE = "itp_this_device"


def new_uids(n: int) -> list[str]:
    """`n` new UUIDs of version 7 (RFC 9562: the time in ms, then 74 random bits), as text:
    time-ordered, so new rows go to the end of each uid index as integer ids do, and made
    from one read of the random source, six times quicker than `uuid.uuid4()` each."""
    ms = f"{time.time_ns() // 1_000_000:012x}"
    raw = os.urandom(10 * n).hex()
    return [
        f"{ms[:8]}-{ms[8:]}-7{h[:3]}-{'89ab'[int(h[3], 16) & 3]}{h[4:7]}-{h[7:19]}"
        for h in (raw[i : i + 20] for i in range(0, 20 * n, 20))
    ]


def new_uid() -> str:
    return new_uids(1)[0]


class Device(Base):
    """A database that makes records: this one (`this_device`), and those met by a sync."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    this_device: Mapped[bool] = mapped_column(default=False, server_default=false())
    first_seen_utc: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        # one device is this database's own
        Index(
            "uq_devices_this_device",
            "this_device",
            unique=True,
            sqlite_where=text("this_device"),
            postgresql_where=text("this_device"),
        ),
    )


def this_device(connection: Connection) -> str:
    """The uid of the database's own device, read once per driver connection."""
    info = connection.info
    found: str | None = info.get(_THIS_DEVICE)
    if found is None:
        found = connection.scalar(select(Device.uid).where(Device.this_device))
        if found is None:
            raise RuntimeError("the database has no device of its own: it is not set up")
        info[_THIS_DEVICE] = found
    return found


def _device_default(context: ExecutionContext) -> str:
    return this_device(context.connection)


class Travels:
    """The columns of a row that travels to other databases: its uid and its device."""

    uid: Mapped[str] = mapped_column(
        String(UID_LENGTH), unique=True, default=new_uid, sort_order=10
    )
    device: Mapped[str] = mapped_column(String(UID_LENGTH), default=_device_default, sort_order=11)


TRAVELLING_COLUMNS = ("uid", "device")


class Patient(Travels, Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One MRN per woman is kept by the services; a sync can bring the same MRN
    # registered on another device, a conflict until staff link the two.
    mrn: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None]
    edd: Mapped[date]
    weight_kg: Mapped[float | None]
    notes: Mapped[str | None] = mapped_column(Text)
    archived: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at_utc: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    # the registration of the same woman this one was linked into (its uid), and closed
    linked_into: Mapped[str | None] = mapped_column(String(UID_LENGTH))

    __table_args__ = (
        CheckConstraint("length(trim(mrn)) > 0", name="mrn_not_blank"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        CheckConstraint(
            _between("weight_kg", _LIMITS.weight_min, _LIMITS.weight_max, nullable=True),
            name="weight_plausible",
        ),
    )


class ClinicalRow(Travels, Base):
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
        # A version is corrected at most once on one device (the service refuses to
        # correct one that is not current); two devices may each have corrected it, and
        # a sync then holds both corrections, a conflict for staff (services/sync.py).
        return mapped_column(
            ForeignKey(f"{cls.__tablename__}.id", ondelete="RESTRICT"), index=True, sort_order=2
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
        # Covers the ward board's read of every current count. Not unique: the service
        # refuses a count twice, but a sync may bring the same count entered on another
        # device, a conflict for staff to settle.
        _current_covering(
            "ix_platelet_counts_current", "patient_id", "collected_at", "value", "status"
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
    )


class NeonatalCountRow(ClinicalRow):
    __tablename__ = "neonatal_counts"

    collected_at: Mapped[datetime]
    value: Mapped[float]
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _clinical_args(
        "neonatal_counts",
        CheckConstraint(_between("value", 0, _LIMITS.count_max), name="value_plausible"),
        _current_covering("ix_neonatal_counts_current", "patient_id", "collected_at", "value"),
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


class ProtocolSettingRow(Travels, Base):
    """One change of a protocol setting by the unit. A NULL value returns the setting to
    the shipped default. `replaces` names the changes of the key in force when it was
    made (their uids): the change no later change replaces is in force, whatever the
    clocks said; two such, made on two devices apart, are a conflict."""

    __tablename__ = "protocol_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[float | None]
    set_at_utc: Mapped[datetime]
    set_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    replaces: Mapped[list[str]] = mapped_column(JSON)


class PreferenceRow(Travels, Base):
    """A remembered choice of the unit (a lab file's column mapping, local HL7 codes).

    Append-only like the settings: the latest row per key is in force.
    """

    __tablename__ = "preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    value: Mapped[Any] = mapped_column(JSON)
    set_at_utc: Mapped[datetime]
    set_by: Mapped[str] = mapped_column(String(100))


class AuditEntry(Travels, Base):
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
    record_uid: Mapped[str | None] = mapped_column(String(UID_LENGTH))  # the record's uid
    original_id: Mapped[int | None]
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_one_of("action", AUDIT_ACTIONS), name="action_known"),
        # the guards look up the entry that corrected or voided a version (guards.audited)
        Index("ix_audit_entries_original_id", "original_id"),
    )


class DatabaseIdentity(Base):
    """The database's own id, made once by the migration that added the audit chain and
    never changed: the chain is anchored on it (storage/chain.py). A copy of the file
    keeps it; unlike the device, it does not change when a copy first syncs."""

    __tablename__ = "database_identity"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH))
    made_at_utc: Mapped[datetime]

    __table_args__ = (CheckConstraint("id = 1", name="only_one"),)


class AuditLink(Base):
    """One link of the audit trail's hash chain (storage/chain.py): the entry at this
    position, and a hash over its content and the previous link's hash. Written in the
    transaction that wrote the entry, by this database only: it does not travel (a synced
    entry is linked into each database's own chain as it arrives). Append-only."""

    __tablename__ = "audit_chain"

    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("audit_entries.id", ondelete="RESTRICT"), unique=True
    )
    hash: Mapped[str] = mapped_column(String(64))


class Account(Base):
    """A person who signs in (issue 12). Never deleted: disabled. The account itself
    travels with a sync (the newest change of it wins, by `changed_at_utc`), so that a
    laptop signs its staff in offline; its failed sign-ins and lock stay on the
    computer where they happened."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True, default=new_uid)
    name: Mapped[str] = mapped_column(String(ACCOUNT_NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(String(ACCOUNT_NAME_LENGTH), unique=True)  # casefolded
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id, encoded with its salt
    active: Mapped[bool] = mapped_column(default=True)
    changed_at_utc: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(String(200))
    failed_in_row: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    locked_until_utc: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(_one_of("role", values_of(Role)), name="role_known"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )


class ConflictRow(Base):
    """What two devices did to one thing that a sync cannot settle: found by a sync, and
    the same everywhere (its uid is made from what it is about, so that two syncs that
    find it make one). Open until a settlement names it (SettlementRow)."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True)
    device: Mapped[str] = mapped_column(String(UID_LENGTH))  # the device that ran the sync
    patient_id: Mapped[int | None] = mapped_column(  # none for a protocol setting's
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    entity: Mapped[str] = mapped_column(String(40))  # the kind of record, "patient", a setting
    what: Mapped[str] = mapped_column(String(30))
    subjects: Mapped[list[str]] = mapped_column(JSON)  # uids of the rows in conflict
    detected_at_utc: Mapped[datetime]

    __table_args__ = (CheckConstraint(_one_of("what", values_of(ConflictKind)), name="what_known"),)


class SettlementRow(Travels, Base):
    """Staff's settling of a conflict: how, who, when and why. Append-only."""

    __tablename__ = "settlements"

    id: Mapped[int] = mapped_column(primary_key=True)
    conflict_uid: Mapped[str] = mapped_column(String(UID_LENGTH), index=True)
    how: Mapped[str] = mapped_column(String(20))
    at_utc: Mapped[datetime]
    user: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    audit_uid: Mapped[str | None] = mapped_column(String(UID_LENGTH))  # the change that settled

    __table_args__ = (CheckConstraint(_one_of("how", values_of(Settlement)), name="how_known"),)


class SyncRow(Base):
    """One sync with another database, kept by both. `marks` are, per table, the highest
    id of this database's rows that the other then held; a later sync of the same two
    sends only what is newer, once both sides hold the record of this one."""

    __tablename__ = "syncs"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH), index=True)  # the same on both sides
    at_utc: Mapped[datetime]
    user: Mapped[str] = mapped_column(String(100))
    partner: Mapped[str] = mapped_column(String(UID_LENGTH))  # the other side's device
    partner_location: Mapped[str] = mapped_column(Text)
    marks: Mapped[dict[str, int]] = mapped_column(JSON)
    sent: Mapped[int]
    received: Mapped[int]
    new_conflicts: Mapped[int]


CLINICAL_TABLES: tuple[type[ClinicalRow], ...] = (
    PlateletCountRow,
    InjectionRow,
    BleedingAssessmentRow,
    TreatmentRow,
    DeliveryRow,
    NeonatalCountRow,
    AdverseEventRow,
)
