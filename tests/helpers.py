"""Helpers shared by the tests (importable: pytest puts tests/ on sys.path)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from itp_monitor.domain.records import PlateletCount
from itp_monitor.storage.database import Database
from itp_monitor.storage.models import AuditEntry

NOW = datetime(2026, 11, 25, 12, 0, 0)
USER = "nurse.test"


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def count(value: float, hours: float = 2) -> PlateletCount:
    return PlateletCount(collected_at=hours_ago(hours), value=value, source="lab")


def audit_total(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0
