"""Sync, one side: what a database holds that the other may lack, read in its transaction.

See services/sync.py for the whole. A side reads its rows with the uids of the rows
they refer to (her patient, the version a correction replaced), because integer ids
mean nothing in the other database. Past the marks of the last sync both sides
recorded, it reads only what is new, and the statuses the newer audit entries changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, true
from sqlalchemy.orm import Session

from itp_monitor.domain.vocab import AuditAction
from itp_monitor.services.kinds import KINDS
from itp_monitor.services.recorder import PATIENT_ENTITY
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
)

CHUNK = 5_000  # uids in one IN (...) list
ENTITY_TABLES: dict[str, Any] = {
    **{kind.entity: kind.row for kind in KINDS},
    PATIENT_ENTITY: Patient,
    "protocol_setting": ProtocolSettingRow,
    "device": Device,
}
# Tables past whose mark a sync reads only what is new; the others are read whole.
MARKED: tuple[Any, ...] = (*CLINICAL_TABLES, AuditEntry, ProtocolSettingRow, PreferenceRow)


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


def table_of(model: Any) -> Table:
    return cast(Table, model.__table__)


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def plain(row: Any, table: Table, leave_out: Iterable[str] = ("id",)) -> dict[str, Any]:
    skip = set(leave_out)
    mapping = row._mapping
    return {c.name: mapping[c.name] for c in table.columns if c.name not in skip}


class Reader:
    """One database in a sync, in its open write transaction: what it holds."""

    def __init__(self, session: Session) -> None:
        self.session = session
        own = session.scalars(select(Device).where(Device.this_device)).one()
        self.device, self.device_name = own.uid, own.name

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
        other: Reader,
        *,
        sent: int,
        received: int,
        new_conflicts: int,
    ) -> None:
        """Keeps the sync, with the marks past which the next one with `other` reads."""
        marks = {
            table_of(model).name: self.session.scalar(select(func.max(model.id))) or 0
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
            return model.id > (marks or {}).get(table_of(model).name, 0)

        audit = self._audit(past(AuditEntry))
        return Outgoing(
            devices=self._simple(Device, true()),
            patients=self._simple(Patient, true()),
            rows={
                table_of(model).name: self._versions(model, past(model))
                for model in CLINICAL_TABLES
            },
            statuses=self._changed_statuses(audit) if marks is not None else {},
            audit=audit,
            settings=self._simple(ProtocolSettingRow, past(ProtocolSettingRow)),
            preferences=self._simple(PreferenceRow, past(PreferenceRow)),
            conflicts=self._conflicts(),
            settlements=self._simple(SettlementRow, true()),
        )

    def _simple(self, model: Any, where: Any) -> list[dict[str, Any]]:
        table = table_of(model)
        return [plain(r, table) for r in self.session.execute(select(table).where(where))]

    def _versions(self, model: type[ClinicalRow], where: Any) -> list[dict[str, Any]]:
        table = table_of(model)
        patient = table_of(Patient)
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
                **plain(r, table, leave_out),
                "patient_uid": r.patient_uid,
                "supersedes_uid": r.supersedes_uid,
            }
            for r in self.session.execute(query)
        ]

    def _audit(self, where: Any) -> list[dict[str, Any]]:
        table = table_of(AuditEntry)
        patient = table_of(Patient)
        query = (
            select(table, patient.c.uid.label("patient_uid"))
            .outerjoin(patient, patient.c.id == table.c.patient_id)
            .where(where)
            .order_by(table.c.id)
        )
        entries = [
            {
                **plain(r, table, ("id", "patient_id", "record_id", "original_id")),
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
        for chunk in chunks(ids):
            found += [
                (i, u)
                for i, u in self.session.execute(
                    select(model.id, model.uid).where(model.id.in_(chunk))
                )
            ]
        return found

    def _ids_of(self, model: Any, uids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunks(uids):
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
            for chunk in chunks(sorted(uids)):
                found.update(
                    self.session.execute(
                        select(model.uid, model.status).where(model.uid.in_(chunk))
                    ).all()
                )
            statuses[table_of(model).name] = found
        return statuses

    def _conflicts(self) -> list[dict[str, Any]]:
        table = table_of(ConflictRow)
        patient = table_of(Patient)
        query = select(table, patient.c.uid.label("patient_uid")).join(
            patient, patient.c.id == table.c.patient_id
        )
        return [
            {**plain(r, table, ("id", "patient_id")), "patient_uid": r.patient_uid}
            for r in self.session.execute(query)
        ]
