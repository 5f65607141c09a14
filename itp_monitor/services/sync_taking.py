"""Sync, one side: taking what the other side sent, in its transaction.

See services/sync.py for the whole. What this side lacks goes in with its original
device, user and times, its references turned from uids into this database's ids; a
version goes in after the one it corrected. A status moves only forward. A woman's
details move by replaying the audit entries of their changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from itp_monitor.domain.vocab import STATUS_ORDER, AuditAction, RecordStatus
from itp_monitor.services.device import ENTITY as DEVICE_ENTITY
from itp_monitor.services.recorder import PATIENT_ENTITY
from itp_monitor.services.sync_accounts import AccountsTaken, take_accounts
from itp_monitor.services.sync_reading import ENTITY_TABLES, Outgoing, Reader, table_of
from itp_monitor.storage.bulk import insert_audit_entries, insert_many
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
)

RANK = {status.value: n for n, status in enumerate(STATUS_ORDER)}
CURRENT = RecordStatus.CURRENT.value
PATIENT_FIELDS = ("mrn", "name", "date_of_birth", "edd", "weight_kg", "notes", "archived")


class SyncRefused(Exception):
    """The sync could not run; neither side was changed."""


@dataclass
class Taken:
    """What one side took from the other in a sync."""

    copied: int = 0  # patients, record versions, and changes of either (a void, new details)
    patients: set[str] = field(default_factory=set)  # uids of the patients it touched
    rows: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # new uids
    statuses: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    entries: list[dict[str, Any]] = field(default_factory=list)  # audit entries, as taken
    settlements: list[dict[str, Any]] = field(default_factory=list)  # as taken
    settings: list[dict[str, Any]] = field(default_factory=list)  # protocol changes, as taken
    accounts: AccountsTaken = field(default_factory=AccountsTaken)  # added, changed, left


class Side(Reader):
    """One database in a sync, in its open write transaction: what it takes."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)

    # --- taking what the other sent

    def take(self, incoming: Outgoing, apart: set[str]) -> Taken:
        """Takes what this side lacks of `incoming`; `apart`: the women whose details both
        sides changed since they last met (details_changed_apart), left as they are."""
        taken = Taken()
        self._take_devices(incoming.devices)
        patient_ids, new_patients = self._take_patients(incoming.patients, taken)
        whose = {i: u for u, i in patient_ids.items()}
        for model in CLINICAL_TABLES:
            rows = incoming.rows.get(table_of(model).name, [])
            self._take_versions(model, rows, patient_ids, taken)
        taken.settings = self._insert_missing(ProtocolSettingRow, incoming.settings)
        self._insert_missing(PreferenceRow, incoming.preferences)
        # before the audit entries about them, which name them here
        taken.accounts = take_accounts(self.session, incoming.accounts)
        # the audit entries before the statuses they move: the database moves none without
        self._take_audit(incoming.audit, patient_ids, taken)
        for model in CLINICAL_TABLES:
            table = table_of(model).name
            rows = incoming.rows.get(table, [])
            # the statuses the newer audit entries changed, and those that come with rows
            # this side already held (all of them, in a full comparison): only a version no
            # longer current can move one here forward
            statuses = dict(incoming.statuses.get(table, {}))
            statuses.update(
                (r["uid"], r["status"])
                for r in rows
                if r["status"] != CURRENT and r["uid"] not in taken.rows[table]
            )
            self._move_forward(model, statuses, taken, whose)
        taken.settlements = self._insert_missing(SettlementRow, incoming.settlements)
        self._replay_details(taken, new_patients, apart)
        self._replay_renames(taken)
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
            new = insert_many(self.session, table_of(Patient), missing)
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
        table = table_of(model)
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

    def _move_forward(
        self, model: Any, statuses: Mapping[str, str], taken: Taken, whose: Mapping[int, str]
    ) -> None:
        """Each named version takes the other side's status when it is further on."""
        here = self.lookup(model, "uid", statuses, "status")
        moved = [
            {"key": uid, "moved_to": status}
            for uid, status in statuses.items()
            if uid in here and RANK[status] > RANK[here[uid]]
        ]
        if not moved:
            return
        table = table_of(model)
        forward = update(table).where(table.c.uid == bindparam("key"))
        self.session.execute(forward.values(status=bindparam("moved_to")), moved)
        patients = self.lookup(model, "uid", [m["key"] for m in moved], "patient_id")
        taken.statuses[table.name].update(m["key"] for m in moved)
        taken.patients.update(whose[patients[m["key"]]] for m in moved)
        taken.copied += len(moved)

    def _insert_missing(self, model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not rows:
            return []
        have = self._ids_of(model, [r["uid"] for r in rows])
        missing = [r for r in rows if r["uid"] not in have]
        insert_many(self.session, table_of(model), missing)
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
        # noted as this process's own (bulk.insert_audit_entries): the app that synced
        # shows what arrived at once, and its watch need not read them again
        insert_audit_entries(self.session, values)
        taken.entries = missing

    def _replay_details(self, taken: Taken, new_patients: set[str], apart: set[str]) -> None:
        """A woman's details changed on the other side change here, each change in the
        order it was made there, unless they were changed here too since the two last
        met (`apart`): then each side keeps its own, and the two are a conflict."""
        for entry in taken.entries:
            if entry["entity"] != PATIENT_ENTITY or entry["action"] == AuditAction.CREATE:
                continue
            whose = entry["patient_uid"]
            if whose in new_patients or whose in apart or entry["after"] is None:
                continue  # a woman new here arrived as she stands
            row = self.session.scalars(select(Patient).where(Patient.uid == whose)).one()
            for key, value in entry["after"].items():
                if key in PATIENT_FIELDS or key == "linked_into":
                    setattr(row, key, _as_column(key, value))
            self.session.flush()
            taken.patients.add(row.uid)
            taken.copied += 1
        taken.patients.update(apart)

    def _replay_renames(self, taken: Taken) -> None:
        """A device renamed itself: its name changes here too, also when the news came
        through a third device (a USB stick). Only a device renames itself, so its
        renames come in the order it made them."""
        renames = sorted(
            (e for e in taken.entries if e["entity"] == DEVICE_ENTITY and e["after"]),
            key=lambda e: e["at_utc"],
        )
        if not renames:
            return
        devices = {d.uid: d for d in self.session.scalars(select(Device))}
        for entry in renames:
            device = devices.get(entry["record_uid"])
            if device is not None and not device.this_device and "name" in entry["after"]:
                device.name = entry["after"]["name"]
        self.session.flush()

    def _take_conflicts(
        self, conflicts: list[dict[str, Any]], patient_ids: Mapping[str, int]
    ) -> None:
        if not conflicts:
            return
        have = self._ids_of(ConflictRow, [c["uid"] for c in conflicts])
        missing = [
            {
                **{k: v for k, v in c.items() if k != "patient_uid"},
                "patient_id": patient_ids[c["patient_uid"]] if c["patient_uid"] else None,
            }
            for c in conflicts
            if c["uid"] not in have
        ]
        insert_many(self.session, table_of(ConflictRow), missing)


def _as_column(key: str, value: Any) -> Any:
    if key in ("date_of_birth", "edd") and isinstance(value, str):
        return datetime.fromisoformat(value).date()
    return value
