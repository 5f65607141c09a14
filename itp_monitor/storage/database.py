"""Where the database is, how to connect to it, and sessions for reading and writing."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from itp_monitor.storage import chain, cipher, postgresql, sqlite
from itp_monitor.storage.failures import (
    Failure,
    NoDatabase,
    StorageFailure,
    disk_nearly_full,
    translated,
)
from itp_monitor.storage.models import AuditEntry

ENV_VAR = "ITP_MONITOR_DB"
APP_NAME = "itp-monitor"
DEFAULT_FILE = "itp-monitor.sqlite"


@dataclass(frozen=True)
class Location:
    """A database as the user named it: a SQLAlchemy URL, and the file when it is SQLite."""

    url: str
    path: Path | None
    read_only: bool = False  # opened only to read: the window title says so

    def name(self) -> str:
        """The file, or the URL without its password."""
        if self.path is not None:
            return str(self.path)
        return make_url(self.url).render_as_string(hide_password=True)

    def describe(self) -> str:
        return f"{self.name()} (read-only)" if self.read_only else self.name()

    def reading_only(self) -> Location:
        return replace(self, read_only=True)


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


def _writable(path: Path) -> bool:
    """Whether this account can write the SQLite file and the WAL beside it.

    A read-only mount answers no here even for root, who ignores permissions.
    """
    if not os.access(path, os.W_OK):
        return False
    wal = sqlite.wal_path(path)
    return os.access(path.parent, os.W_OK) or (wal.exists() and os.access(wal, os.W_OK))


def check_file(location: Location, where: str, *, create: bool) -> None:
    """Refuses, before SQLite is asked, a file that cannot be the database as asked.

    A folder; a missing file when it may not be created (or is to be read only);
    an unreadable file; a file that cannot be written unless only reading. A missing
    file that may be created gets its folders here.
    """
    path = location.path
    if path is None:
        return
    if path.is_dir():
        raise StorageFailure(Failure.FOLDER, where)
    if not path.exists():
        if location.read_only or not create:
            raise NoDatabase(where)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            full = error.errno in (errno.ENOSPC, errno.EDQUOT) or disk_nearly_full(path.parent)
            raise StorageFailure(Failure.FULL if full else Failure.CANNOT_OPEN, where) from error
        return
    if not os.access(path, os.R_OK):
        raise StorageFailure(Failure.CANNOT_OPEN, where)
    if not create and path.stat().st_size == 0:
        raise NoDatabase(where)  # an empty file is none yet; opening it would write a header
    if not location.read_only and not _writable(path):
        raise StorageFailure(Failure.READ_ONLY, where)


def _sqlite_engine(location: Location, busy_timeout_ms: int) -> Engine:
    url = make_url(location.url)
    path = location.path
    if path is None:  # in memory
        return create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
    module = cipher.driver_module(path)  # SQLCipher's errors are the ones to wrap
    extra: dict[str, object] = {} if module is None else {"module": module}
    if location.read_only:
        return create_engine(
            url, creator=sqlite.read_only_connector(path, busy_timeout_ms), **extra
        )
    return create_engine(url, creator=sqlite.connector(path, busy_timeout_ms), **extra)


class Database:
    """An engine with the project's connection rules, and sessions for reading and writing."""

    def __init__(
        self,
        location: Location,
        busy_timeout_ms: int = sqlite.BUSY_TIMEOUT_MS,
        *,
        create: bool = True,
    ) -> None:
        """Raises StorageFailure (NoDatabase when `create` is off and there is no file)
        for a file that cannot be used as asked; nothing is created then."""
        self.location = location
        self.busy_timeout_ms = busy_timeout_ms
        self.where = location.name()
        self.folder = location.path.parent if location.path is not None else None
        url = make_url(location.url)
        self.is_sqlite = url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            check_file(location, self.where, create=create)
            self.engine: Engine = _sqlite_engine(location, busy_timeout_ms)
            sqlite.configure(self.engine, busy_timeout_ms, read_only=location.read_only)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
            postgresql.configure(self.engine, busy_timeout_ms)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(**{sqlite.WRITE_OPTION: True}), expire_on_commit=False
        )
        # The audit entries this Database object committed, so that a watch for changes
        # made elsewhere can pass over its own (the screen that saved has shown them).
        self.written_here: set[int] = set()
        event.listen(self._writer, "after_flush", _note_audit_entries)
        event.listen(self._writer, "before_commit", _link_audit_entries)
        event.listen(self._writer, "after_commit", self._keep_audit_entries)
        event.listen(self._writer, "after_rollback", _forget_audit_entries)

    def reopen(self) -> None:
        """New connections to the SQLite file, after it was replaced under its own name by
        an encrypted one (services/encryption.py): with the driver and key it needs now.
        Whatever holds this object goes on with it; the connections it opened before
        are closed."""
        assert self.is_sqlite
        self.engine.dispose()
        self.engine = _sqlite_engine(self.location, self.busy_timeout_ms)
        sqlite.configure(self.engine, self.busy_timeout_ms, read_only=self.location.read_only)
        self._reader.configure(bind=self.engine)
        self._writer.configure(bind=self.engine.execution_options(**{sqlite.WRITE_OPTION: True}))

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that sees one consistent snapshot and writes nothing.

        A failure of the file (damaged, unreadable) raises StorageFailure.
        """
        with self.failures(), self._reader() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session that holds the write lock from its start and commits on success.

        Any exception rolls everything back: nothing half-written. Another program's
        lock held past the busy timeout raises DatabaseBusy; a full disk or a read-only
        file, StorageFailure.
        """
        with self.failures(), self._writer.begin() as session:
            yield session

    def failures(self) -> AbstractContextManager[None]:
        """Turns the driver's errors about this database into StorageFailure."""
        return translated(self.where, self.folder)

    def _keep_audit_entries(self, session: Session) -> None:
        self.written_here.update(session.info.pop(_AUDIT_IDS, ()))

    def dispose(self) -> None:
        # the listener holds this object: without removing it, a disposed Database and
        # its ids would live as long as the process
        if event.contains(self._writer, "after_commit", self._keep_audit_entries):
            event.remove(self._writer, "after_commit", self._keep_audit_entries)
        self.engine.dispose()


_AUDIT_IDS = "itp_audit_ids"


def note_audit_ids(session: Session, ids: Iterable[int]) -> None:
    """Audit entries written in this session: kept as this process's own once the
    transaction commits (a rolled back id can be given to another program's entry)."""
    session.info.setdefault(_AUDIT_IDS, set()).update(ids)


def _note_audit_entries(session: Session, _context: object) -> None:
    """The audit entries the ORM flushed (inserts of many are noted by storage/bulk.py)."""
    note_audit_ids(session, (o.id for o in session.new if isinstance(o, AuditEntry)))


def _link_audit_entries(session: Session) -> None:
    """Links the audit entries this transaction wrote into the hash chain (chain.py),
    in the same transaction: an entry is never saved without its link."""
    session.flush()
    ids = session.info.get(_AUDIT_IDS)
    if ids:
        chain.extend(session.connection(), ids)


def _forget_audit_entries(session: Session) -> None:
    session.info.pop(_AUDIT_IDS, None)
