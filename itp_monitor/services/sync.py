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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from itp_monitor.domain.protocol import out_of_order, protocol_book
from itp_monitor.domain.vocab import AuditAction, ConflictKind, RecordStatus
from itp_monitor.services import audit
from itp_monitor.services.conflicts import MOVED_AWAY, still_open, values_key
from itp_monitor.services.context import cycle_collector_paused, to_utc
from itp_monitor.services.kinds import KINDS
from itp_monitor.services.protocol_store import SETTING_ENTITY, heads_of, protocol_in_force
from itp_monitor.services.recorder import PATIENT_ENTITY, patient_info, patient_values
from itp_monitor.services.sync_accounts import account_notices
from itp_monitor.services.sync_reading import Outgoing, table_of
from itp_monitor.services.sync_taking import Side, SyncRefused, Taken
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage import cipher
from itp_monitor.storage.bulk import insert_audit_entries, insert_many
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate
from itp_monitor.storage.models import AuditEntry, ConflictRow, Device, Patient, new_uid

CURRENT = RecordStatus.CURRENT.value
# settled apart on two devices, these are a conflict of their own kind again
ON_THEIR_OWN = (ConflictKind.DETAILS_TWICE.value, ConflictKind.SETTING_TWICE.value)
# Made from what a conflict is about, so that every sync that finds it makes the same.
CONFLICT_NAMESPACE = uuid.UUID("5b0f6d0e-43a2-4c8e-9d43-6b1f2d1c9e01")

__all__ = ["SyncOutcome", "SyncRefused", "SyncService"]


@dataclass(frozen=True)
class SyncOutcome:
    sent: int  # patients, record versions and changes of either the other side took
    received: int  # ... and this side
    new_conflicts: int
    open_conflicts: int
    other: str  # where the other side is, as it is named to people
    other_device: str  # its name
    notices: tuple[str, ...] = ()  # what staff should check: the protocol changed on both
    accounts_sent: int = 0  # accounts added or changed on the other side (sync_accounts.py)
    accounts_received: int = 0  # ... and on this side

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
        if not other.strip():
            raise SyncRefused("no other database was named: give a file, or a database URL")
        location = resolve_location(other)
        in_memory = location.path is None or str(location.path) == ":memory:"
        if in_memory and location.url.startswith("sqlite"):
            raise SyncRefused(
                f"{location.name()} is a database in memory, gone when the sync ends: "
                "give a file, or a database URL"
            )
        same_file = location.path is not None and location.path == self.db.location.path
        if same_file or location.url == self.db.location.url:
            raise SyncRefused(f"{location.name()} is this database itself")
        here = self.db.location.path
        there = location.path if location.url.startswith("sqlite") else None
        if (
            here is not None
            and cipher.encrypted(here)
            and there is not None
            and there.is_file()
            and not cipher.absent(there)
            and not cipher.encrypted(there)
        ):
            raise SyncRefused(
                f"{location.name()} is not encrypted, and this database is: a sync would copy "
                "every woman's records into a file anyone can read; encrypt it first "
                "(itp-monitor --db FILE encrypt), or sync with a new file (made encrypted)"
            )
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
        with (
            cycle_collector_paused(),
            self.db.writing() as mine,
            partner.failures(),
            partner.writing() as theirs,
        ):
            a, b = Side(mine), Side(theirs)
            if a.device == b.device:  # pragma: no cover - _own_device_apart prevents it
                raise SyncRefused("both databases are the same device")
            marks_a, marks_b = _common_marks(a, b)
            progress("Reading what each side holds")
            out_a = a.outgoing(marks_a)
            out_b = b.outgoing(marks_b)
            apart = details_changed_apart(a, b, out_a, out_b)
            progress("Copying")
            got_b = b.take(out_a, set(apart))
            got_a = a.take(out_b, set(apart))
            progress("Looking for conflicts")
            reopen_link_cycles(a, b, self.user, now_utc)
            # both sides now hold the same: what one finds, the other would
            found = (
                find_conflicts(a, got_a, got_b, apart)
                + settings_changed_apart(a, got_a, got_b)
                + settled_apart(a, got_a, got_b)
            )
            new = _add_conflicts(a, b, found, now_utc)
            sync_uid = new_uid()
            sent, received = got_b.copied, got_a.copied
            places = (partner.location.name(), self.db.location.name())  # where the other is
            for side, other, place, copied, given in (
                (a, b, places[0], received, sent),
                (b, a, places[1], sent, received),
            ):
                side.record_sync(
                    sync_uid,
                    now_utc,
                    self.user,
                    other,
                    place,
                    sent=given,
                    received=copied,
                    new_conflicts=new,
                )
            open_now = len(still_open(mine))
            notices = protocol_notices(mine, got_a, got_b) + account_notices(
                a.device_name, b.device_name, got_a.accounts, got_b.accounts
            )
            progress("Saving")
        return SyncOutcome(
            sent=sent,
            received=received,
            new_conflicts=new,
            open_conflicts=open_now,
            other=partner.location.name(),
            other_device=b.device_name,
            notices=notices,
            accounts_sent=got_b.accounts.copied,
            accounts_received=got_a.accounts.copied,
        )


