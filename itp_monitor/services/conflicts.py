"""Conflicts: what two devices did apart to one thing, shown to staff until they settle it.

A sync finds them (services/sync.py). One is open until staff settle it, and it
closes on every device at its next sync, because what settles it travels:

- an ordinary correction or void that leaves one version standing settles a
  record's conflict: two corrections of one original, a correction of what the
  other device voided (void the correction to agree with the void), the same count
  entered on both, a second delivery;
- *keep* (a settlement, with who, when and why) says both stand as they are:
  two counts at one time that really are two, a correction kept over a void; for
  details changed on two devices it says this device's details are right, and they
  then replace the others' at the next sync;
- *link* says two registrations of one MRN are one woman: the records of one are
  copied into the other with the audit trail saying so, voided where they were, and
  that registration is closed, linked into the other.

A protocol setting changed on two devices apart is a conflict too, of the unit's
rather than of a woman: a new change of the setting (Settings → Protocol) settles
it, and so does *keep*, which makes the change in force the one that replaces both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from itp_monitor.domain.problems import Problem, fmt_number
from itp_monitor.domain.protocol import protocol_book
from itp_monitor.domain.validation import InvalidEntry
from itp_monitor.domain.vocab import AuditAction, ConflictKind, RecordStatus, Settlement
from itp_monitor.services import audit
from itp_monitor.services.errors import NotFound
from itp_monitor.services.kinds import KINDS, kind_named
from itp_monitor.services.protocol_store import SETTING_ENTITY, heads_of, record_change
from itp_monitor.services.recorder import (
    PATIENT_ENTITY,
    check_reason,
    patient_info,
    patient_values,
)
from itp_monitor.services.results import EVERYTHING, Changes, Setting
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.bulk import insert_many
from itp_monitor.storage.models import (
    AuditEntry,
    ConflictRow,
    Device,
    Patient,
    ProtocolSettingRow,
    SettlementRow,
    new_uids,
)

CURRENT = RecordStatus.CURRENT.value
MOVED_AWAY = "moved to the registration of"  # how a link's void of a record begins
VOIDED = RecordStatus.VOIDED.value


@dataclass(frozen=True)
class ConflictInfo:
    uid: str
    patient_id: int | None  # none for a protocol setting's
    mrn: str  # "" for a protocol setting's
    name: str  # hers, or the setting's
    entity: str  # the kind of record, "patient", or "protocol_setting"
    what: ConflictKind
    detected_at_utc: datetime
    versions: tuple[str, ...]  # what stands, in a few words each, with who and which device
    patient_ids: tuple[int, ...]  # the registrations (two, for one MRN registered twice)

    setting: str | None = None  # the protocol setting's key, for a setting's conflict
    repeats: int = 0  # records entered on both with the same values, one too many each

    @property
    def kind_label(self) -> str:
        if self.entity == SETTING_ENTITY:
            return f"protocol setting '{self.name}'"
        return "registration" if self.entity == PATIENT_ENTITY else kind_named(self.entity).label

    def describe(self) -> str:
        return f"{self.mrn or 'Protocol'}: {self.kind_label} {self.what.label}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.uid,
            "mrn": self.mrn or None,
            "setting": self.setting,
            "kind": self.entity,
            "what": self.what.label,
            "detected_at": self.detected_at_utc.isoformat(timespec="seconds") + "Z",
            "versions": list(self.versions),
        }


def _settled(session: Session) -> set[str]:
    return set(session.scalars(select(SettlementRow.conflict_uid)))


def _descendants(session: Session, model: Any, uid: str) -> list[Any]:
    """The versions that corrected the version `uid`, their corrections, and so on."""
    start = session.execute(select(model.id).where(model.uid == uid)).scalar_one_or_none()
    found: list[Any] = []
    frontier = [start] if start is not None else []
    while frontier:
        rows = session.execute(
            select(model.id, model.uid, model.status).where(model.supersedes_id.in_(frontier))
        ).all()
        found += rows
        frontier = [r.id for r in rows]
    return found


def _stranded(session: Session, registration_uid: str) -> int:
    """How many current records a registration holds (one closed by a link should hold
    none: what another device entered on it before it heard of the link)."""
    pid = session.scalar(select(Patient.id).where(Patient.uid == registration_uid))
    return sum(
        session.scalar(
            select(func.count()).where(kind.row.patient_id == pid, kind.row.status == CURRENT)
        )
        or 0
        for kind in KINDS
    )


def _holds(session: Session, conflict: ConflictRow) -> bool:
    """Whether what made the conflict still stands."""
    what = ConflictKind(conflict.what)
    if what in (ConflictKind.DETAILS_TWICE, ConflictKind.SETTLED_TWICE):
        return True  # only staff's settlement closes it
    if what is ConflictKind.SETTING_TWICE:
        heads = {r.uid for r in heads_of(session, _setting_key(session, conflict))}
        return len(heads & set(conflict.subjects)) > 1
    if what is ConflictKind.ON_LINKED:
        return _stranded(session, conflict.subjects[0]) > 0
    if what is ConflictKind.REGISTERED_TWICE:
        rows = session.execute(
            select(Patient.mrn, Patient.linked_into).where(Patient.uid.in_(conflict.subjects))
        ).all()
        mrns = [mrn.strip().upper() for mrn, linked in rows if linked is None]
        return len(mrns) > 1 and len(set(mrns)) < len(mrns)
    model = kind_named(conflict.entity).row
    if what is ConflictKind.ENTERED_TWICE:  # one record, or many repeated (a lab file)
        return any(len(group) > 1 for group in _repeated(session, conflict))
    if what is ConflictKind.SECOND_DELIVERY:
        statuses = session.scalars(select(model.status).where(model.uid.in_(conflict.subjects)))
        return sum(s == CURRENT for s in statuses) > 1
    original = conflict.subjects[0]  # then, for two corrections, the two
    standing: int = sum(r.status == CURRENT for r in _descendants(session, model, original))
    if what is ConflictKind.CORRECTED_TWICE:
        return standing > 1
    voided = session.scalar(select(model.status).where(model.uid == original)) == VOIDED
    return bool(voided and standing > 0)


def _repeated(session: Session, conflict: ConflictRow) -> list[list[Any]]:
    """The current versions a conflict over records entered on two devices names, one
    group per record (a count at one time): two or more in a group are in conflict."""
    kind = kind_named(conflict.entity)
    model = kind.row
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    rows = session.scalars(
        select(model)
        .where(model.uid.in_(conflict.subjects), model.status == CURRENT)
        .order_by(model.entered_at_utc, model.uid)
    )
    for row in rows:
        groups[tuple(getattr(row, name) for name in kind.info.same_record)].append(row)
    return list(groups.values())


def values_key(kind: Any, row: Any) -> tuple[Any, ...]:
    """A record's values, comparable: two rows with the same key were entered alike."""
    return tuple(sorted((k, repr(v)) for k, v in kind.values(kind.from_row(row)).items()))


