"""Preferences: what the unit chose to remember (a lab file's column mapping, local HL7 codes).

Revision ID: 0004_preferences
Revises: 0003_covering_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_preferences"
down_revision: str | None = "0003_covering_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("set_at_utc", sa.DateTime(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preferences")),
    )
    op.create_index(op.f("ix_preferences_key"), "preferences", ["key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_preferences_key"), table_name="preferences")
    op.drop_table("preferences")
