"""Everything SQLite-specific: connection settings, write locking, migration safety, backup.

Python's sqlite3 module, left to itself, opens transactions lazily with a plain
BEGIN, so two processes that read and then write can lose an update or fail
with "database is locked" on the upgrade to a write lock. Here the module's own
transaction handling is switched off (isolation_level None, which exists on
Python 3.11 unlike `autocommit`) and SQLAlchemy's "begin" event emits BEGIN
itself: BEGIN IMMEDIATE for write sessions, which take the write lock at once
and wait their turn for up to the busy timeout, and a plain BEGIN for reads,
which under WAL never wait for a writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event

from itp_monitor.storage import cipher

BUSY_TIMEOUT_MS = 10_000
WRITE_OPTION = "itp_write"

# Read back by the tests from a live connection.
CONNECTION_PRAGMAS = {
    "journal_mode": "WAL",  # readers never block the writer, nor it them
    "synchronous": "FULL",  # a saved count survives a power cut
    "foreign_keys": "ON",
    "busy_timeout": str(BUSY_TIMEOUT_MS),
    # INSERT OR REPLACE deletes the row it replaces: with this on, the delete guards see it
    "recursive_triggers": "ON",
}


def configure(
    engine: Engine, busy_timeout_ms: int = BUSY_TIMEOUT_MS, *, read_only: bool = False
) -> None:
    """Installs the connection settings and transaction control on an SQLite engine.

    `busy_timeout_ms` is how long a write waits for another program's write lock: the
    command line waits the full default; the app waits briefly and retries on a timer,
    so that its window never freezes behind a long import. A read-only connection
    leaves the journal mode as the file has it (setting it would be a write).
    """
    pragmas = {**CONNECTION_PRAGMAS, "busy_timeout": str(busy_timeout_ms)}
    if read_only:
        del pragmas["journal_mode"]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        for name, value in pragmas.items():
            dbapi_connection.execute(f"PRAGMA {name}={value}")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def connector(path: Path, busy_timeout_ms: int) -> Callable[[], sqlite3.Connection]:
    """Connections to the file, plain or encrypted as it is (storage/cipher.py). Shared
    between threads as SQLAlchemy's own file connections are (one at a time: the pool
    hands each to one thread)."""
    timeout = busy_timeout_ms / 1000

    def connect() -> sqlite3.Connection:
        return cipher.connect(path, timeout=timeout, check_same_thread=False)

    return connect


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def read_only_connector(path: Path, busy_timeout_ms: int) -> Callable[[], sqlite3.Connection]:
    """Connections that can only read the file, for a database on a read-only disk or share.

    SQLite reads a WAL database read-only (`mode=ro`) only when its -shm and -wal
    files exist or can be made; on a read-only mount after a clean close neither is
    true, and opening fails. Then, and only when no WAL content is waiting (with it,
    `immutable` would silently skip the latest saves), the file is opened `immutable`:
    with no WAL beside it, no program is writing it (a writer keeps its WAL open).
    """
    timeout = busy_timeout_ms / 1000

    def connect() -> sqlite3.Connection:
        connection: sqlite3.Connection | None = None
        try:
            connection = cipher.connect(path, "mode=ro", timeout=timeout, check_same_thread=False)
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return connection
        except cipher.OperationalError:
            if connection is not None:
                connection.close()
            wal = wal_path(path)
            if wal.exists() and wal.stat().st_size > 0:
                raise
        return cipher.connect(path, "immutable=1", timeout=timeout, check_same_thread=False)

    return connect


def driver_connection(connection: Connection) -> sqlite3.Connection:
    """The driver's own connection: Python's sqlite3, or SQLCipher's, which has the same
    interface (storage/cipher.py)."""
    raw = connection.connection.driver_connection
    assert raw is not None
    return raw  # type: ignore[no-any-return]


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for schema migrations, with foreign keys off while they run.

    Batch migrations on SQLite copy a table, drop the old one and rename the
    copy; with foreign keys on, dropping a parent with ON DELETE CASCADE children
    deletes them. The pragma only takes effect outside a transaction, so it is
    set on the raw connection before SQLAlchemy begins one. Afterwards every
    foreign key is checked and the setting is restored before the connection
    goes back to the pool.
    """
    # A migration writes: like every write it takes the lock at BEGIN (IMMEDIATE), so a
    # second copy of the app starting at the same moment waits, then finds it done.
    with engine.execution_options(**{WRITE_OPTION: True}).connect() as connection:
        raw = driver_connection(connection)
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            yield connection
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left broken references: {broken[:5]}")
        finally:
            if connection.in_transaction():
                connection.rollback()
            raw.execute("PRAGMA foreign_keys=ON")


def backup(engine: Engine, target: Path) -> None:
    """Copies the live database to `target` with SQLite's online backup API.

    Safe while other connections are open, unlike a file copy, which can catch
    the database half-written or miss what is still in the WAL file.
    """
    with engine.connect() as connection:
        source = driver_connection(connection)
        destination = cipher.connect(target)  # encrypted as the database is
        try:
            source.backup(destination)
        finally:
            destination.close()


def table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """How many rows each table of the file holds, read on the driver's connection."""
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def backup_counted(engine: Engine, target: Path) -> dict[str, int]:
    """Copies the live database to `target` as `backup` does, and returns how many rows
    each table held in the copied state: counted in the same read transaction that the
    copy is taken in, so a save made meanwhile is in neither or both."""
    with engine.connect() as connection:
        source = driver_connection(connection)
        source.execute("BEGIN")  # one snapshot for the counts and the copy
        try:
            counts = table_counts(source)
            destination = cipher.connect(target)  # encrypted as the database is
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.execute("ROLLBACK")
    return counts


def file_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


class DataVersion:
    """SQLite's PRAGMA data_version on a connection of its own: it changes when any other
    connection, in this process or another, commits. Reading it touches no table."""

    def __init__(self, engine: Engine) -> None:
        self._connection = engine.raw_connection()

    def read(self) -> int:
        cursor = self._connection.cursor()
        try:
            cursor.execute("PRAGMA data_version")
            row = cursor.fetchone()
            assert row is not None
            return int(row[0])
        finally:
            cursor.close()

    def close(self) -> None:
        self._connection.close()
