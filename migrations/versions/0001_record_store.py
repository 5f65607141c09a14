"""The record store: patients, platelet counts, rhTPO injections and the audit trail.

Revision ID: 0001_record_store
Revises: (none)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from itp_monitor.storage import guards

revision: str = "0001_record_store"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column but status, for the trigger that keeps saved values (guards.versioned).
VERSIONED = {
    "platelet_counts": [
        "id",
        "patient_id",
        "collected_at",
        "value",
        "source",
        "accession",
        "supersedes_id",
        "entered_at_utc",
        "entered_by",
    ],
    "injections": [
        "id",
        "patient_id",
        "given_at",
        "dose_units",
        "weight_kg",
        "site",
        "lot",
        "given_by",
        "notes",
        "supersedes_id",
        "entered_at_utc",
        "entered_by",
    ],
}
APPEND_ONLY = ("audit_entries",)
KEEP_ROWS = ("patients",)


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mrn", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("edd", sa.Date(), nullable=False),
        sa.Column("weight_kg", sa.Double(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("length(trim(mrn)) > 0", name=op.f("ck_patients_mrn_not_blank")),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_patients_name_not_blank")),
        sa.CheckConstraint(
            "weight_kg IS NULL OR (weight_kg >= 30 AND weight_kg <= 250)",
            name=op.f("ck_patients_weight_plausible"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("mrn", name=op.f("uq_patients_mrn")),
    )

    op.create_table(
        "platelet_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("collected_at", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("accession", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("entered_at_utc", sa.DateTime(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "status IN ('current', 'corrected', 'voided')",
            name=op.f("ck_platelet_counts_status_known"),
        ),
        sa.CheckConstraint(
            "value >= 0 AND value <= 1500", name=op.f("ck_platelet_counts_value_plausible")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_platelet_counts_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["platelet_counts.id"],
            name=op.f("fk_platelet_counts_supersedes_id_platelet_counts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platelet_counts")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_platelet_counts_supersedes_id")),
    )
    with op.batch_alter_table("platelet_counts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_platelet_counts_accession"), ["accession"], unique=False
        )
        batch_op.create_index(
            "ix_platelet_counts_patient_status", ["patient_id", "status"], unique=False
        )
        batch_op.create_index(
            "uq_platelet_counts_current",
            ["patient_id", "collected_at", "value"],
            unique=True,
            sqlite_where=sa.text("status = 'current'"),
            postgresql_where=sa.text("status = 'current'"),
        )

    op.create_table(
        "injections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("given_at", sa.DateTime(), nullable=False),
        sa.Column("dose_units", sa.Integer(), nullable=False),
        sa.Column("weight_kg", sa.Double(), nullable=False),
        sa.Column("site", sa.String(length=20), nullable=True),
        sa.Column("lot", sa.String(length=64), nullable=True),
        sa.Column("given_by", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("entered_at_utc", sa.DateTime(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "site IS NULL OR site IN ('abdomen-left', 'abdomen-right', 'thigh-left', 'thigh-right', 'arm-left', 'arm-right')",
            name=op.f("ck_injections_site_known"),
        ),
        sa.CheckConstraint(
            "status IN ('current', 'corrected', 'voided')", name=op.f("ck_injections_status_known")
        ),
        sa.CheckConstraint("dose_units > 0", name=op.f("ck_injections_dose_positive")),
        sa.CheckConstraint(
            "weight_kg >= 30 AND weight_kg <= 250", name=op.f("ck_injections_weight_plausible")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_injections_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["injections.id"],
            name=op.f("fk_injections_supersedes_id_injections"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_injections")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_injections_supersedes_id")),
    )
    with op.batch_alter_table("injections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_injections_patient_status", ["patient_id", "status"], unique=False
        )

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at_utc", sa.DateTime(), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("original_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "action IN ('create', 'correct', 'void', 'archive', 'restore', 'setting')",
            name=op.f("ck_audit_entries_action_known"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_audit_entries_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_entries_patient_id"), ["patient_id"], unique=False
        )

    dialect = op.get_bind().dialect.name
    statements: list[str] = []
    for table, columns in VERSIONED.items():
        statements += guards.refuse_delete(dialect, table)
        statements += guards.versioned(dialect, table, columns)
    for table in APPEND_ONLY:
        statements += guards.refuse_delete(dialect, table, guards.APPEND_ONLY)
        statements += guards.refuse_update(dialect, table)
    for table in KEEP_ROWS:
        statements += guards.refuse_delete(dialect, table, guards.KEEP_PATIENTS)
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("audit_entries")
    op.drop_table("injections")
    op.drop_table("platelet_counts")
    op.drop_table("patients")
