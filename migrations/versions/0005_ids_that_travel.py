"""Ids that travel: every row a UUID and the device that made it; each database a device.

The database gets its own device (named after the computer) in `devices`. Every
patient, record version, protocol setting, preference and audit entry gets a
`uid` (made from what the row is: copies of one database agree) and `device` (this
database's); audit entries also `record_uid`, the uid of the record they are about.

The guard triggers refuse the backfill (a saved record is never changed, the
audit trail never), and SQLite's copy of a table to make a column NOT NULL drops
them anyway: they are dropped first and re-created at the end, the SQLite ones
comparing the new columns too. Patients and preferences are updated in place, so
a new trigger keeps their uid and device. Portable SQL: SQLite and PostgreSQL.

Revision ID: 0005_ids_that_travel
Revises: 0004_preferences
"""

import platform
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from itp_monitor.storage import guards

revision: str = "0005_ids_that_travel"
down_revision: str | None = "0004_preferences"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UID = sa.String(length=36)

# Every column but status, for the trigger that keeps saved values (guards.versioned):
# as in 0001 and 0002, with the new uid and device.
_STAMP = ["supersedes_id", "entered_at_utc", "entered_by", "uid", "device"]
VERSIONED = {
    "platelet_counts": [
        *["id", "patient_id", "collected_at", "value", "source", "accession"],
        *_STAMP,
    ],
    "injections": [
        *["id", "patient_id", "given_at", "dose_units", "weight_kg", "site", "lot"],
        *["given_by", "notes"],
        *_STAMP,
    ],
    "bleeding_assessments": ["id", "patient_id", "assessed_at", "who_grade", "notes", *_STAMP],
    "treatments": [
        *["id", "patient_id", "kind", "started_at", "ended_at", "dose", "notes"],
        *_STAMP,
    ],
    "deliveries": [
        *["id", "patient_id", "delivered_at", "mode", "anaesthesia", "blood_loss_ml", "notes"],
        *_STAMP,
    ],
    "neonatal_counts": ["id", "patient_id", "collected_at", "value", "notes", *_STAMP],
    "adverse_events": [
        *["id", "patient_id", "onset_at", "description", "grade", "related_to_rhtpo", "notes"],
        *_STAMP,
    ],
}
APPEND_ONLY = ("audit_entries", "protocol_settings")
KEEP_IDS = ("patients", "preferences")  # updated in place, or may be: their ids stay
TRAVELLING = (*VERSIONED, *APPEND_ONLY, *KEEP_IDS)

# The table of each audit entry's `entity`, to name the record's uid.
ENTITIES = {
    "patient": "patients",
    "protocol_setting": "protocol_settings",
    "platelet_count": "platelet_counts",
    "injection": "injections",
    "bleeding_assessment": "bleeding_assessments",
    "treatment": "treatments",
    "delivery": "deliveries",
    "neonatal_count": "neonatal_counts",
    "adverse_event": "adverse_events",
}


def _this_device() -> str:
    """Records this database as a device, named after the computer; returns its uid."""
    devices = op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", UID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("this_device", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("first_seen_utc", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_devices_name_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("uid", name=op.f("uq_devices_uid")),
    )
    op.create_index(
        "uq_devices_this_device",
        "devices",
        ["this_device"],
        unique=True,
        sqlite_where=sa.text("this_device"),
        postgresql_where=sa.text("this_device"),
    )
    device = str(uuid.uuid4())
    now = datetime.now(UTC).replace(tzinfo=None)
    name = platform.node().strip()[:200] or "this computer"
    op.bulk_insert(
        devices,
        [{"uid": device, "name": name, "this_device": True, "first_seen_utc": now}],
    )
    return device


# Backfilled uids are made from what each row is (uuid5), not drawn at random: two copies
# of one database upgraded apart (a laptop copied from the ward before this version)
# give their shared rows the same uids, so a sync holds them once. A row's identity is
# all it holds but what may change later: a record's status, a woman's details.
BACKFILL = uuid.UUID("8d3c1f52-6a0e-4b1c-9a55-0b5e2f7d4c11")
IDENTITY = {"patients": ("id", "created_at_utc", "created_by")}
CHANGEABLE = {"status", "uid", "device", "archived"}


def _uid_of(table: str, row: dict[str, object]) -> str:
    names = IDENTITY.get(table) or sorted(k for k in row if k not in CHANGEABLE)
    return str(uuid.uuid5(BACKFILL, repr((table, [(k, row[k]) for k in names]))))


def _backfill(table: str, device: str) -> None:
    """Every row of `table` a uid and this device, then both NOT NULL, uid unique."""
    op.add_column(table, sa.Column("uid", UID, nullable=True))
    op.add_column(table, sa.Column("device", UID, nullable=True))
    rows = sa.table(table, sa.column("id"), sa.column("uid"), sa.column("device"))
    bind = op.get_bind()
    found = [dict(r._mapping) for r in bind.execute(sa.text(f"SELECT * FROM {table}"))]
    if found:
        bind.execute(
            sa.update(rows)
            .where(rows.c.id == sa.bindparam("row_id"))
            .values(uid=sa.bindparam("new_uid"), device=device),
            [{"row_id": r["id"], "new_uid": _uid_of(table, r)} for r in found],
        )
    with op.batch_alter_table(table) as batch_op:
        batch_op.alter_column("uid", existing_type=UID, nullable=False)
        batch_op.alter_column("device", existing_type=UID, nullable=False)
        batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_uid"), ["uid"])


def _name_records() -> None:
    """Each existing audit entry names the uid of its record."""
    entries = sa.table(
        "audit_entries", sa.column("entity"), sa.column("record_id"), sa.column("record_uid")
    )
    for entity, table in ENTITIES.items():
        records = sa.table(table, sa.column("id"), sa.column("uid"))
        uid = sa.select(records.c.uid).where(records.c.id == entries.c.record_id).scalar_subquery()
        op.execute(
            sa.update(entries)
            .where(entries.c.entity == entity, entries.c.record_id.is_not(None))
            .values(record_uid=uid)
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in VERSIONED:
        for statement in guards.drop(dialect, table, "no_delete", "keep_values"):
            op.execute(statement)
    for table in APPEND_ONLY:
        for statement in guards.drop(dialect, table, "no_delete", "no_update"):
            op.execute(statement)
    for statement in guards.drop(dialect, "patients", "no_delete"):
        op.execute(statement)

    device = _this_device()
    op.add_column("audit_entries", sa.Column("record_uid", UID, nullable=True))
    for table in TRAVELLING:
        _backfill(table, device)
    _name_records()

    statements: list[str] = []
    for table, columns in VERSIONED.items():
        statements += guards.refuse_delete(dialect, table)
        statements += guards.versioned(dialect, table, columns)
    for table in APPEND_ONLY:
        statements += guards.refuse_delete(dialect, table, guards.APPEND_ONLY)
        statements += guards.refuse_update(dialect, table)
    statements += guards.refuse_delete(dialect, "patients", guards.KEEP_PATIENTS)
    for table in KEEP_IDS:
        statements += guards.keep_columns(dialect, table, ["uid", "device"])
    statements += guards.keep_columns(dialect, "devices", ["uid"])
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("ids that travel are never taken away; restore a backup instead")
