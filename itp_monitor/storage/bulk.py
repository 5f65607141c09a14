"""Reading and writing many rows fast.

SQLAlchemy's per-row processing costs more than the query itself when the
ward board reads a hundred thousand counts. For such reads the statement is
compiled for the database in use and run on the driver's cursor. The one
difference between databases that matters here, that SQLite returns times as
ISO text, is answered by `time_reader`. Many new rows go in the same way, with
one executemany (`insert_many`), which also says which id each row took, each
given its uid and this database's device when the caller has not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Select, Table, func, insert, select
from sqlalchemy.orm import Session

from itp_monitor.storage.database import note_audit_ids
from itp_monitor.storage.models import TRAVELLING_COLUMNS, AuditEntry, new_uids, this_device


def fetch(session: Session, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of `statement` as plain tuples, in the session's transaction."""
    connection = session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        rows = cast(list[tuple[Any, ...]], cursor.fetchall())
    finally:
        cursor.close()
    return rows


def _unchanged(value: datetime) -> datetime:
    return value


def time_reader(session: Session) -> Callable[[Any], datetime]:
    """Turns a time column of `fetch` into a datetime: SQLite keeps times as ISO text."""
    return datetime.fromisoformat if session.connection().dialect.name == "sqlite" else _unchanged


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Inserts `rows` (each with the same keys) into `table`, whose key is `id`, and returns
    the ids they took, in the order given.

    On SQLite a write session holds the database's one write lock from its start
    (BEGIN IMMEDIATE), so nothing else inserts meanwhile and each row takes an id past
    every id before: one executemany on the driver's cursor, each value turned into
    what the driver takes by its column's own type exactly as SQLAlchemy would, then one
    read of the ids past the highest before, in order. Elsewhere, RETURNING sorted to
    the order of the rows says which id each took."""
    if not rows:
        return []
    connection = session.connection()
    rows = _travelling(connection, table, rows)
    dialect = connection.dialect
    if dialect.name != "sqlite":
        returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(returning, list(rows)))
    names = list(rows[0])
    processed = [(i, p) for i, name in enumerate(names) if (p := _as_stored(table, name, dialect))]
    quote = dialect.identifier_preparer
    into = quote.format_table(table)
    sql = (
        f"INSERT INTO {into} ({', '.join(quote.quote(n) for n in names)}) "
        f"VALUES ({', '.join('?' for _ in names)})"
    )
    before = session.scalar(select(func.max(table.c.id))) or 0  # pending ORM rows flushed
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(sql, [_stored(row, names, processed) for row in rows])
        cursor.execute(f"SELECT id FROM {into} WHERE id > ? ORDER BY id", [before])
        ids = [found for (found,) in cursor.fetchall()]
    finally:
        cursor.close()
    if len(ids) != len(rows):  # not under the write lock; but never link audit entries wrongly
        raise RuntimeError(f"{table.name}: inserted {len(rows)} rows, found {len(ids)}")
    return ids


def _travelling(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> Sequence[Mapping[str, Any]]:
    """The rows, each with a uid and this database's device if its table has them and the
    rows do not: SQLAlchemy's defaults, which give them to the ORM's rows, are bypassed."""
    if not all(c in table.c for c in TRAVELLING_COLUMNS) or "device" in rows[0]:
        return rows
    device = this_device(connection)
    if "uid" in rows[0]:
        return [{**row, "device": device} for row in rows]
    uids = new_uids(len(rows))
    return [{**row, "uid": uid, "device": device} for row, uid in zip(rows, uids, strict=True)]


def _as_stored(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What turns a value of the column into what the driver stores, if anything does;
    None included (JSON stores it as 'null', as the ORM does)."""
    return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)


def _stored(
    row: Mapping[str, Any], names: list[str], processed: list[tuple[int, Callable[[Any], Any]]]
) -> list[Any]:
    """The row's values in the order of `names`, as the driver takes them."""
    values = [row[name] for name in names]
    for i, process in processed:
        values[i] = process(values[i])
    return values


def insert_audit_entries(session: Session, entries: Sequence[Mapping[str, Any]]) -> None:
    """Inserts many audit entries, noted as this process's own once they commit
    (`Database.written_here`), as the entries the ORM flushes are."""
    ids = insert_many(session, cast(Table, AuditEntry.__table__), entries)
    note_audit_ids(session, ids)