def _repeats(session: Session, conflict: ConflictRow) -> list[list[Any]]:
    """For records entered on both devices with the same values (the same lab file saved
    on two devices), the groups of more than one, so that all but one of each can go at
    once; none when any group's versions differ, or for another kind of conflict."""
    if ConflictKind(conflict.what) is not ConflictKind.ENTERED_TWICE:
        return []
    kind = kind_named(conflict.entity)
    groups = [g for g in _repeated(session, conflict) if len(g) > 1]
    if all(len({values_key(kind, r) for r in group}) == 1 for group in groups):
        return groups
    return []


def still_open(session: Session, patient_id: int | None = None) -> list[ConflictRow]:
    """The conflicts no settlement names, oldest first. A conflict found by a sync is
    open even when one device had already undone its part unknowing: staff say so."""
    query = select(ConflictRow).order_by(ConflictRow.id)
    if patient_id is not None:
        query = query.where(ConflictRow.patient_id == patient_id)
    settled = _settled(session)
    return [c for c in session.scalars(query) if c.uid not in settled]


def settle_resolved(
    session: Session,
    patient_id: int,
    entry_uid: str,
    user: str,
    now_utc: datetime,
    how: Settlement,
) -> None:
    """Settles each open conflict of hers whose cause the change `entry_uid` (an ordinary
    correction or void) took away: one version left of two, a registration's new MRN."""
    open_now = [
        c
        for c in still_open(session)
        if patient_id in _registrations(session, c) and not _holds(session, c)
    ]
    for conflict in open_now:
        add_settlement(
            session,
            conflict,
            how,
            user,
            now_utc,
            f"settled by an ordinary {how.value} change",
            entry_uid,
        )


