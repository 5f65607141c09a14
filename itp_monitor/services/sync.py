"""Sync: two databases (a clinic laptop, a file on a USB stick, the ward) brought to the
same records, both ways, in one run.

Nothing here needs a sync engine, because nothing in the record store is ever
changed in value: every patient, record version, audit entry, setting, preference,
conflict and settlement has a uid that is unique everywhere (storage/models.py), so
a sync is a union. What one side lacks it gets, with its original device, user and
times; a record's status moves only forward (current → corrected → voided); a
patient's details move by replaying the audit entries of their changes, each
applied only to the details it was made from. What two devices did to the same
thing apart is never settled here: it becomes a conflict (ConflictKind), found
once and the same on both sides, for staff to settle (services/conflicts.py).

Each side changes in one transaction: a sync stopped midway leaves each side as it
was or fully synced. Both record the sync with the same uid and, per table, the
highest id of their rows the other then held (`marks`). The next sync of the two
finds the last sync both recorded and reads only the rows past its marks, and the
rows whose status changed since (named by the audit entries past the mark): a sync
with nothing new reads next to nothing. Two that never synced, or whose last sync
one of them lost (a kill between the two commits, a restored backup), compare all.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, true, update
from sqlalchemy.orm import Session

from itp_monitor.domain.vocab import STATUS_ORDER, AuditAction, ConflictKind, RecordStatus
from itp_monitor.services.conflicts import still_open
from itp_monitor.services.context import to_utc
from itp_monitor.services.kinds import KINDS
from itp_monitor.services.recorder import PATIENT_ENTITY
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.bulk import insert_many
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate
from itp_monitor.storage.models import (
    CLINICAL_TABLES,
    AuditEntry,
    ClinicalRow,
    ConflictRow,
    Device,
    Patient,
    PreferenceRow,
    ProtocolSettingRow,
    SettlementRow,
    SyncRow,
    new_uid,
)

CHUNK = 5_000  # uids in one IN (...) list
CURRENT = RecordStatus.CURRENT.value
RANK = {status.value: n for n, status in enumerate(STATUS_ORDER)}
# Made from what a conflict is about, so that every sync that finds it makes the same.
CONFLICT_NAMESPACE = uuid.UUID("5b0f6d0e-43a2-4c8e-9d43-6b1f2d1c9e01")

ENTITY_TABLES: dict[str, Any] = {
    **{kind.entity: kind.row for kind in KINDS},
    PATIENT_ENTITY: Patient,
    "protocol_setting": ProtocolSettingRow,
    "device": Device,
}
# Tables past whose mark a sync reads only what is new; the others are read whole.
MARKED: tuple[Any, ...] = (*CLINICAL_TABLES, AuditEntry, ProtocolSettingRow, PreferenceRow)
PATIENT_FIELDS = ("mrn", "name", "date_of_birth", "edd", "weight_kg", "notes", "archived")


class SyncRefused(Exception):
    """The sync could not run; neither side was changed."""


@dataclass(frozen=True)
class SyncOutcome:
    sent: int  # patients, record versions and changes of either the other side took
    received: int  # ... and this side
    new_conflicts: int
    open_conflicts: int
    other: str  # where the other side is, as it is named to people
    other_device: str  # its name

    def as_json(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "received": self.received,
            "new_conflicts": self.new_conflicts,
            "open_conflicts": self.open_conflicts,
        }


Progress = Callable[[str], None]


def _nothing(_step: str) -> None:
    pass


class SyncService(ServiceBase):
    def sync(self, other: str, progress: Progress = _nothing) -> SyncOutcome:
        """Brings this database and `other` (a file, created when absent, or a database
        URL) to the same records. Raises SyncRefused, SchemaError or StorageFailure when
        it cannot; then neither side was changed."""
        location = resolve_location(other)
        if location.path is not None and location.path == self.db.location.path:
            raise SyncRefused(f"{location.name()} is this database itself")
        progress(f"Opening {location.name()}")
        partner = Database(location)
        try:
            with partner.failures():
                migrate(partner)  # upgraded first (with its copy), or refused when newer
            return self._sync(partner, progress)
        finally:
            partner.dispose()

    def _sync(self, partner: Database, progress: Progress) -> SyncOutcome:
        now_utc = to_utc(self.clock())
        with partner.failures():
            _own_device_apart(self.db, partner)
        with self.db.writing() as mine, partner.failures(), partner.writing() as theirs:
            a, b = Side(mine), Side(theirs)
            if a.device == b.device:  # pragma: no cover - _own_device_apart prevents it
                raise SyncRefused("both databases are the same device")
            marks_a, marks_b = _common_marks(a, b)
            progress("Reading what each side holds")
            out_a = a.outgoing(marks_a)
            out_b = b.outgoing(marks_b)
            progress("Copying")
            got_b = b.take(out_a)
            got_a = a.take(out_b)
            progress("Looking for conflicts")
            found = find_conflicts(a, got_a, got_b) + find_conflicts(b, got_b, got_a)
            new = _add_conflicts(a, b, found, now_utc)
            sync_uid = new_uid()
            sent, received = got_b.copied, got_a.copied
            for side, other, copied, given in ((a, b, received, sent), (b, a, sent, received)):
                side.record_sync(
                    sync_uid,
                    now_utc,
                    self.user,
                    other,
                    sent=given,
                    received=copied,
                    new_conflicts=new,
                )
            open_now = len(still_open(mine))
            progress("Saving")
        return SyncOutcome(
            sent=sent,
            received=received,
            new_conflicts=new,
            open_conflicts=open_now,
            other=partner.location.name(),
            other_device=b.device_name,
        )


def _own_device_apart(db: Database, partner: Database) -> None:
    """A database copied as a file holds its original's device: the copy (the other side)
    gets a device of its own, so that what each makes from now on is told apart."""
    with db.reading() as session:
        mine = session.scalars(select(Device).where(Device.this_device)).one()
    with partner.writing() as session:
        theirs = session.scalars(select(Device).where(Device.this_device)).one()
        if theirs.uid != mine.uid:
            return
        theirs.this_device = False
        session.flush()
        session.add(
            Device(
                uid=new_uid(),
                name=f"{theirs.name} (copy)"[:200],
                this_device=True,
                first_seen_utc=theirs.first_seen_utc,
            )
        )
    partner.engine.dispose()  # each connection remembers its device (models.this_device)


def _common_marks(a: Side, b: Side) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    """The marks of the last sync of these two that both sides recorded, or none."""
    theirs = {uid: marks for uid, marks in b.syncs_with(a.device)}
    for uid, marks in reversed(a.syncs_with(b.device)):
        if uid in theirs:
            return marks, theirs[uid]
    return None, None


# --- one side -------------------------------------------------------------


@dataclass
class Outgoing:
    """What one side holds that the other may lack."""

    devices: list[dict[str, Any]]
    patients: list[dict[str, Any]]
    rows: dict[str, list[dict[str, Any]]]  # table name → rows with their references' uids
    statuses: dict[str, dict[str, str]]  # table name → uid → status
    audit: list[dict[str, Any]]
    settings: list[dict[str, Any]]
    preferences: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    settlements: list[dict[str, Any]]


@dataclass
class Taken:
    """What one side took from the other in a sync."""

    copied: int = 0  # patients, record versions, and changes of either (a void, new details)
    patients: set[str] = field(default_factory=set)  # uids of the patients it touched
    rows: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # new uids
    statuses: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    entries: list[dict[str, Any]] = field(default_factory=list)  # audit entries, as taken


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _plain(row: Any, table: Table, leave_out: Iterable[str] = ("id",)) -> dict[str, Any]:
    skip = set(leave_out)
    mapping = row._mapping
    return {c.name: mapping[c.name] for c in table.columns if c.name not in skip}


class Side:
    """One database in a sync, in its open write transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        own = session.scalars(select(Device).where(Device.this_device)).one()
        self.device, self.device_name = own.uid, own.name
        # patients whose details were changed here and on the other side (_replay_details)
        self.details_apart: list[tuple[str, list[str]]] = []

    # --- what was synced before

    def syncs_with(self, device: str) -> list[tuple[str, dict[str, int]]]:
        rows = self.session.execute(
            select(SyncRow.uid, SyncRow.marks).where(SyncRow.partner == device).order_by(SyncRow.id)
        )
        return [(uid, marks) for uid, marks in rows]

    def record_sync(
        self,
        uid: str,
        at_utc: datetime,
        user: str,
        other: Side,
        *,
        sent: int,
        received: int,
        new_conflicts: int,
    ) -> None:
        """Keeps the sync, with the marks past which the next one with `other` reads."""
        marks = {
            _table(model).name: self.session.scalar(select(func.max(model.id))) or 0
            for model in MARKED
        }
        self.session.add(
            SyncRow(
                uid=uid,
                at_utc=at_utc,
                user=user,
                partner=other.device,
                partner_location=other.device_name,
                marks=marks,
                sent=sent,
                received=received,
                new_conflicts=new_conflicts,
            )
        )
        self.session.flush()

    # --- reading what to send

    def outgoing(self, marks: Mapping[str, int] | None) -> Outgoing:
        def past(model: Any) -> Any:
            return model.id > (marks or {}).get(_table(model).name, 0)

        audit = self._audit(past(AuditEntry))
        return Outgoing(
            devices=self._simple(Device, true()),
            patients=self._simple(Patient, true()),
            rows={
                _table(model).name: self._versions(model, past(model)) for model in CLINICAL_TABLES
            },
            statuses=self._changed_statuses(audit) if marks is not None else {},
            audit=audit,
            settings=self._simple(ProtocolSettingRow, past(ProtocolSettingRow)),
            preferences=self._simple(PreferenceRow, past(PreferenceRow)),
            conflicts=self._conflicts(),
            settlements=self._simple(SettlementRow, true()),
        )

    def _simple(self, model: Any, where: Any) -> list[dict[str, Any]]:
        table = _table(model)
        return [_plain(r, table) for r in self.session.execute(select(table).where(where))]

    def _versions(self, model: type[ClinicalRow], where: Any) -> list[dict[str, Any]]:
        table = _table(model)
        patient = _table(Patient)
        older = table.alias("older")
        query = (
            select(table, patient.c.uid.label("patient_uid"), older.c.uid.label("supersedes_uid"))
            .join(patient, patient.c.id == table.c.patient_id)
            .outerjoin(older, older.c.id == table.c.supersedes_id)
            .where(where)
            .order_by(table.c.id)
        )
        leave_out = ("id", "patient_id", "supersedes_id")
        return [
            {
                **_plain(r, table, leave_out),
                "patient_uid": r.patient_uid,
                "supersedes_uid": r.supersedes_uid,
            }
            for r in self.session.execute(query)
        ]

    def _audit(self, where: Any) -> list[dict[str, Any]]:
        table = _table(AuditEntry)
        patient = _table(Patient)
        query = (
            select(table, patient.c.uid.label("patient_uid"))
            .outerjoin(patient, patient.c.id == table.c.patient_id)
            .where(where)
            .order_by(table.c.id)
        )
        entries = [
            {
                **_plain(r, table, ("id", "patient_id", "record_id", "original_id")),
                "patient_uid": r.patient_uid,
                "original_id": r.original_id,
            }
            for r in self.session.execute(query)
        ]
        # the original a correction replaced, by its uid
        wanted: dict[str, set[int]] = defaultdict(set)
        for entry in entries:
            if entry["original_id"] is not None and entry["entity"] in ENTITY_TABLES:
                wanted[entry["entity"]].add(entry["original_id"])
        uids: dict[tuple[str, int], str] = {}
        for entity, ids in wanted.items():
            uids.update(
                ((entity, i), u) for i, u in self._uids_of(ENTITY_TABLES[entity], sorted(ids))
            )
        for entry in entries:
            original = entry.pop("original_id")
            entry["original_uid"] = uids.get((entry["entity"], original))
        return entries

    def _uids_of(self, model: Any, ids: Sequence[int]) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        for chunk in _chunks(ids):
            found += [
                (i, u)
                for i, u in self.session.execute(
                    select(model.id, model.uid).where(model.id.in_(chunk))
                )
            ]
        return found

    def _ids_of(self, model: Any, uids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _chunks(uids):
            found.update(
                (u, i)
                for u, i in self.session.execute(
                    select(model.uid, model.id).where(model.uid.in_(chunk))
                )
            )
        return found

    def _changed_statuses(self, audit: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
        """The statuses of the versions that audit entries past the mark corrected or
        voided: older versions, whose rows are not past the mark themselves."""
        named: dict[str, set[str]] = defaultdict(set)
        for entry in audit:
            if entry["action"] in (AuditAction.CORRECT, AuditAction.VOID):
                model = ENTITY_TABLES.get(entry["entity"])
                if model is not None and model in CLINICAL_TABLES:
                    named[entry["entity"]].update(
                        u for u in (entry["record_uid"], entry["original_uid"]) if u
                    )
        statuses: dict[str, dict[str, str]] = {}
        for entity, uids in named.items():
            model = ENTITY_TABLES[entity]
            found: dict[str, str] = {}
            for chunk in _chunks(sorted(uids)):
                found.update(
                    self.session.execute(
                        select(model.uid, model.status).where(model.uid.in_(chunk))
                    ).all()
                )
            statuses[_table(model).name] = found
        return statuses

    def _conflicts(self) -> list[dict[str, Any]]:
        table = _table(ConflictRow)
        patient = _table(Patient)
        query = select(table, patient.c.uid.label("patient_uid")).join(
            patient, patient.c.id == table.c.patient_id
        )
        return [
            {**_plain(r, table, ("id", "patient_id")), "patient_uid": r.patient_uid}
            for r in self.session.execute(query)
        ]

    # --- taking what the other sent

    def take(self, incoming: Outgoing) -> Taken:
        taken = Taken()
        self._take_devices(incoming.devices)
        patient_ids, new_patients = self._take_patients(incoming.patients, taken)
        for model in CLINICAL_TABLES:
            table = _table(model).name
            self._take_versions(model, incoming.rows.get(table, []), patient_ids, taken)
            self._move_forward(model, incoming.statuses.get(table, {}), taken)
            # in a full comparison, the statuses come with the rows
            self._move_forward(
                model, {r["uid"]: r["status"] for r in incoming.rows.get(table, [])}, taken
            )
        self._insert_missing(ProtocolSettingRow, incoming.settings)
        self._insert_missing(PreferenceRow, incoming.preferences)
        self._take_audit(incoming.audit, patient_ids, taken)
        self._insert_missing(SettlementRow, incoming.settlements)
        self._replay_details(taken, new_patients, incoming.settlements)
        self._take_conflicts(incoming.conflicts, patient_ids)
        return taken

    def _take_devices(self, devices: list[dict[str, Any]]) -> None:
        known = {d.uid: d for d in self.session.scalars(select(Device))}
        for device in devices:
            mine = known.get(device["uid"])
            if mine is None:
                self.session.add(Device(**{**device, "this_device": False}))
            elif device["this_device"] and not mine.this_device and mine.name != device["name"]:
                mine.name = device["name"]  # a device's own name wins
        self.session.flush()

    def _take_patients(
        self, patients: list[dict[str, Any]], taken: Taken
    ) -> tuple[dict[str, int], set[str]]:
        ids = dict(self.session.execute(select(Patient.uid, Patient.id)).all())
        missing = [p for p in patients if p["uid"] not in ids]
        if missing:
            new = insert_many(self.session, _table(Patient), missing)
            ids.update(zip((p["uid"] for p in missing), new, strict=True))
            taken.copied += len(missing)
            taken.patients.update(p["uid"] for p in missing)
        return ids, {p["uid"] for p in missing}

    def _take_versions(
        self,
        model: type[ClinicalRow],
        rows: list[dict[str, Any]],
        patient_ids: Mapping[str, int],
        taken: Taken,
    ) -> None:
        if not rows:
            return
        have = self._ids_of(model, [r["uid"] for r in rows])
        pending = [r for r in rows if r["uid"] not in have]
        older = self._ids_of(
            model, sorted({r["supersedes_uid"] for r in pending if r["supersedes_uid"]})
        )
        table = _table(model)
        while pending:
            # a version goes in once the one it corrected is here: in the order they were made
            ready = [
                r for r in pending if r["supersedes_uid"] is None or r["supersedes_uid"] in older
            ]
            if not ready:
                raise SyncRefused(
                    f"{table.name}: {len(pending)} versions correct records the other side "
                    "does not hold; its database is damaged (run check on it)"
                )
            waiting = [
                r
                for r in pending
                if not (r["supersedes_uid"] is None or r["supersedes_uid"] in older)
            ]
            values = [
                {
                    **{k: v for k, v in r.items() if k not in ("patient_uid", "supersedes_uid")},
                    "patient_id": patient_ids[r["patient_uid"]],
                    "supersedes_id": older[r["supersedes_uid"]] if r["supersedes_uid"] else None,
                }
                for r in ready
            ]
            new_ids = insert_many(self.session, table, values)
            older.update(zip((r["uid"] for r in ready), new_ids, strict=True))
            taken.copied += len(ready)
            taken.rows[table.name].update(r["uid"] for r in ready)
            taken.patients.update(r["patient_uid"] for r in ready)
            pending = waiting

    def _move_forward(self, model: Any, statuses: Mapping[str, str], taken: Taken) -> None:
        """Each named version takes the other side's status when it is further on."""
        if not statuses:
            return
        table = _table(model)
        here: dict[str, tuple[str, int]] = {}
        for chunk in _chunks(sorted(statuses)):
            for uid, status, patient_id in self.session.execute(
                select(model.uid, model.status, model.patient_id).where(model.uid.in_(chunk))
            ):
                here[uid] = (status, patient_id)
        patients = dict(self.session.execute(select(Patient.id, Patient.uid)).all())
        for uid, status in statuses.items():
            found = here.get(uid)
            if found is None or RANK[status] <= RANK[found[0]]:
                continue
            self.session.execute(update(table).where(table.c.uid == uid).values(status=status))
            taken.statuses[table.name].add(uid)
            taken.copied += 1
            taken.patients.add(patients[found[1]])

    def _insert_missing(self, model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not rows:
            return []
        have = self._ids_of(model, [r["uid"] for r in rows])
        missing = [r for r in rows if r["uid"] not in have]
        insert_many(self.session, _table(model), missing)
        return missing

    def _take_audit(
        self, entries: list[dict[str, Any]], patient_ids: Mapping[str, int], taken: Taken
    ) -> None:
        if not entries:
            return
        have = self._ids_of(AuditEntry, [e["uid"] for e in entries])
        missing = [e for e in entries if e["uid"] not in have]
        if not missing:
            return
        named: dict[str, set[str]] = defaultdict(set)
        for entry in missing:
            if entry["entity"] in ENTITY_TABLES:
                named[entry["entity"]].update(
                    u for u in (entry["record_uid"], entry["original_uid"]) if u
                )
        ids = {
            (entity, u): i
            for entity, uids in named.items()
            for u, i in self._ids_of(ENTITY_TABLES[entity], sorted(uids)).items()
        }
        values = []
        for entry in missing:
            entity = entry["entity"]
            values.append(
                {
                    **{k: v for k, v in entry.items() if k not in ("patient_uid", "original_uid")},
                    "patient_id": patient_ids.get(entry["patient_uid"])
                    if entry["patient_uid"]
                    else None,
                    "record_id": ids.get((entity, entry["record_uid"])),
                    "original_id": ids.get((entity, entry["original_uid"])),
                }
            )
        insert_many(self.session, _table(AuditEntry), values)
        taken.entries = missing

    def _replay_details(
        self, taken: Taken, new_patients: set[str], settlements: list[dict[str, Any]]
    ) -> None:
        """A patient's details changed on the other side change here, in the order they
        were made there, each only from the details it was made from. Details changed
        here too are kept, and the two changes become a conflict; a change that settled
        such a conflict (named by a settlement) is applied over whatever stands here."""
        settling = {s["audit_uid"] for s in settlements if s["audit_uid"]}
        for entry in taken.entries:
            if entry["entity"] != PATIENT_ENTITY or entry["action"] == AuditAction.CREATE:
                continue
            if entry["patient_uid"] in new_patients or entry["after"] is None:
                continue  # a patient new here arrived as she stands
            row = self.session.scalars(
                select(Patient).where(Patient.uid == entry["patient_uid"])
            ).one()
            now = _details(row)
            after = {k: v for k, v in entry["after"].items() if k in now}
            before = {k: v for k, v in (entry["before"] or {}).items() if k in now}
            if all(now[k] == v for k, v in after.items()):
                continue
            if entry["uid"] in settling or all(now[k] == v for k, v in before.items()):
                for key, value in after.items():
                    setattr(row, key, _as_column(key, value))
                if "linked_into" in entry["after"]:
                    row.linked_into = entry["after"]["linked_into"]
                self.session.flush()
                taken.patients.add(row.uid)
                taken.copied += 1
                continue
            latest = self.session.scalar(
                select(AuditEntry.uid)
                .where(
                    AuditEntry.patient_id == row.id,
                    AuditEntry.entity == PATIENT_ENTITY,
                    AuditEntry.action != AuditAction.CREATE.value,
                    AuditEntry.uid.not_in([e["uid"] for e in taken.entries]),
                )
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
            self.details_apart.append((row.uid, sorted(u for u in (latest, entry["uid"]) if u)))
            taken.patients.add(row.uid)

    def _take_conflicts(
        self, conflicts: list[dict[str, Any]], patient_ids: Mapping[str, int]
    ) -> None:
        if not conflicts:
            return
        have = self._ids_of(ConflictRow, [c["uid"] for c in conflicts])
        missing = [
            {
                **{k: v for k, v in c.items() if k != "patient_uid"},
                "patient_id": patient_ids[c["patient_uid"]],
            }
            for c in conflicts
            if c["uid"] not in have
        ]
        insert_many(self.session, _table(ConflictRow), missing)


def _details(row: Patient) -> dict[str, Any]:
    """A patient's details as audit entries hold them (dates as ISO text)."""
    values = {k: getattr(row, k) for k in PATIENT_FIELDS}
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}


def _as_column(key: str, value: Any) -> Any:
    if key in ("date_of_birth", "edd") and isinstance(value, str):
        return datetime.fromisoformat(value).date()
    return value


# --- conflicts --------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    patient_uid: str
    entity: str
    what: ConflictKind
    subjects: tuple[str, ...]

    @property
    def uid(self) -> str:
        key = f"{self.what.value}:{self.entity}:{','.join(self.subjects)}"
        return str(uuid.uuid5(CONFLICT_NAMESPACE, key))


def find_conflicts(side: Side, took: Taken, other_took: Taken) -> list[Found]:
    """What the two sides did apart, as it stands on `side` after it took `took` and the
    other side `other_took`: the same on both, so each conflict is found by both."""
    session = side.session
    found: list[Found] = []
    touched = took.patients | other_took.patients
    if not touched:
        return found
    patients = {
        uid: (pid, mrn, linked)
        for uid, pid, mrn, linked in session.execute(
            select(Patient.uid, Patient.id, Patient.mrn, Patient.linked_into)
        )
    }
    uid_of = {pid: uid for uid, (pid, _, _) in patients.items()}
    touched_ids = [patients[u][0] for u in touched if u in patients]
    for kind in KINDS:
        model = kind.row
        table = _table(model)
        rows = session.execute(
            select(
                model.id,
                model.uid,
                model.patient_id,
                model.status,
                model.supersedes_id,
                *(getattr(model, name) for name in kind.info.same_record),
            ).where(model.patient_id.in_(touched_ids))
        ).all()
        by_id = {r.id: r for r in rows}
        successors: dict[int, list[Any]] = defaultdict(list)
        for r in rows:
            if r.supersedes_id is not None:
                successors[r.supersedes_id].append(r)
        rival = set()  # corrections of one version on two devices: one conflict, not two
        for original, versions in successors.items():
            o = by_id[original]
            if len(versions) > 1:
                rival.update(v.uid for v in versions)
                found.append(
                    Found(uid_of[o.patient_id], kind.entity, ConflictKind.CORRECTED_TWICE, (o.uid,))
                )
            if o.status == RecordStatus.VOIDED.value:
                found.append(
                    Found(
                        uid_of[o.patient_id],
                        kind.entity,
                        ConflictKind.CORRECTED_AND_VOIDED,
                        (o.uid,),
                    )
                )
        # the same record, entered on both sides: a pair of one each side took
        mine, theirs = took.rows[table.name], other_took.rows[table.name]
        groups: dict[Any, list[Any]] = defaultdict(list)
        if kind.info.single:  # one per woman: a second one is a conflict
            what = ConflictKind.SECOND_DELIVERY
            for r in rows:
                if r.status == CURRENT:
                    groups[r.patient_id].append(r)
        elif kind.info.same_record:  # the same record (a count at one time), entered apart
            what = ConflictKind.ENTERED_TWICE
            for r in rows:
                if r.status == CURRENT:
                    groups[r.patient_id, *r[5:]].append(r)
        else:
            continue
        for group in groups.values():
            uids = {r.uid for r in group} - rival
            if len(uids) > 1 and uids & mine and uids & theirs:
                found.append(
                    Found(uid_of[group[0].patient_id], kind.entity, what, tuple(sorted(uids)))
                )
    # one MRN, two registrations
    by_mrn: dict[str, list[str]] = defaultdict(list)
    for uid, (_, mrn, linked) in patients.items():
        if linked is None:
            by_mrn[mrn.strip().upper()].append(uid)
    for registrations in by_mrn.values():
        if len(registrations) > 1 and set(registrations) & touched:
            ordered = tuple(sorted(registrations))
            found.append(Found(ordered[0], PATIENT_ENTITY, ConflictKind.REGISTERED_TWICE, ordered))
    for patient_uid, entries in side.details_apart:
        found.append(Found(patient_uid, PATIENT_ENTITY, ConflictKind.DETAILS_TWICE, tuple(entries)))
    return found


def _add_conflicts(a: Side, b: Side, found: list[Found], now_utc: datetime) -> int:
    """Adds to both sides the conflicts neither had; returns how many were new."""
    unique = {f.uid: f for f in found}
    new = 0
    had_any = set()
    for side in (a, b):
        had_any |= set(side._ids_of(ConflictRow, sorted(unique)))
    for side in (a, b):
        have = side._ids_of(ConflictRow, sorted(unique))
        patients = dict(side.session.execute(select(Patient.uid, Patient.id)).all())
        rows = [
            {
                "uid": f.uid,
                "device": a.device,
                "patient_id": patients[f.patient_uid],
                "entity": f.entity,
                "what": f.what.value,
                "subjects": list(f.subjects),
                "detected_at_utc": now_utc,
            }
            for f in unique.values()
            if f.uid not in have
        ]
        insert_many(side.session, _table(ConflictRow), rows)
    new = len(set(unique) - had_any)
    return new
