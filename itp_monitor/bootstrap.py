"""Opens the database for the app or the command line: connect, migrate, build the services."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import ArgumentError, DBAPIError

from itp_monitor.services.container import Services, build_services
from itp_monitor.services.errors import Failure, StorageFailure
from itp_monitor.storage import cipher, keys, owner_only
from itp_monitor.storage.database import Database, default_path, resolve_location
from itp_monitor.storage.failures import NoDatabase, as_failure
from itp_monitor.storage.migrate import SchemaError, migrate


def open_services(
    db_option: str | None,
    *,
    busy_timeout_ms: int | None = None,
    create: bool = True,
    read_only: bool = False,
) -> Services:
    """Connects and brings the schema up to date, backing up an older database first.

    Raises SchemaError, leaving the database untouched, for one this version cannot use;
    StorageFailure for a file that cannot be used (a folder, not a database, read-only,
    a full disk, damaged), and NoDatabase when there is none and `create` is off: then
    no folder or file is made. `busy_timeout_ms` is how long a write waits for another
    program's lock (the app waits briefly and retries; the command line waits the
    default). `read_only` opens the file so that nothing can be written to it.
    """
    location = resolve_location(db_option)
    if read_only:
        location = location.reading_only()
    keys.prepare(location)  # an encrypted database's key, put in use (storage/keys.py)
    db = (
        Database(location, create=create)
        if busy_timeout_ms is None
        else Database(location, busy_timeout_ms, create=create)
    )
    try:
        outcome = migrate(db, create=create)
    except BaseException:
        db.dispose()
        raise
    if outcome.backup is not None:
        print(
            f"Upgraded the database from schema {outcome.before} to {outcome.after}; "
            f"the earlier copy is kept at {outcome.backup}",
            file=sys.stderr,
        )
    services = build_services(db)
    if location.path is not None and not location.read_only:
        # a database made before files were owner-only: made so now, and said in the audit
        changed = owner_only.tighten(location.path, default_path().parent)
        services.security.record_tightened(changed)
    return services


def use_passphrase(text: str) -> None:
    """What a person typed to open an encrypted database (its passphrase, or its recovery
    key), put in use for the next try to open it."""
    cipher.use(cipher.Key.from_text(text))


def forget_key() -> None:
    """Another database was chosen: what was typed for the last one is not its key, and
    must not encrypt a new file (storage/keys.py finds this one's)."""
    cipher.use(None)


# Why an encrypted database did not open: a passphrase typed may open it.
KEY_FAILURES = (Failure.NO_KEY, Failure.WRONG_KEY)


@dataclass(frozen=True)
class OpenProblem:
    """Why a database could not be opened, in words for the person who asked for it."""

    where: str
    what: str  # what is wrong, without the place
    advice: str  # what to do about it
    failure: Failure | None = None  # None for a schema or driver problem
    path: Path | None = None  # the SQLite file

    @property
    def may_read(self) -> bool:
        """Whether opening the same file read-only could work: it is there and readable,
        but cannot be written (a read-only file, disk or share, or a full disk)."""
        if self.failure not in (Failure.READ_ONLY, Failure.FULL) or self.path is None:
            return False
        return self.path.is_file() and os.access(self.path, os.R_OK)

    def line(self) -> str:
        """The one line the command line prints."""
        if self.failure is Failure.MISSING:
            return f"no database at {self.where}; {self.advice}"
        if self.advice:
            return f"cannot use the database {self.where}: {self.what}; {self.advice}"
        return f"cannot use the database {self.where}: {self.what}"


def open_problem(db_option: str | None, error: BaseException) -> OpenProblem | None:
    """What went wrong opening the database, for an error open_services raised;
    None for anything else (a bug, for the last-resort handler)."""
    try:
        location = resolve_location(db_option)
        where, path = location.name(), location.path
    except ArgumentError:  # never echoed: a URL SQLAlchemy cannot parse may hold a password
        where, path = "given with --db or $ITP_MONITOR_DB", None
    if isinstance(error, ArgumentError):
        return OpenProblem(
            where,
            "it is neither a file path nor a database URL this app can use",
            "give a file path, or a URL such as postgresql+psycopg://user@host/itp",
        )
    if isinstance(error, NoDatabase):
        return OpenProblem(
            where,
            error.failure.words,
            f"check the path, or create one with `itp-monitor --db {where} demo` or `import`",
            Failure.MISSING,
            path,
        )
    if isinstance(error, StorageFailure):
        return OpenProblem(error.where, error.failure.words, error.advice, error.failure, path)
    if isinstance(error, SchemaError):
        return OpenProblem(where, str(error), "")
    if isinstance(error, ModuleNotFoundError):
        return OpenProblem(
            where,
            f"its driver '{error.name}' is not installed in the app's environment",
            "install it there, or use an SQLite file",
        )
    if isinstance(error, DBAPIError | OSError):
        failure = as_failure(error, where)
        if failure is not None:
            return OpenProblem(where, failure.failure.words, failure.advice, failure.failure, path)
        # A database server's refusal (address, account): the driver's first line holds
        # no SQL and no values, since nothing has been read yet.
        detail = str(getattr(error, "orig", None) or error).strip()
        first = detail.splitlines()[0] if detail else type(error).__name__
        return OpenProblem(where, first, "check the address and that the server is running")
    return None
