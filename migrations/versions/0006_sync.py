"""Sync: what two devices did apart can stand side by side until staff settle it.

A sync (services/sync.py) brings together what a clinic laptop and the ward did
apart. The database must then hold what only staff can settle, a conflict, not
refuse it:

- two corrections of one version: `supersedes_id` is no longer unique;
- the same count or a second delivery from another device: the partial unique
  indexes over current counts and deliveries go (the services still refuse both
  when they are entered; the counts keep their covering index);
- one MRN registered on two devices: `patients.mrn` is no longer unique (the
  services still refuse a used MRN), and a registration linked into the other
  names it in `linked_into`;
- a version corrected here and voided there ends voided: the guard lets a
  status move from corrected to voided too (guards.versioned_forward);
- a protocol setting changed on two devices apart: each change names the changes
  it replaced (`protocol_settings.replaces`, backfilled in the order they were made),
  so that what is in force never depends on a clock, and a conflict can be about a
  setting rather than a woman (`conflicts.patient_id` may be empty).

New tables: `conflicts` and their `settlements` (both travel), and `syncs`, each
database's record of its syncs. SQLite's copy of a table for the changed
constraints drops its triggers: they are dropped first and re-created after.

Revision ID: 0006_sync
Revises: 0005_ids_that_travel
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from itp_monitor.storage import guards

revision: str = "0006_sync"
down_revision: str | None = "0005_ids_that_travel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UID = sa.String(length=36)

# Every column but status, for the guard that keeps saved values: as in 0005.
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
CURRENT = sa.text("status = 'current'")
CONFLICT_KINDS = (
    "corrected_twice",
    "corrected_and_voided",
    "entered_twice",
    "second_delivery",
    "registered_twice",
    "details_twice",
    "settled_twice",
    "on_linked",
    "setting_twice",
)
SETTLEMENTS = ("corrected", "voided", "kept", "linked")


def _one_of(column: str, allowed: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(a) for a in allowed)})"


def _unique_indexes_go() -> None:
    op.drop_index("uq_platelet_counts_current", table_name="platelet_counts")
    op.create_index(
        "ix_platelet_counts_current",
        "platelet_counts",
        ["patient_id", "collected_at", "value", "status"],
        unique=False,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )
    op.drop_index("uq_neonatal_counts_current", table_name="neonatal_counts")
    op.create_index(
        "ix_neonatal_counts_current",
        "neonatal_counts",
        ["patient_id", "collected_at", "value"],
        unique=False,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )
    op.drop_index("uq_deliveries_current", table_name="deliveries")


def _new_tables() -> None:
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", UID, nullable=False),
        sa.Column("device", UID, nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("what", sa.String(length=30), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("detected_at_utc", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_one_of("what", CONFLICT_KINDS), name=op.f("ck_conflicts_what_known")),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_conflicts_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts")),
        sa.UniqueConstraint("uid", name=op.f("uq_conflicts_uid")),
    )
    op.create_index(op.f("ix_conflicts_patient_id"), "conflicts", ["patient_id"], unique=False)
    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conflict_uid", UID, nullable=False),
        sa.Column("how", sa.String(length=20), nullable=False),
        sa.Column("at_utc", sa.DateTime(), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_uid", UID, nullable=True),
        sa.Column("uid", UID, nullable=False),
        sa.Column("device", UID, nullable=False),
        sa.CheckConstraint(_one_of("how", SETTLEMENTS), name=op.f("ck_settlements_how_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("uid", name=op.f("uq_settlements_uid")),
    )
    op.create_index(
        op.f("ix_settlements_conflict_uid"), "settlements", ["conflict_uid"], unique=False
    )
    op.create_table(
        "syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", UID, nullable=False),
        sa.Column("at_utc", sa.DateTime(), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("partner", UID, nullable=False),
        sa.Column("partner_location", sa.Text(), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("new_conflicts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_syncs")),
    )
    op.create_index(op.f("ix_syncs_uid"), "syncs", ["uid"], unique=False)


def _settings_name_what_they_replaced() -> None:
    """Each existing change of a setting replaced the one made before it on this device."""
    op.add_column("protocol_settings", sa.Column("replaces", sa.JSON(), nullable=True))
    settings = sa.table(
        "protocol_settings",
        sa.column("id"),
        sa.column("key"),
        sa.column("uid"),
        sa.column("set_at_utc"),
        sa.column("replaces", sa.JSON()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(settings.c.id, settings.c.key, settings.c.uid).order_by(
            settings.c.set_at_utc, settings.c.id
        )
    ).all()
    before: dict[str, str] = {}
    values = []
    for row_id, key, uid in rows:
        values.append({"row_id": row_id, "earlier": [before[key]] if key in before else []})
        before[key] = uid
    if values:
        bind.execute(
            settings.update()
            .where(settings.c.id == sa.bindparam("row_id"))
            .values(replaces=sa.bindparam("earlier", type_=sa.JSON())),
            values,
        )
    with op.batch_alter_table("protocol_settings") as batch_op:
        batch_op.alter_column("replaces", existing_type=sa.JSON(), nullable=False)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in guards.drop(dialect, "protocol_settings", "no_delete", "no_update"):
        op.execute(statement)
    _settings_name_what_they_replaced()
    for table in VERSIONED:
        for statement in guards.drop(dialect, table, "no_delete", "keep_values"):
            op.execute(statement)
    for statement in guards.drop(dialect, "patients", "no_delete", "keep_ids"):
        op.execute(statement)

    _unique_indexes_go()
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_supersedes_id", type_="unique")
            batch_op.create_index(f"ix_{table}_supersedes_id", ["supersedes_id"], unique=False)
    with op.batch_alter_table("patients") as batch_op:
        batch_op.add_column(sa.Column("linked_into", UID, nullable=True))
        batch_op.drop_constraint("uq_patients_mrn", type_="unique")
        batch_op.create_index("ix_patients_mrn", ["mrn"], unique=False)
    _new_tables()

    statements: list[str] = []
    for table, columns in VERSIONED.items():
        statements += guards.refuse_delete(dialect, table)
        statements += guards.versioned_forward(dialect, table, columns)
    statements += guards.refuse_delete(dialect, "patients", guards.KEEP_PATIENTS)
    statements += guards.keep_columns(dialect, "patients", ["uid", "device"])
    for table in ("protocol_settings", "conflicts", "settlements", "syncs"):
        statements += guards.refuse_delete(dialect, table, guards.APPEND_ONLY)
        statements += guards.refuse_update(dialect, table)
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("a synced database keeps what it was given; restore a backup")
