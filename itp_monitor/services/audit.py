"""Writes and reads the audit trail; values are stored as JSON the history view can show."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, Required, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from itp_monitor.domain.vocab import AuditAction, ConflictKind
from itp_monitor.services.results import AuditRecord
from itp_monitor.storage.bulk import insert_audit_entries
from itp_monitor.storage.models import AuditEntry, ConflictRow, SettlementRow


def jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values with dates and times as ISO text and list entries as their spelling."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, datetime | date):
            out[key] = value.isoformat()
        elif isinstance(value, Enum):
            out[key] = value.value
        else:
            out[key] = value
    return out


class Fields(TypedDict, total=False):
    """What an entry says of a change besides who made it, when, and what kind: the record
    and whose it is, the values before and after, and why."""

    record_id: Required[int | None]
    record_uid: str | None
    patient_id: Required[int | None]
    original_id: int | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str | None


def entry_values(
    *, at_utc: datetime, user: str, action: AuditAction, entity: str, **fields: Unpack[Fields]
) -> dict[str, Any]:
    """The values of one audit entry as its row holds them: the one place they are built,
    whether it is added alone (`add`) or with many others (`add_many`)."""
    before, after = fields.get("before"), fields.get("after")
    return {
        "at_utc": at_utc,
        "user": user,
        "action": action.value,
        "entity": entity,
        "record_id": fields["record_id"],
        "record_uid": fields.get("record_uid"),
        "original_id": fields.get("original_id"),
        "patient_id": fields["patient_id"],
        "before": jsonable(before) if before is not None else None,
        "after": jsonable(after) if after is not None else None,
        "reason": fields.get("reason"),
    }


def write(
    session: Session,
    *,
    at_utc: datetime,
    user: str,
    action: AuditAction,
    entity: str,
    **fields: Unpack[Fields],
) -> None:
    """Adds one entry to the session."""
    add(session, entry_values(at_utc=at_utc, user=user, action=action, entity=entity, **fields))


def add(session: Session, values: Mapping[str, Any]) -> None:
    """Adds one entry built by `entry_values` to the session."""
    session.add(AuditEntry(**values))


def add_many(session: Session, entries: Sequence[Mapping[str, Any]]) -> None:
    """Inserts many entries built by `entry_values`, all at once."""
    insert_audit_entries(session, entries)


def as_record(entry: AuditEntry) -> AuditRecord:
    return AuditRecord(
        id=entry.id,
        at_utc=entry.at_utc,
        user=entry.user,
        action=entry.action,
        entity=entry.entity,
        record_id=entry.record_id,
        original_id=entry.original_id,
        patient_id=entry.patient_id,
        before=entry.before,
        after=entry.after,
        reason=entry.reason,
    )


def history(session: Session, patient_id: int) -> list[AuditRecord]:
    """Every audit entry about a patient and her records, oldest first: by when each change
    was made, since a sync adds another device's entries after this one's."""
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.patient_id == patient_id)
        .order_by(AuditEntry.at_utc, AuditEntry.id)
    )
    entries = [as_record(row) for row in rows]
    return sorted([*entries, *_settlements(session, patient_id)], key=lambda e: e.at_utc)


SETTLED = "settled"  # a History line of its own: staff settled a conflict from a sync


def settlements(
    session: Session, patient_ids: Collection[int] | None = None
) -> list[tuple[SettlementRow, ConflictRow]]:
    """Each settlement with the conflict it settled; only those about the women
    `patient_ids` when given."""
    query = select(SettlementRow, ConflictRow).join(
        ConflictRow, ConflictRow.uid == SettlementRow.conflict_uid
    )
    if patient_ids is not None:
        query = query.where(ConflictRow.patient_id.in_(patient_ids))
    return [(s, c) for s, c in session.execute(query).all()]


def _settlements(session: Session, patient_id: int) -> list[AuditRecord]:
    """Her conflicts' settlements, as History lines: who settled what, how, when and why
    (a keep or a link is recorded only there; a correction or void has its own line too)."""
    return [
        AuditRecord(
            id=-settlement.id,  # not an audit entry's id
            at_utc=settlement.at_utc,
            user=settlement.user,
            action=SETTLED,
            entity="conflict",
            record_id=None,
            original_id=None,
            patient_id=patient_id,
            before=None,
            after={"conflict": ConflictKind(conflict.what).label, "settled by": settlement.how},
            reason=settlement.reason,
        )
        for settlement, conflict in settlements(session, [patient_id])
    ]
