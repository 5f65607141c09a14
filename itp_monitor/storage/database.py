"""Where the database is, how to connect to it, and sessions for reading and writing."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from itp_monitor.storage import sqlite
from itp_monitor.storage.failures import translated

ENV_VAR = "ITP_MONITOR_DB"
APP_NAME = "itp-monitor"
DEFAULT_FILE = "itp-monitor.sqlite"


@dataclass(frozen=True)
class Location:
    """A database as the user named it: a SQLAlchemy URL, and the file when it is SQLite."""

    url: str
    path: Path | None

    def describe(self) -> str:
        if self.path is not None:
            return str(self.path)
        return make_url(self.url).render_as_string(hide_password=True)


def default_path() -> Path:
    """The SQLite file in the user's data folder."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / DEFAULT_FILE


def resolve_location(given: str | None, environ: Mapping[str, str] = os.environ) -> Location:
    """`--db` if given, else $ITP_MONITOR_DB, else the default file.

    Anything with `://` is a SQLAlchemy URL; anything else is an SQLite file path.
    """
    value = given or environ.get(ENV_VAR) or None
    if value and "://" in value:
        url = make_url(value)
        path = Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None
        return Location(url=value, path=path)
    path = Path(value).expanduser() if value else default_path()
    path = path.resolve()
    return Location(url=f"sqlite:///{path}", path=path)


class Database:
    """An engine with the project's connection rules, and sessions for reading and writing."""

    def __init__(self, location: Location, busy_timeout_ms: int = sqlite.BUSY_TIMEOUT_MS) -> None:
        self.location = location
        self.where = location.describe()
        url = make_url(location.url)
        self.is_sqlite = url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if location.path is not None:
                location.path.parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                url, connect_args=sqlite.connect_args(busy_timeout_ms)
            )
            sqlite.configure(self.engine, busy_timeout_ms)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(**{sqlite.WRITE_OPTION: True}), expire_on_commit=False
        )

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that sees one consistent snapshot and writes nothing.

        A failure of the file (damaged, unreadable) raises StorageFailure.
        """
        with translated(self.where), self._reader() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session that holds the write lock from its start and commits on success.

        Any exception rolls everything back: nothing half-written. Another program's
        lock held past the busy timeout raises DatabaseBusy; a full disk or a read-only
        file, StorageFailure.
        """
        with translated(self.where), self._writer.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