def _own_device_apart(db: Database, partner: Database) -> None:
    """A database copied as a file holds its original's device. The copy gets a device of
    its own, so that what each makes from now on is told apart: the side that has made
    fewer changes (a laptop copied from the ward), or, if as many, the one that syncs (a
    laptop just copied, synced from the laptop)."""

    def own_and_changes(database: Database) -> tuple[str, int]:
        with database.reading() as session:
            own = session.scalars(select(Device.uid).where(Device.this_device)).one()
            return own, session.scalar(select(func.count(AuditEntry.id))) or 0

    (mine, made_here), (theirs, made_there) = own_and_changes(db), own_and_changes(partner)
    if mine != theirs:
        return
    copy = db if made_here <= made_there else partner
    with copy.writing() as session:
        old = session.scalars(select(Device).where(Device.this_device)).one()
        old.this_device = False
        session.flush()
        session.add(
            Device(
                uid=new_uid(),
                name=f"{old.name} (copy)"[:200],
                this_device=True,
                first_seen_utc=old.first_seen_utc,
            )
        )
    copy.engine.dispose()  # each connection remembers its device (models.this_device)


def _common_marks(a: Side, b: Side) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    """The marks of the last sync of these two that both sides recorded, or none."""
    theirs = {uid: marks for uid, marks in b.syncs_with(a.device)}
    for uid, marks in reversed(a.syncs_with(b.device)):
        if uid in theirs:
            return marks, theirs[uid]
    return None, None


# --- conflicts --------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    patient_uid: str | None  # none for a protocol setting's
    entity: str
    what: ConflictKind
    subjects: tuple[str, ...]

    @property
    def uid(self) -> str:
        key = f"{self.what.value}:{self.entity}:{','.join(self.subjects)}"
        return str(uuid.uuid5(CONFLICT_NAMESPACE, key))


def details_changed_apart(
    a: Side, b: Side, out_a: Outgoing, out_b: Outgoing
) -> dict[str, tuple[str, ...]]:
    """The women whose details (or her place on the ward) each side changed since they
    last met, with the changes of both: neither side's is applied over the other's.
    Compared by the changes made, not by the details they led to: a woman archived and
    restored on one device while the other archived her was changed on both."""
    changes: list[dict[str, set[str]]] = []
    for out, other in ((out_a, b), (out_b, a)):
        made = [
            e
            for e in out.audit
            if e["entity"] == PATIENT_ENTITY and e["action"] != AuditAction.CREATE.value
        ]
        held = other.lookup(AuditEntry, "uid", [e["uid"] for e in made], "id")
        whose: dict[str, set[str]] = defaultdict(set)
        for entry in made:
            if entry["uid"] not in held:
                whose[entry["patient_uid"]].add(entry["uid"])
        changes.append(whose)
    mine, theirs = changes
    return {p: tuple(sorted(mine[p] | theirs[p])) for p in mine.keys() & theirs.keys()}