def add_settlement(
    session: Session,
    conflict: ConflictRow,
    how: Settlement,
    user: str,
    now_utc: datetime,
    reason: str,
    audit_uid: str | None,
) -> None:
    """Settles `conflict`: how, who, when, why, and the change that did it, if any."""
    session.add(
        SettlementRow(
            conflict_uid=conflict.uid,
            how=how.value,
            at_utc=now_utc,
            user=user,
            reason=reason,
            audit_uid=audit_uid,
        )
    )
    session.flush()


def settle_settings(
    session: Session, key: str, entry_uid: str, user: str, now_utc: datetime
) -> None:
    """A change of the setting `key` replaced the changes made apart: their conflict is
    settled by it."""
    for conflict in still_open(session):
        if (
            ConflictKind(conflict.what) is ConflictKind.SETTING_TWICE
            and _setting_key(session, conflict) == key
            and not _holds(session, conflict)
        ):
            add_settlement(
                session,
                conflict,
                Settlement.CORRECTED,
                user,
                now_utc,
                "settled by a new change of the setting",
                entry_uid,
            )


def _setting_key(session: Session, conflict: ConflictRow) -> str:
    return session.scalars(
        select(ProtocolSettingRow.key).where(ProtocolSettingRow.uid == conflict.subjects[0])
    ).one()


def _registrations(session: Session, conflict: ConflictRow) -> tuple[int, ...]:
    """Whose conflict it is: her, or each registration of one MRN not yet linked; nobody's
    for a protocol setting's."""
    if conflict.patient_id is None:
        return ()
    if ConflictKind(conflict.what) is not ConflictKind.REGISTERED_TWICE:
        return (conflict.patient_id,)
    return tuple(
        session.scalars(
            select(Patient.id)
            .where(Patient.uid.in_(conflict.subjects), Patient.linked_into.is_(None))
            .order_by(Patient.id)
        )
    )


def patients_in_conflict(session: Session) -> dict[int, int]:
    """Patient id → how many open conflicts she has (the ward board's badge); both
    registrations of one MRN have theirs."""
    counts: dict[int, int] = defaultdict(int)
    for conflict in still_open(session):
        for patient_id in _registrations(session, conflict):
            counts[patient_id] += 1
    return dict(counts)


