"""Durability: an audit trail whose tampering shows, and statuses that move only with it.

- `audit_chain`: each audit entry's link in a hash chain (storage/chain.py), written
  in the same transaction as the entry; every entry already in the database is linked
  here, in the order of its id, so the chain starts whole.
- `database_identity`: the database's own id, made here once and never changed, on
  which the chain is anchored. Not the device's: a copied database becomes a device of
  its own at its first sync, and its chain must not change with it.
- Each clinical table's `{table}_status_audited` guard: a version moves to corrected
  or voided only once the audit entry that corrects or voids it is written
  (guards.audited); `audit_entries.original_id` is indexed for it.
- A restore from a backup is an audit action of its own (`restore_backup`).

SQLite's copy of `audit_entries` for its changed CHECK drops its triggers: they are
dropped first and made again after.

Revision ID: 0007_tamper_evident
Revises: 0006_sync
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from itp_monitor.storage import chain, guards

revision: str = "0007_tamper_evident"
down_revision: str | None = "0006_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS = ("create", "correct", "void", "archive", "restore", "setting", "restore_backup")
# Each clinical table, and the name its audit entries give its records.
ENTITIES = {
    "platelet_counts": "platelet_count",
    "injections": "injection",
    "bleeding_assessments": "bleeding_assessment",
    "treatments": "treatment",
    "deliveries": "delivery",
    "neonatal_counts": "neonatal_count",
    "adverse_events": "adverse_event",
}


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    for statement in guards.drop(dialect, "audit_entries", "no_delete", "no_update"):
        op.execute(statement)
    listed = ", ".join(f"'{a}'" for a in ACTIONS)
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_entries_action_known"), type_="check")
        batch_op.create_check_constraint("action_known", sa.text(f"action IN ({listed})"))
        batch_op.create_index("ix_audit_entries_original_id", ["original_id"], unique=False)
    op.create_table(
        "audit_chain",
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["audit_entries.id"],
            name=op.f("fk_audit_chain_entry_id_audit_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_audit_chain_entry_id")),
    )
    op.create_table(
        "database_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("made_at_utc", sa.DateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_database_identity_only_one")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_database_identity")),
    )
    bind.execute(
        sa.text("INSERT INTO database_identity (id, uid, made_at_utc) VALUES (1, :uid, :at)"),
        {"uid": str(uuid.uuid4()), "at": datetime.now(UTC).replace(tzinfo=None)},
    )
    ids = [i for (i,) in bind.execute(sa.text("SELECT id FROM audit_entries ORDER BY id"))]
    chain.extend(bind, ids)

    statements: list[str] = []
    for table in ("audit_entries", "audit_chain", "database_identity"):
        statements += guards.refuse_delete(dialect, table, guards.APPEND_ONLY)
        statements += guards.refuse_update(dialect, table)
    for table, entity in ENTITIES.items():
        statements += guards.audited(dialect, table, entity)
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("a synced database keeps what it was given; restore a backup")