def reopen_link_cycles(a: Side, b: Side, user: str, now_utc: datetime) -> None:
    """Two devices that each linked one registration of a woman into the other's, apart,
    leave both closed: she would be off the board. The registration named first (by uid,
    the one her conflict is shown on) is opened again, on both sides by one audited
    change; the records the other device moved onto the other are then on a closed
    registration, a conflict to link again (ConflictKind.ON_LINKED), and the two links
    are settled differently on two devices (ConflictKind.SETTLED_TWICE)."""
    linked = dict(
        a.session.execute(
            select(Patient.uid, Patient.linked_into).where(Patient.linked_into.is_not(None))
        ).all()
    )
    cycles: dict[str, list[str]] = {}
    for start in linked:
        path = [start]
        at = linked.get(start)
        while at is not None and at not in path:
            path.append(at)
            at = linked.get(at)
        if at is not None:  # back on the path: a cycle
            members = sorted(path[path.index(at) :])
            cycles[members[0]] = members
    entry_uids = {uid: new_uid() for uid in sorted(cycles)}  # one change, on both sides
    for reopened, members in sorted(cycles.items()):
        _restore_moved_away(a, b, reopened, members, user, now_utc)
    for side in (a, b):
        entries = []
        for uid, entry_uid in entry_uids.items():
            row = side.session.scalars(select(Patient).where(Patient.uid == uid)).one()
            before = {**patient_values(patient_info(row)), "linked_into": row.linked_into}
            row.linked_into, row.archived = None, False
            side.session.flush()
            values = audit.entry_values(
                at_utc=now_utc,
                user=user,
                action=AuditAction.RESTORE,
                entity=PATIENT_ENTITY,
                record_id=row.id,
                record_uid=row.uid,
                patient_id=row.id,
                before=before,
                after={**before, "archived": False, "linked_into": None},
                reason="linked on two devices apart, each into the other: opened again by "
                "the sync, for staff to settle",
            )
            entries.append({**values, "uid": entry_uid, "device": a.device})
        if entries:
            insert_audit_entries(side.session, entries)


def _restore_moved_away(
    a: Side, b: Side, reopened: str, members: list[str], user: str, now_utc: datetime
) -> None:
    """Each link voided a record it moved, or did not copy because the other registration
    held the same: two links of one pair, each the other way, can void both of a record
    entered under both. Each record voided by these links, not current on any of her
    registrations, is entered again on the one opened again, audited, on both sides."""
    ids = dict(a.session.execute(select(Patient.uid, Patient.id)).all())
    member_ids = [ids[m] for m in members]
    moved_away = set(
        a.session.scalars(
            select(AuditEntry.record_uid).where(
                AuditEntry.patient_id.in_(member_ids),
                AuditEntry.action == AuditAction.VOID.value,
                AuditEntry.reason.startswith(MOVED_AWAY),
            )
        )
    )
    for kind in KINDS:
        model = kind.row
        rows = a.session.scalars(select(model).where(model.patient_id.in_(member_ids))).all()
        standing = {values_key(kind, r) for r in rows if r.status == CURRENT}
        lost: dict[Any, Any] = {}
        for r in rows:
            key = values_key(kind, r)
            if r.uid in moved_away and r.status != CURRENT and key not in standing:
                lost.setdefault(key, r)
        if not lost:
            continue
        copies = [(r, kind.values(kind.from_row(r)), new_uid(), new_uid()) for r in lost.values()]
        for side in (a, b):
            target = side.session.scalars(select(Patient.id).where(Patient.uid == reopened)).one()
            made = insert_many(
                side.session,
                table_of(model),
                [
                    {
                        **values,
                        "patient_id": target,
                        "status": CURRENT,
                        "supersedes_id": None,
                        "entered_at_utc": r.entered_at_utc,
                        "entered_by": r.entered_by,
                        "uid": uid,
                        "device": a.device,
                    }
                    for r, values, uid, _ in copies
                ],
            )
            entries = [
                {
                    **audit.entry_values(
                        at_utc=now_utc,
                        user=user,
                        action=AuditAction.CREATE,
                        entity=kind.entity,
                        record_id=new_id,
                        record_uid=uid,
                        patient_id=target,
                        after=values,
                        reason="voided by two links made on two devices apart, each the "
                        "other way: entered again by the sync",
                    ),
                    "uid": entry_uid,
                    "device": a.device,
                }
                for new_id, (_, values, uid, entry_uid) in zip(made, copies, strict=True)
            ]
            insert_audit_entries(side.session, entries)


