"""Writes and reads the audit trail; values are stored as JSON the history view can show."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from itp_monitor.domain.vocab import AuditAction
from itp_monitor.services.results import AuditRecord
from itp_monitor.storage.models import AuditEntry


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


def write(
    session: Session,
    *,
    at_utc: datetime,
    user: str,
    action: AuditAction,
    entity: str,
    record_id: int | None,
    patient_id: int | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    original_id: int | None = None,
) -> None:
    session.add(
        AuditEntry(
            at_utc=at_utc,
            user=user,
            action=action,
            entity=entity,
            record_id=record_id,
            original_id=original_id,
            patient_id=patient_id,
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
            reason=reason,
        )
    )


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
    """Every audit entry about a patient and her records, oldest first."""
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.patient_id == patient_id).order_by(AuditEntry.id)
    )
    return [as_record(row) for row in rows]
