"""Covering indexes for the ward board's read of current counts and injections.

The ward board reads every current count and injection. Their partial indexes
(over current rows) now hold every column that read needs, so SQLite answers
it from the index alone: the 100,000 counts of a large ward in half the time.
The counts' unique index gains `status` as a column; every row in it is
'current', so the rule it enforces (the same count not twice) is unchanged.

Plain index operations: SQLite creates and drops indexes in place, with no
copy of the table (which would drop its guard triggers).

Revision ID: 0003_covering_indexes
Revises: 0002_more_records
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_covering_indexes"
down_revision: str | None = "0002_more_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("status = 'current'")


def upgrade() -> None:
    op.drop_index("uq_platelet_counts_current", table_name="platelet_counts")
    op.create_index(
        "uq_platelet_counts_current",
        "platelet_counts",
        ["patient_id", "collected_at", "value", "status"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )
    op.create_index(
        "ix_injections_current",
        "injections",
        ["patient_id", "given_at", "dose_units", "weight_kg", "status"],
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def downgrade() -> None:
    op.drop_index("ix_injections_current", table_name="injections")
    op.drop_index("uq_platelet_counts_current", table_name="platelet_counts")
    op.create_index(
        "uq_platelet_counts_current",
        "platelet_counts",
        ["patient_id", "collected_at", "value"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )
