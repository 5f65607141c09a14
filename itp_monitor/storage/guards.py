"""Database triggers that make the record store keep what it is given.

Used by the migration scripts. What a function here emits is part of migrations
that have already run on wards' databases: never change it; add a new function
and a new migration instead.

One exception, made before any ward used PostgreSQL: its trigger functions raise with
SQLSTATE 23000 (integrity_constraint_violation), so that a refusal reaches the program
as the driver's IntegrityError, as SQLite's RAISE(ABORT) does, not as a ProgrammingError.
The two functions are shared by every trigger and created with CREATE OR REPLACE: any
later migration that emits a PostgreSQL guard brings a database made before this change
to the same form.
"""

from __future__ import annotations

from collections.abc import Sequence

KEEP_ROWS = "clinical records are never deleted; void them instead"
KEEP_VALUES = "a saved record is never changed; correct or void it"
APPEND_ONLY = "this history is never changed or deleted"
KEEP_PATIENTS = "patients are never deleted; archive them instead"


def _quote(message: str) -> str:
    return message.replace("'", "''")


def refuse_delete(dialect: str, table: str, message: str = KEEP_ROWS) -> list[str]:
    """Any DELETE on `table` fails."""
    text = _quote(f"{table}: {message}")
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
        ]
    return [
        _pg_refuse_function(),
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION itp_refuse('{text}')",
    ]


def refuse_update(dialect: str, table: str, message: str = APPEND_ONLY) -> list[str]:
    """Any UPDATE on `table` fails."""
    text = _quote(f"{table}: {message}")
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
        ]
    return [
        _pg_refuse_function(),
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION itp_refuse('{text}')",
    ]


def versioned(dialect: str, table: str, columns: Sequence[str]) -> list[str]:
    """Rows of `table` may only go from status 'current' to another status, nothing else.

    `columns` are every column but `status` (SQLite has no row-to-JSON to compare).
    """
    text = _quote(f"{table}: {KEEP_VALUES}")
    if dialect == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
        return [
            f"CREATE TRIGGER {table}_keep_values BEFORE UPDATE ON {table} "
            f"WHEN OLD.status <> 'current' OR NEW.status = 'current' OR {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
        ]
    return [
        "CREATE OR REPLACE FUNCTION itp_keep_values() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF OLD.status <> 'current' OR NEW.status = 'current' "
        "OR (to_jsonb(NEW) - 'status') IS DISTINCT FROM (to_jsonb(OLD) - 'status') "
        "THEN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = '23000'; END IF; "
        "RETURN NEW; END $$",
        f"CREATE TRIGGER {table}_keep_values BEFORE UPDATE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION itp_keep_values('{text}')",
    ]


def drop(dialect: str, table: str, *suffixes: str) -> list[str]:
    """Drops the named triggers (`no_delete`, `no_update`, `keep_values`) of `table`."""
    on = "" if dialect == "sqlite" else f" ON {table}"
    return [f"DROP TRIGGER IF EXISTS {table}_{suffix}{on}" for suffix in suffixes]


def _pg_refuse_function() -> str:
    return (
        "CREATE OR REPLACE FUNCTION itp_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = '23000'; END $$"
    )


KEEP_IDS = "a row's uid and device never change"


def keep_columns(dialect: str, table: str, columns: Sequence[str]) -> list[str]:
    """An UPDATE of `table` that changes any of `columns` fails (`table`_keep_ids)."""
    text = _quote(f"{table}: {KEEP_IDS}")
    if dialect == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
        return [
            f"CREATE TRIGGER {table}_keep_ids BEFORE UPDATE ON {table} WHEN {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
        ]
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    return [
        _pg_refuse_function(),
        f"CREATE TRIGGER {table}_keep_ids BEFORE UPDATE ON {table} "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION itp_refuse('{text}')",
    ]


def versioned_forward(dialect: str, table: str, columns: Sequence[str]) -> list[str]:
    """Rows of `table` may only move their status forward, current → corrected → voided
    (a sync can bring the void of a version this database holds as corrected), nothing else.

    `columns` are every column but `status`.
    """
    text = _quote(f"{table}: {KEEP_VALUES}")
    if dialect == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
        return [
            f"CREATE TRIGGER {table}_keep_values BEFORE UPDATE ON {table} "
            "WHEN NOT ((OLD.status = 'current' AND NEW.status IN ('corrected', 'voided')) "
            f"OR (OLD.status = 'corrected' AND NEW.status = 'voided')) OR {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
        ]
    return [
        "CREATE OR REPLACE FUNCTION itp_keep_values_forward() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ "
        "BEGIN IF NOT ((OLD.status = 'current' AND NEW.status IN ('corrected', 'voided')) "
        "OR (OLD.status = 'corrected' AND NEW.status = 'voided')) "
        "OR (to_jsonb(NEW) - 'status') IS DISTINCT FROM (to_jsonb(OLD) - 'status') "
        "THEN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = '23000'; END IF; "
        "RETURN NEW; END $$",
        f"CREATE TRIGGER {table}_keep_values BEFORE UPDATE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION itp_keep_values_forward('{text}')",
    ]


UNAUDITED = "a version's status changes only with the audit entry that corrects or voids it"


def audited(dialect: str, table: str, entity: str) -> list[str]:
    """A version of `table` (audit entries name it `entity`) may move to corrected or
    voided only once an audit entry that corrects or voids it is written
    (`{table}_status_audited`): a status set past the app leaves no silent change."""
    text = _quote(f"{table}: {UNAUDITED}")
    needed = "CASE NEW.status WHEN 'corrected' THEN 'correct' WHEN 'voided' THEN 'void' END"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_status_audited BEFORE UPDATE OF status ON {table} "
            "WHEN NEW.status IS NOT OLD.status AND NOT EXISTS (SELECT 1 FROM audit_entries a "
            f"WHERE a.original_id = OLD.id AND a.entity = '{entity}' AND a.action = {needed}) "
            f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
        ]
    return [
        "CREATE OR REPLACE FUNCTION itp_status_audited() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ "
        "BEGIN IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (SELECT 1 FROM "
        "audit_entries a WHERE a.original_id = OLD.id AND a.entity = TG_ARGV[0] "
        f"AND a.action = {needed}) "
        "THEN RAISE EXCEPTION '%', TG_ARGV[1] USING ERRCODE = '23000'; END IF; "
        "RETURN NEW; END $$",
        f"CREATE TRIGGER {table}_status_audited BEFORE UPDATE OF status ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION itp_status_audited('{entity}', '{text}')",
    ]
