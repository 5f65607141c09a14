"""Reading many rows fast: plain tuples straight from the driver.

SQLAlchemy's per-row processing costs more than the query itself when the
ward board reads a hundred thousand counts. For such reads the statement is
compiled for the database in use and run on the driver's cursor. The one
difference between databases that matters here, that SQLite returns times as
ISO text, is answered by `time_reader`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select
from sqlalchemy.orm import Session


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
