"""Everything PostgreSQL-specific: the same transaction rules as SQLite's, on a server.

The services count on what SQLite gives them (storage/sqlite.py): a write session
holds the database's one write lock from its start, so what it checks before
writing (the same count already saved, the one delivery) cannot change under it,
and the batch insert's ids follow one another; a read session sees one snapshot.
Here a write transaction takes one transaction-scoped advisory lock as its first
statement, waiting for it up to the busy timeout (then "busy", as on SQLite), and
runs at READ COMMITTED, so that every statement after the lock sees what the
writer before it committed. A read runs at REPEATABLE READ: one snapshot, never
waiting for a writer. Nothing else on the server takes this lock.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, event

from itp_monitor.storage.sqlite import BUSY_TIMEOUT_MS, WRITE_OPTION

# The advisory lock's key: any constant; 'ITPM' in ASCII.
WRITE_LOCK_KEY = 0x4954504D


def configure(engine: Engine, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    """Installs the transaction control on a PostgreSQL engine."""

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql(
                f"SELECT set_config('lock_timeout', '{int(busy_timeout_ms)}ms', true), "
                f"pg_advisory_xact_lock({WRITE_LOCK_KEY})"
            )
        else:
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
