"""The other clinical records, and the unit's protocol settings.

Revision ID: 0002_more_records
Revises: 0001_record_store
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from itp_monitor.storage import guards

revision: str = "0002_more_records"
down_revision: str | None = "0001_record_store"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column but status, for the trigger that keeps saved values (guards.versioned).
VERSIONED = {
    "bleeding_assessments": [
        "id",
        "patient_id",
        "assessed_at",
        "who_grade",
        "notes",
        "supersedes_id",
        "entered_at_utc",
        "entered_by",
    ],
    "treatments": [
        "id",
        "patient_id",
        "kind",
        "started_at",
        "ended_at",
        "dose",
        "notes",
        "supersedes_id",
        "entered_at_utc",
        "entered_by",
    ],
    "deliveries": [
        "id",
        "patient_id",
        "delivered_at",
        "mode",
        "anaesthesia",
        "blood_loss_ml",
        "notes",
        "supersedes_id",
        "entered_at_utc",
        "entered_by",
    ],
    "neonatal_counts": [
        "id",
        "patient_id",
        "collected_at",
        "value",
        "notes",
        "supersedes_id",
        "entered_at_utc",
        "entered_by",
    ],
    "adverse_events": [
        "id",
        "patient_id",
        "onset_at",
        "description",
        "grade",
        "related_to_rhtpo",
        "notes",
        "supersedes_id",
        "entered_at_utc",
        "entered_by",
    ],
}
APPEND_ONLY = ("protocol_settings",)


def upgrade() -> None:
    op.create_table(
        "bleeding_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.Column("who_grade", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("entered_at_utc", sa.DateTime(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "status IN ('current', 'corrected', 'voided')",
            name=op.f("ck_bleeding_assessments_status_known"),
        ),
        sa.CheckConstraint(
            "who_grade >= 0 AND who_grade <= 4",
            name=op.f("ck_bleeding_assessments_who_grade_known"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_bleeding_assessments_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["bleeding_assessments.id"],
            name=op.f("fk_bleeding_assessments_supersedes_id_bleeding_assessments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bleeding_assessments")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_bleeding_assessments_supersedes_id")),
    )
    with op.batch_alter_table("bleeding_assessments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bleeding_assessments_patient_status", ["patient_id", "status"], unique=False
        )

    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("dose", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("entered_at_utc", sa.DateTime(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "kind IN ('prednisone', 'dexamethasone', 'ivig', 'anti_d', 'platelet_transfusion', 'other')",
            name=op.f("ck_treatments_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('current', 'corrected', 'voided')", name=op.f("ck_treatments_status_known")
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at",
            name=op.f("ck_treatments_ends_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_treatments_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["treatments.id"],
            name=op.f("fk_treatments_supersedes_id_treatments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatments")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_treatments_supersedes_id")),
    )
    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_treatments_patient_status", ["patient_id", "status"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=False),
        sa.Column("mode", sa.String(length=30), nullable=False),
        sa.Column("anaesthesia", sa.String(length=30), nullable=True),
        sa.Column("blood_loss_ml", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("entered_at_utc", sa.DateTime(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "anaesthesia IS NULL OR anaesthesia IN ('none', 'neuraxial', 'general')",
            name=op.f("ck_deliveries_anaesthesia_known"),
        ),
        sa.CheckConstraint(
            "mode IN ('vaginal', 'assisted_vaginal', 'caesarean')",
            name=op.f("ck_deliveries_mode_known"),
        ),
        sa.CheckConstraint(
            "status IN ('current', 'corrected', 'voided')", name=op.f("ck_deliveries_status_known")
        ),
        sa.CheckConstraint(
            "blood_loss_ml IS NULL OR (blood_loss_ml >= 0 AND blood_loss_ml <= 20000)",
            name=op.f("ck_deliveries_blood_loss_plausible"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_deliveries_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["deliveries.id"],
            name=op.f("fk_deliveries_supersedes_id_deliveries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_deliveries_supersedes_id")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_patient_status", ["patient_id", "status"], unique=False
        )
        batch_op.create_index(
            "uq_deliveries_current",
            ["patient_id"],
            unique=True,
            sqlite_where=sa.text("status = 'current'"),
            postgresql_where=sa.text("status = 'current'"),
        )

    op.create_table(
        "neonatal_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("collected_at", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("entered_at_utc", sa.DateTime(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "status IN ('current', 'corrected', 'voided')",
            name=op.f("ck_neonatal_counts_status_known"),
        ),
        sa.CheckConstraint(
            "value >= 0 AND value <= 1500", name=op.f("ck_neonatal_counts_value_plausible")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_neonatal_counts_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["neonatal_counts.id"],
            name=op.f("fk_neonatal_counts_supersedes_id_neonatal_counts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_neonatal_counts")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_neonatal_counts_supersedes_id")),
    )
    with op.batch_alter_table("neonatal_counts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_neonatal_counts_patient_status", ["patient_id", "status"], unique=False
        )
        batch_op.create_index(
            "uq_neonatal_counts_current",
            ["patient_id", "collected_at", "value"],
            unique=True,
            sqlite_where=sa.text("status = 'current'"),
            postgresql_where=sa.text("status = 'current'"),
        )

    op.create_table(
        "adverse_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("onset_at", sa.DateTime(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("related_to_rhtpo", sa.Boolean(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("entered_at_utc", sa.DateTime(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "status IN ('current', 'corrected', 'voided')",
            name=op.f("ck_adverse_events_status_known"),
        ),
        sa.CheckConstraint("grade >= 1 AND grade <= 5", name=op.f("ck_adverse_events_grade_known")),
        sa.CheckConstraint(
            "length(trim(description)) > 0", name=op.f("ck_adverse_events_description_not_blank")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_adverse_events_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["adverse_events.id"],
            name=op.f("fk_adverse_events_supersedes_id_adverse_events"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_events")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_adverse_events_supersedes_id")),
    )
    with op.batch_alter_table("adverse_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_adverse_events_patient_status", ["patient_id", "status"], unique=False
        )

    op.create_table(
        "protocol_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("set_at_utc", sa.DateTime(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_settings")),
    )
    with op.batch_alter_table("protocol_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_protocol_settings_key"), ["key"], unique=False)

    dialect = op.get_bind().dialect.name
    statements: list[str] = []
    for table, columns in VERSIONED.items():
        statements += guards.refuse_delete(dialect, table)
        statements += guards.versioned(dialect, table, columns)
    for table in APPEND_ONLY:
        statements += guards.refuse_delete(dialect, table, guards.APPEND_ONLY)
        statements += guards.refuse_update(dialect, table)
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("protocol_settings")
    op.drop_table("adverse_events")
    op.drop_table("neonatal_counts")
    op.drop_table("deliveries")
    op.drop_table("treatments")
    op.drop_table("bleeding_assessments")