def _versions(session: Session, conflict: ConflictRow) -> tuple[str, ...]:
    """What stands of the conflict, each in a few words, with its device and who."""
    if ConflictKind(conflict.what) is ConflictKind.SETTLED_TWICE:
        devices = dict(session.execute(select(Device.uid, Device.name)).all())
        settlements = session.scalars(
            select(SettlementRow).where(SettlementRow.uid.in_(conflict.subjects))
        )
        return tuple(
            f"{s.how} by {s.user} on {devices.get(s.device, 'another device')}: {s.reason}"
            for s in settlements
        )
    if ConflictKind(conflict.what) is ConflictKind.SETTING_TWICE:
        key = _setting_key(session, conflict)
        info = protocol_book().settings.get(key)
        standing = {r.uid for r in heads_of(session, key)}
        changes = session.scalars(
            select(ProtocolSettingRow)
            .where(ProtocolSettingRow.uid.in_(conflict.subjects))
            .order_by(ProtocolSettingRow.set_at_utc, ProtocolSettingRow.device)
        ).all()
        in_force = [c for c in changes if c.uid in standing][-1:]
        devices = dict(session.execute(select(Device.uid, Device.name)).all())

        def value(change: ProtocolSettingRow) -> str:
            if info is None:
                return "the default" if change.value is None else fmt_number(change.value)
            number = info.default if change.value is None else change.value
            return f"{fmt_number(number)} {info.unit}"

        return tuple(
            f"{value(c)}{' (in force)' if c in in_force else ''}, set by {c.set_by} on "
            f"{devices.get(c.device, 'another device')}: {c.reason}"
            for c in changes
            if c.uid in standing
        )
    if ConflictKind(conflict.what) is ConflictKind.ON_LINKED:
        closed = session.scalars(select(Patient).where(Patient.uid == conflict.subjects[0])).one()
        return (
            f"{_stranded(session, closed.uid)} records on the closed registration "
            f"{closed.mrn} {closed.name}: link again to move them into hers",
        )
    if conflict.entity == PATIENT_ENTITY:
        patients = session.scalars(select(Patient).where(Patient.uid.in_(conflict.subjects)))
        return tuple(f"{p.mrn} {p.name}, registered by {p.created_by}" for p in patients)
    kind = kind_named(conflict.entity)
    model = kind.row
    repeated = _repeats(session, conflict)
    if len(repeated) > 1:  # a lab file on both
        devices = dict(session.execute(select(Device.uid, Device.name)).all())
        where = sorted({devices.get(r.device, "another device") for g in repeated for r in g})
        first, last = (kind.info.summary(kind.from_row(g[0])) for g in (repeated[0], repeated[-1]))
        return (
            f"{len(repeated)} {kind.label}s entered alike on {' and '.join(where)} "
            f"(the same lab file?), from {first} to {last}",
        )
    uids = list(conflict.subjects)
    if ConflictKind(conflict.what) in (
        ConflictKind.CORRECTED_TWICE,
        ConflictKind.CORRECTED_AND_VOIDED,
    ):
        uids = [r.uid for r in _descendants(session, model, uids[0]) if r.status == CURRENT]
    rows = session.scalars(select(model).where(model.uid.in_(uids), model.status == CURRENT))
    devices = dict(session.execute(select(Device.uid, Device.name)).all())
    return tuple(
        f"{kind.info.summary(kind.from_row(r))}, entered by {r.entered_by} "
        f"on {devices.get(r.device, 'another device')}"
        for r in rows
    )


def _repeats_count(session: Session, conflict: ConflictRow) -> int:
    return sum(len(group) - 1 for group in _repeats(session, conflict))


def _info(session: Session, conflict: ConflictRow) -> ConflictInfo:
    if conflict.patient_id is None:  # a protocol setting's
        key = _setting_key(session, conflict)
        info = protocol_book().settings.get(key)
        return ConflictInfo(
            uid=conflict.uid,
            patient_id=None,
            mrn="",
            name=info.label if info else key,
            entity=conflict.entity,
            what=ConflictKind(conflict.what),
            detected_at_utc=conflict.detected_at_utc,
            versions=_versions(session, conflict),
            patient_ids=(),
            setting=key,
        )
    patient = session.get(Patient, conflict.patient_id)
    assert patient is not None
    return ConflictInfo(
        uid=conflict.uid,
        patient_id=conflict.patient_id,
        mrn=patient.mrn,
        name=patient.name,
        entity=conflict.entity,
        what=ConflictKind(conflict.what),
        detected_at_utc=conflict.detected_at_utc,
        versions=_versions(session, conflict),
        patient_ids=_registrations(session, conflict),
        repeats=_repeats_count(session, conflict),
    )