def _alike(session: Session, kind: Any, uids: set[str]) -> bool:
    """Whether the records `uids` hold the same values (entered alike on two devices)."""
    model = kind.row
    rows = session.scalars(select(model).where(model.uid.in_(uids)))
    return len({values_key(kind, r) for r in rows}) == 1


def find_conflicts(
    side: Side, took: Taken, other_took: Taken, details_apart: Mapping[str, tuple[str, ...]]
) -> list[Found]:
    """What the two sides did apart, as it stands on `side` after it took `took` and the
    other side `other_took`: both then hold the same, so one side is looked at, with the
    women whose details both sides changed, found by each side's replay."""
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
    # What two devices did to one record apart, each side took one part of: only women
    # both sides took something for can have such a conflict.
    both = took.patients & other_took.patients
    touched_ids = [patients[u][0] for u in both if u in patients]
    for kind in KINDS:
        model = kind.row
        table = table_of(model)
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
        rival: set[str] = set()  # corrections of one version on two devices: one conflict, not two
        for original, versions in successors.items():
            o = by_id[original]
            if len(versions) > 1:
                rival.update(v.uid for v in versions)
                # the versions too: a third correction, after staff kept two, is new
                rivals = tuple(sorted(v.uid for v in versions))
                found.append(
                    Found(
                        uid_of[o.patient_id],
                        kind.entity,
                        ConflictKind.CORRECTED_TWICE,
                        (o.uid, *rivals),
                    )
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
        alike: dict[int, list[str]] = defaultdict(list)  # hers, entered alike on both
        for group in groups.values():
            uids = {r.uid for r in group} - rival
            if len(uids) > 1 and uids & mine and uids & theirs:
                if what is ConflictKind.ENTERED_TWICE and _alike(session, kind, uids):
                    alike[group[0].patient_id] += uids
                    continue
                found.append(
                    Found(uid_of[group[0].patient_id], kind.entity, what, tuple(sorted(uids)))
                )
        # the same lab file imported on both: one conflict for all her repeated counts
        for patient_id, repeated in alike.items():
            found.append(Found(uid_of[patient_id], kind.entity, what, tuple(sorted(repeated))))
    # records that reached a registration another device had linked into another
    closed = {uid: (pid, kept) for uid, (pid, _, kept) in patients.items() if kept is not None}
    for uid in touched & closed.keys():
        pid, kept = closed[uid]
        stranded = sorted(
            u
            for kind in KINDS
            for u in side.session.scalars(
                select(kind.row.uid).where(kind.row.patient_id == pid, kind.row.status == CURRENT)
            )
        )
        if stranded and kept in patients:
            found.append(Found(kept, PATIENT_ENTITY, ConflictKind.ON_LINKED, (uid, *stranded)))
    # one MRN, two registrations
    by_mrn: dict[str, list[str]] = defaultdict(list)
    for uid, (_, mrn, linked) in patients.items():
        if linked is None:
            by_mrn[mrn.strip().upper()].append(uid)
    for registrations in by_mrn.values():
        if len(registrations) > 1 and set(registrations) & touched:
            ordered = tuple(sorted(registrations))
            found.append(Found(ordered[0], PATIENT_ENTITY, ConflictKind.REGISTERED_TWICE, ordered))
    for patient_uid, entries in details_apart.items():
        found.append(Found(patient_uid, PATIENT_ENTITY, ConflictKind.DETAILS_TWICE, entries))
    return found


def settings_changed_apart(side: Side, took: Taken, other_took: Taken) -> list[Found]:
    """The protocol settings each side changed since they last met, neither change made
    knowing of the other (each replaces what its device had in force): one conflict per
    setting, not settled by which clock said later."""
    both = {s["key"] for s in took.settings} & {s["key"] for s in other_took.settings}
    found: list[Found] = []
    for key in sorted(both):
        standing = heads_of(side.session, key)
        if len(standing) > 1:
            subjects = tuple(sorted(r.uid for r in standing))
            found.append(Found(None, SETTING_ENTITY, ConflictKind.SETTING_TWICE, subjects))
    return found


def protocol_notices(session: Session, took: Taken, other_took: Taken) -> tuple[str, ...]:
    """What staff should check when both sides changed the protocol since they met: each
    change was checked alone, not with the other's. A pair that puts the protocol out of
    order (a critical threshold above the treatment one) is said as such; one setting
    changed on both is a conflict (settings_changed_apart)."""
    if not (took.settings and other_took.settings):
        return ()
    book = protocol_book()
    return tuple(
        f"The protocol is out of order after changes made on two devices: {clash}; "
        "correct it in Settings → Protocol."
        for clash in out_of_order(protocol_in_force(session).values, book)
    )


def settled_apart(side: Side, took: Taken, other_took: Taken) -> list[Found]:
    """Conflicts each side settled its own way, unknowing of the other's settlement (one
    kept both counts, the other voided one; each voided the other's correction): a
    conflict again, so that what staff decided on one device is not undone unseen. Details
    settled on both are left out: each settlement changed them, which is a conflict over
    her details already (details_changed_apart), and so are settings: each settlement is
    a change of the setting, and two made apart are a conflict (settings_changed_apart)."""
    mine: dict[str, set[str]] = defaultdict(set)
    theirs: dict[str, set[str]] = defaultdict(set)
    for took_here, into in ((took, mine), (other_took, theirs)):
        for settlement in took_here.settlements:
            into[settlement["conflict_uid"]].add(settlement["uid"])
    twice = mine.keys() & theirs.keys()
    if not twice:
        return []
    rows = side.session.execute(
        select(ConflictRow.uid, ConflictRow.entity, Patient.uid)
        .outerjoin(Patient, Patient.id == ConflictRow.patient_id)
        .where(ConflictRow.uid.in_(twice), ConflictRow.what.notin_(ON_THEIR_OWN))
    ).all()
    return [
        Found(patient, entity, ConflictKind.SETTLED_TWICE, tuple(sorted(mine[c] | theirs[c])))
        for c, entity, patient in rows
    ]


def _add_conflicts(a: Side, b: Side, found: list[Found], now_utc: datetime) -> int:
    """Adds to both sides the conflicts neither had; returns how many were new."""
    unique = {f.uid: f for f in found}
    held = [set(side._ids_of(ConflictRow, sorted(unique))) for side in (a, b)]
    for side, have in zip((a, b), held, strict=True):
        patients = dict(side.session.execute(select(Patient.uid, Patient.id)).all())
        rows = [
            {
                "uid": f.uid,
                "device": a.device,
                "patient_id": None if f.patient_uid is None else patients[f.patient_uid],
                "entity": f.entity,
                "what": f.what.value,
                "subjects": list(f.subjects),
                "detected_at_utc": now_utc,
            }
            for f in unique.values()
            if f.uid not in have
        ]
        insert_many(side.session, table_of(ConflictRow), rows)
    return len(set(unique) - held[0] - held[1])
