"""Sync, one side: what a database holds that the other may lack, read in its transaction.

See services/sync.py for the whole. A side reads its rows with the uids of the rows
they refer to (her patient, the version a correction replaced), because integer ids
mean nothing in the other database. Past the marks of the last sync both sides
recorded, it reads only what is new, and the statuses the newer audit entries changed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Result, Table, func, literal, select, text, true, union_all
from sqlalchemy.orm import Session

from itp_monitor.domain.vocab import AuditAction
from itp_monitor.services.accounts import ENTITY as ACCOUNT_ENTITY
from itp_monitor.services.kinds import KINDS
from itp_monitor.services.recorder import PATIENT_ENTITY
from itp_monitor.services.sync_accounts import read_accounts
from itp_monitor.storage.models import (
    CLINICAL_TABLES,
    Account,
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

ENTITY_TABLES: dict[str, Any] = {
    **{kind.entity: kind.row for kind in KINDS},
    PATIENT_ENTITY: Patient,
    "protocol_setting": ProtocolSettingRow,
    "device": Device,
    ACCOUNT_ENTITY: Account,
}
# Tables past whose mark a sync reads only what is new; the others are read whole.
MARKED: tuple[Any, ...] = (
    Patient,
    *CLINICAL_TABLES,
    AuditEntry,
    ProtocolSettingRow,
    PreferenceRow,
)


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
    accounts: list[dict[str, Any]]  # every one, as it travels (sync_accounts.py)


def table_of(model: Any) -> Table:
    return cast(Table, model.__table__)


def dicts(result: Result[Any], leave_out: Iterable[str] = ("id",)) -> list[dict[str, Any]]:
    """The rows of `result` as dicts of their columns, but those left out: the names
    worked out once, each row zipped with them."""
    skip = set(leave_out)
    keys = list(result.keys())
    keep = [i for i, key in enumerate(keys) if key not in skip]
    names = [keys[i] for i in keep]
    if len(keep) == 1:
        return [{names[0]: row[keep[0]]} for row in result]
    pick = itemgetter(*keep)
    return [dict(zip(names, pick(row), strict=True)) for row in result]


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
        where: str,
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
                partner_location=where,
                marks=marks,
                sent=sent,
                received=received,
                new_conflicts=new_conflicts,
            )
        )
        self.session.flush()

    # --- reading what to send

    def highest_ids(self) -> dict[str, int]:
        """Per table that a sync reads past a mark, the highest id: one read."""
        reads = [
            select(literal(table_of(model).name), func.coalesce(func.max(model.id), 0))
            for model in MARKED
        ]
        return dict(self.session.execute(union_all(*reads)).all())

    def outgoing(self, marks: Mapping[str, int] | None) -> Outgoing:
        """What the other side may lack: past `marks` (the last sync of the two), or all."""
        mark = dict(marks or {})
        highest = self.highest_ids()

        def new(model: Any) -> bool:
            return highest[table_of(model).name] > mark.get(table_of(model).name, 0)

        def past(model: Any) -> Any:
            return model.id > mark.get(table_of(model).name, 0)

        audit = self._audit(past(AuditEntry)) if new(AuditEntry) else []
        return Outgoing(
            devices=self._simple(Device, true()),
            patients=self._simple(Patient, past(Patient)) if new(Patient) else [],
            rows={
                table_of(model).name: self._versions(model, past(model))
                for model in CLINICAL_TABLES
                if new(model)
            },
            statuses=self._changed_statuses(audit) if marks is not None else {},
            audit=audit,
            settings=self._simple(ProtocolSettingRow, past(ProtocolSettingRow)),
            preferences=self._simple(PreferenceRow, past(PreferenceRow)),
            conflicts=self._conflicts(),
            settlements=self._simple(SettlementRow, true()),
            accounts=read_accounts(self.session),
        )

    def _simple(self, model: Any, where: Any) -> list[dict[str, Any]]:
        # in the order they were made here, which a sync keeps (protocol_store.py)
        query = select(table_of(model)).where(where).order_by(table_of(model).c.id)
        return dicts(self.session.execute(query))

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
        return dicts(self.session.execute(query), ("id", "patient_id", "supersedes_id"))

    def _audit(self, where: Any) -> list[dict[str, Any]]:
        table = table_of(AuditEntry)
        patient = table_of(Patient)
        query = (
            select(table, patient.c.uid.label("patient_uid"))
            .outerjoin(patient, patient.c.id == table.c.patient_id)
            .where(where)
            .order_by(table.c.id)
        )
        entries = dicts(self.session.execute(query), ("id", "patient_id", "record_id"))
        # the original a correction replaced, by its uid
        wanted: dict[str, set[int]] = defaultdict(set)
        for entry in entries:
            if entry["original_id"] is not None and entry["entity"] in ENTITY_TABLES:
                wanted[entry["entity"]].add(entry["original_id"])
        uids: dict[tuple[str, int], str] = {}
        for entity, ids in wanted.items():
            uids.update(
                ((entity, i), u) for i, u in self._uids_of(ENTITY_TABLES[entity], ids).items()
            )
        for entry in entries:
            original = entry.pop("original_id")
            entry["original_uid"] = uids.get((entry["entity"], original))
        return entries

    def lookup(self, model: Any, key: str, keys: Collection[Any], value: str) -> dict[Any, Any]:
        """`value` of the rows of `model` whose `key` is one of `keys`, by key: the keys
        passed as one parameter (a JSON list on SQLite, an array on PostgreSQL), not one
        each, which SQLAlchemy would turn into thousands."""
        if not keys:
            return {}
        table = table_of(model).name
        if self.session.connection().dialect.name == "sqlite":
            within = "IN (SELECT value FROM json_each(:keys))"
            sql = f"SELECT {key}, {value} FROM {table} WHERE {key} {within}"
            given: Any = json.dumps(list(keys))
        else:
            sql = f"SELECT {key}, {value} FROM {table} WHERE {key} = ANY(:keys)"
            given = list(keys)
        return dict(self.session.execute(text(sql), {"keys": given}).all())

    def _uids_of(self, model: Any, ids: Collection[int]) -> dict[int, str]:
        return self.lookup(model, "id", ids, "uid")

    def _ids_of(self, model: Any, uids: Collection[str]) -> dict[str, int]:
        return self.lookup(model, "uid", uids, "id")

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
            statuses[table_of(model).name] = self.lookup(model, "uid", uids, "status")
        return statuses

    def _conflicts(self) -> list[dict[str, Any]]:
        table = table_of(ConflictRow)
        patient = table_of(Patient)
        query = select(table, patient.c.uid.label("patient_uid")).outerjoin(
            patient, patient.c.id == table.c.patient_id
        )
        return dicts(self.session.execute(query), ("id", "patient_id"))