class ConflictService(ServiceBase):
    def open(self, patient_id: int | None = None) -> list[ConflictInfo]:
        with self.db.reading() as session:
            return [_info(session, c) for c in still_open(session, patient_id)]

    def counts(self) -> dict[int, int]:
        with self.db.reading() as session:
            return patients_in_conflict(session)

    def keep(self, conflict_uid: str, reason: str) -> Changes:
        """Settles a conflict leaving what stands as it is; for details changed on two
        devices, this device's details are kept, and replace the others' at the next sync."""
        reason = check_reason(reason)
        with self.recording() as recorder:
            session = recorder.session
            conflict = self._open_one(session, conflict_uid)
            audit_uid = None
            if ConflictKind(conflict.what) is ConflictKind.SETTING_TWICE:
                self._keep_setting(recorder, conflict, reason)
                return Changes(settings=frozenset({Setting.PROTOCOL}))
            if ConflictKind(conflict.what) is ConflictKind.DETAILS_TWICE:
                row = session.get(Patient, conflict.patient_id)
                assert row is not None
                values = patient_values(patient_info(row))
                audit_uid = recorder.write_entry(
                    AuditAction.CORRECT,
                    PATIENT_ENTITY,
                    record_id=row.id,
                    record_uid=row.uid,
                    patient_id=row.id,
                    original_id=row.id,
                    before=values,
                    after=values,
                    reason=f"details on two devices: these kept. {reason}",
                )
                # every disagreement over her details is settled by these
                settle_details_by_correction(
                    session, row.id, audit_uid, self.user, recorder.now_utc, Settlement.KEPT
                )
            else:
                add_settlement(
                    session, conflict, Settlement.KEPT, self.user, recorder.now_utc, reason, None
                )
            assert conflict.patient_id is not None
            return Changes(patients=frozenset({conflict.patient_id}))

    def _keep_setting(self, recorder: Any, conflict: ConflictRow, reason: str) -> None:
        """The change in force is kept: a change with its value replaces both."""
        session = recorder.session
        key = _setting_key(session, conflict)
        info = protocol_book().settings[key]
        kept = heads_of(session, key)[-1]
        value = info.default if kept.value is None else kept.value
        entry_uid = record_change(
            session,
            info,
            kept.value,
            before=value,
            at_utc=recorder.now_utc,
            user=self.user,
            reason=f"of two changes made apart, {fmt_number(value)} {info.unit} kept: {reason}",
        )
        add_settlement(
            session, conflict, Settlement.KEPT, self.user, recorder.now_utc, reason, entry_uid
        )

    def void_repeats(self, conflict_uid: str, reason: str) -> Changes:
        """Records entered on both devices with the same values (the same lab file imported
        on both): each but the first entered is voided, each void audited as any other."""
        reason = check_reason(reason)
        with self.recording() as recorder:
            session = recorder.session
            conflict = self._open_one(session, conflict_uid)
            groups = _repeats(session, conflict)
            if not groups:
                raise InvalidEntry(
                    [
                        Problem(
                            "conflict",
                            "its versions differ: open her records and void the wrong one",
                        )
                    ]
                )
            kind = kind_named(conflict.entity)
            for group in groups:
                for row in group[1:]:
                    recorder.void(kind.record, row.id, f"entered on two devices: {reason}")
            assert conflict.patient_id is not None
            return Changes(patients=frozenset({conflict.patient_id}))

    def link(self, conflict_uid: str, keep_patient_id: int, reason: str) -> Changes:
        """Two registrations of one MRN are one woman: the other's current records are
        copied into `keep_patient_id`'s, voided where they were, and the other is archived,
        linked into this one; each step in the audit trail."""
        reason = check_reason(reason)
        with self.recording() as recorder:
            session = recorder.session
            conflict = self._open_one(session, conflict_uid)
            what = ConflictKind(conflict.what)
            if what not in (ConflictKind.REGISTERED_TWICE, ConflictKind.ON_LINKED):
                raise InvalidEntry(
                    [Problem("conflict", "only two registrations of one woman can be linked")]
                )
            keep = session.get(Patient, keep_patient_id)
            if what is ConflictKind.ON_LINKED:  # again: into the one it was linked into
                closed = session.scalars(
                    select(Patient).where(Patient.uid == conflict.subjects[0])
                ).one()
                if keep is None or keep.uid != closed.linked_into:
                    raise NotFound("that registration is not the one this was linked into")
                self._move_records(recorder, closed, keep, reason)
                add_settlement(
                    session, conflict, Settlement.LINKED, self.user, recorder.now_utc, reason, None
                )
                return EVERYTHING
            if keep is None or keep.uid not in conflict.subjects:
                raise NotFound("the registration to keep is not one of this conflict's")
            if keep.linked_into is not None:  # closed, on another device, since the conflict
                raise InvalidEntry(
                    [
                        Problem(
                            "registration",
                            f"{keep.mrn} {keep.name} was closed, linked into another "
                            "registration; keep that one",
                        )
                    ]
                )
            moved = 0
            for other_uid in conflict.subjects:
                if other_uid == keep.uid:
                    continue
                other = session.scalars(select(Patient).where(Patient.uid == other_uid)).one()
                moved += self._move_records(recorder, other, keep, reason)
                before = patient_values(patient_info(other))
                other.archived = True
                other.linked_into = keep.uid
                session.flush()
                recorder.write_entry(
                    AuditAction.ARCHIVE,
                    PATIENT_ENTITY,
                    record_id=other.id,
                    record_uid=other.uid,
                    patient_id=other.id,
                    before=before,
                    after={**before, "archived": True, "linked_into": keep.uid},
                    reason=f"linked into {keep.mrn} ({keep.name}): {reason}",
                )
            add_settlement(
                session, conflict, Settlement.LINKED, self.user, recorder.now_utc, reason, None
            )
        return EVERYTHING

    def _move_records(self, recorder: Any, source: Patient, target: Patient, reason: str) -> int:
        session = recorder.session
        moved = 0
        for kind in KINDS:
            model = kind.row
            rows = list(
                session.scalars(
                    select(model).where(model.patient_id == source.id, model.status == CURRENT)
                )
            )
            if not rows:
                continue
            held = [
                kind.values(kind.from_row(r))
                for r in session.scalars(
                    select(model).where(model.patient_id == target.id, model.status == CURRENT)
                )
            ]
            values = [kind.values(kind.from_row(r)) for r in rows]
            # what she already holds (the same count entered under both) is not copied twice
            copied = [(r, v) for r, v in zip(rows, values, strict=True) if v not in held]
            copies = [
                {
                    **v,
                    "patient_id": target.id,
                    "status": CURRENT,
                    "supersedes_id": None,
                    "entered_at_utc": r.entered_at_utc,
                    "entered_by": r.entered_by,
                    "uid": uid,
                }
                for (r, v), uid in zip(copied, new_uids(len(copied)), strict=True)
            ]
            ids = insert_many(session, cast(Table, model.__table__), copies)
            entries = [
                recorder.entry(
                    AuditAction.CREATE,
                    kind.entity,
                    record_id=new_id,
                    record_uid=copy["uid"],
                    patient_id=target.id,
                    after=v,
                    reason=f"moved from the registration of {source.mrn} on linking: {reason}",
                )
                for copy, new_id, (_, v) in zip(copies, ids, copied, strict=True)
            ]
            for row, v in zip(rows, values, strict=True):
                entries.append(
                    recorder.entry(
                        AuditAction.VOID,
                        kind.entity,
                        record_id=row.id,
                        record_uid=row.uid,
                        patient_id=source.id,
                        original_id=row.id,
                        before=v,
                        reason=f"{MOVED_AWAY} {target.mrn} on linking: {reason}",
                    )
                )
            session.flush()
            audit.add_many(session, entries)  # the entries first: no status moves without
            for row in rows:
                row.status = VOIDED
            session.flush()
            moved += len(rows)
        return moved

    def _open_one(self, session: Session, uid: str) -> ConflictRow:
        conflict = session.scalars(select(ConflictRow).where(ConflictRow.uid == uid)).one_or_none()
        if conflict is None:
            raise NotFound(f"no conflict {uid}")
        if conflict.uid in _settled(session):
            raise InvalidEntry(
                [Problem("conflict", "was already settled, here or on another device")]
            )
        return conflict


def settle_details_by_correction(
    session: Session,
    patient_id: int,
    entry_uid: str,
    user: str,
    now_utc: datetime,
    how: Settlement = Settlement.CORRECTED,
) -> None:
    """A correction of a woman's details settles a conflict over them: it replaces the
    other devices' details at their next sync."""
    for conflict in still_open(session, patient_id):
        if ConflictKind(conflict.what) is ConflictKind.DETAILS_TWICE:
            words = "details corrected" if how is Settlement.CORRECTED else "details kept"
            add_settlement(session, conflict, how, user, now_utc, words, entry_uid)


__all__ = ["AuditEntry", "ConflictInfo", "ConflictService", "still_open"]
