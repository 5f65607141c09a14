"""What a database holds, as every database a sync reaches must hold it too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text

from itp_monitor.storage.database import Database

TABLES = (
    "patients",
    "platelet_counts",
    "injections",
    "bleeding_assessments",
    "treatments",
    "deliveries",
    "neonatal_counts",
    "adverse_events",
    "protocol_settings",
    "preferences",
    "audit_entries",
    "conflicts",
    "settlements",
    "accounts",
)
# what each table's rows must agree on everywhere (integer ids differ between databases)
COLUMNS = {
    "patients": "uid, device, mrn, name, edd, date_of_birth, weight_kg, notes, archived, "
    "linked_into, created_by",
    "audit_entries": 'uid, device, at_utc, "user", action, entity, record_uid, reason',
    "conflicts": "uid, entity, what",
    "settlements": 'uid, device, conflict_uid, how, "user"',
    "protocol_settings": "uid, device, key, value, set_by",
    "preferences": "uid, device, key, set_by",
    # failed sign-ins and a lock-out stay on the computer where they happened
    "accounts": "uid, name, name_key, role, password_hash, active, changed_at_utc, changed_by",
}


def held(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    """Everything a database holds, as other databases must hold it too."""
    found: dict[str, set[tuple[Any, ...]]] = {}
    with db.reading() as session:
        for table in TABLES:
            columns = COLUMNS.get(table, "uid, device, status, entered_by, entered_at_utc")
            rows = session.execute(text(f"SELECT {columns} FROM {table}"))
            found[table] = {tuple(_as_text(v) for v in row) for row in rows}
    return found


def _as_text(value: Any) -> str:
    """A value as SQLite stores it, so that a PostgreSQL side compares with an SQLite one."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return str(int(value))
    return str(value)
