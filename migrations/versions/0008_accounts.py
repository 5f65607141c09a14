"""Accounts and sign-in (issue 12).

- `accounts`: the people who sign in, with their role and an Argon2id hash of their
  password. Never deleted (disabled instead), and a row's uid never changes.
- Audit actions for accounts and sign-ins: `account` (added, disabled, password reset),
  `sign_in`, `sign_in_failed`, `locked_out`.

SQLite's copy of `audit_entries` for its changed CHECK drops its triggers, and cannot be
renamed into place while other tables' triggers name it (the clinical tables'
`{table}_status_audited`): all of them are dropped first and made again after.

Revision ID: 0008_accounts
Revises: 0007_tamper_evident
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from itp_monitor.storage import guards

revision: str = "0008_accounts"
down_revision: str | None = "0007_tamper_evident"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS = (
    *("create", "correct", "void", "archive", "restore", "setting", "restore_backup"),
    *("account", "sign_in", "sign_in_failed", "locked_out"),
)
ROLES = ("nurse", "doctor", "admin")
KEEP_ACCOUNTS = "accounts are never deleted; disable them instead"
# Each clinical table, and the name its audit entries give its records (as in 0007).
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
    dialect = op.get_bind().dialect.name
    dropped = guards.drop(dialect, "audit_entries", "no_delete", "no_update")
    for table in ENTITIES:
        dropped += guards.drop(dialect, table, "status_audited")
    for statement in dropped:
        op.execute(statement)
    listed = ", ".join(f"'{a}'" for a in ACTIONS)
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_entries_action_known"), type_="check")
        batch_op.create_check_constraint("action_known", sa.text(f"action IN ({listed})"))
    roles = ", ".join(f"'{r}'" for r in ROLES)
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_key", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at_utc", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("failed_in_row", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until_utc", sa.DateTime(), nullable=True),
        sa.CheckConstraint(f"role IN ({roles})", name=op.f("ck_accounts_role_known")),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_accounts_name_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name_key", name=op.f("uq_accounts_name_key")),
        sa.UniqueConstraint("uid", name=op.f("uq_accounts_uid")),
    )
    statements = guards.refuse_delete(dialect, "audit_entries", guards.APPEND_ONLY)
    statements += guards.refuse_update(dialect, "audit_entries")
    statements += guards.refuse_delete(dialect, "accounts", KEEP_ACCOUNTS)
    statements += guards.keep_columns(dialect, "accounts", ["uid"])
    for table, entity in ENTITIES.items():
        statements += guards.audited(dialect, table, entity)
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("a synced database keeps what it was given; restore a backup")
