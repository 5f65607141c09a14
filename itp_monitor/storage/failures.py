"""What can go wrong with the database file, in words a ward can act on.

The driver's errors (sqlite3.OperationalError and friends, wrapped by SQLAlchemy)
carry SQL and values; these carry only what failed and where. Every read and
write session goes through `translated`, so callers catch these and nothing else.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

from sqlalchemy.exc import DBAPIError

try:
    import sqlcipher3.dbapi2 as _sqlcipher
except ImportError:  # no SQLCipher on this platform: plain files only (storage/cipher.py)
    _sqlcipher = None

# The SQLite drivers' errors: Python's sqlite3, and SQLCipher's for encrypted files.
_CIPHER: tuple[type[Exception], ...] = () if _sqlcipher is None else (_sqlcipher.Error,)
DriverError: tuple[type[Exception], ...] = (sqlite3.Error, *_CIPHER)
DriverDatabaseError: tuple[type[Exception], ...] = (
    sqlite3.DatabaseError,
    *(() if _sqlcipher is None else (_sqlcipher.DatabaseError,)),
)
DriverOperationalError: tuple[type[Exception], ...] = (
    sqlite3.OperationalError,
    *(() if _sqlcipher is None else (_sqlcipher.OperationalError,)),
)


KEY_VARIABLE = "ITP_MONITOR_KEY"


class Failure(StrEnum):
    """Why the database could not be used, with what to do about it."""

    BUSY = "busy"
    FULL = "full"
    READ_ONLY = "read_only"
    NOT_A_DATABASE = "not_a_database"
    DAMAGED = "damaged"
    CANNOT_OPEN = "cannot_open"
    IO = "io"
    FOLDER = "folder"
    MISSING = "missing"
    NO_KEY = "no_key"
    WRONG_KEY = "wrong_key"
    NO_CIPHER = "no_cipher"

    @property
    def words(self) -> str:
        return _WORDS[self]

    @property
    def advice(self) -> str:
        return _ADVICE[self]


_WORDS = {
    Failure.BUSY: "the database is busy: another program is writing to it",
    Failure.FULL: "the disk is full",
    Failure.READ_ONLY: "the database is read-only",
    Failure.NOT_A_DATABASE: "the file is not an ITP Monitor database",
    Failure.DAMAGED: "the database file is damaged",
    Failure.CANNOT_OPEN: "the database file cannot be opened",
    Failure.IO: "the disk could not be read or written",
    Failure.FOLDER: "this is a folder, not a database file",
    Failure.MISSING: "there is no database there",
    Failure.NO_KEY: "the database is encrypted and no key was given",
    Failure.WRONG_KEY: "the key given does not open this encrypted database (or the file "
    "is damaged)",
    Failure.NO_CIPHER: "the database is encrypted and this installation cannot read "
    "encrypted databases",
}
_ADVICE = {
    Failure.BUSY: "wait for it to finish and try again",
    Failure.FULL: "free some space on the disk, then try again",
    Failure.READ_ONLY: "it can be read but not changed: to save, give your account permission "
    "to write it (or use a copy that can be written)",
    Failure.NOT_A_DATABASE: "choose another file",
    Failure.DAMAGED: "stop using it and ask for the last backup to be restored",
    Failure.CANNOT_OPEN: "check that the folder exists and that you may write to it",
    Failure.IO: "check the disk (or the network share) and try again",
    Failure.FOLDER: "give the path of a database file inside it (a new name creates one)",
    Failure.MISSING: "check the path, or create the database with the demo or import command",
    Failure.NO_KEY: f"set {KEY_VARIABLE} to its key or passphrase, or open it on the "
    "computer whose credential store holds its key",
    Failure.WRONG_KEY: f"check {KEY_VARIABLE} (or the passphrase); if it is right, restore "
    "the last backup",
    Failure.NO_CIPHER: "install the app with its sqlcipher3 package (docs/install.md)",
}

# SQLite's primary result codes (the low byte of the extended code).
_BY_SQLITE_CODE = {
    5: Failure.BUSY,  # SQLITE_BUSY
    6: Failure.BUSY,  # SQLITE_LOCKED
    8: Failure.READ_ONLY,  # SQLITE_READONLY
    10: Failure.IO,  # SQLITE_IOERR
    11: Failure.DAMAGED,  # SQLITE_CORRUPT
    13: Failure.FULL,  # SQLITE_FULL
    14: Failure.CANNOT_OPEN,  # SQLITE_CANTOPEN
    26: Failure.NOT_A_DATABASE,  # SQLITE_NOTADB
}
# PostgreSQL's error codes (psycopg's `sqlstate`): only those a ward can act on.
_BY_SQLSTATE = {
    "55P03": Failure.BUSY,  # lock_not_available: another writer past the busy timeout
    "53100": Failure.FULL,  # disk_full
    "25006": Failure.READ_ONLY,  # read_only_sql_transaction: a standby, or a read-only role
}
_BY_ERRNO = {
    errno.ENOSPC: Failure.FULL,
    errno.EDQUOT: Failure.FULL,
    errno.EROFS: Failure.READ_ONLY,
    errno.EACCES: Failure.READ_ONLY,
    errno.EPERM: Failure.READ_ONLY,
    errno.EIO: Failure.IO,
}


class StorageFailure(Exception):
    """The database could not be read or written. The message holds no SQL and no values."""

    def __init__(self, failure: Failure, where: str) -> None:
        self.failure = failure
        self.where = where
        super().__init__(f"{failure.words} ({where})")

    @property
    def advice(self) -> str:
        return self.failure.advice


class NoDatabase(StorageFailure):
    """A command that only reads was pointed at a database that does not exist."""

    def __init__(self, where: str) -> None:
        super().__init__(Failure.MISSING, where)


class KeyRefused(StorageFailure):
    """An encrypted file that cannot be opened here: no key, the wrong one, or no
    SQLCipher (storage/cipher.py)."""

    def __init__(self, failure: Failure, path: Path) -> None:
        super().__init__(failure, str(path))
        self.path = path


class DatabaseBusy(StorageFailure):
    """Another program holds the write lock longer than this session would wait."""

    def __init__(self, where: str) -> None:
        super().__init__(Failure.BUSY, where)


def classify(error: BaseException) -> Failure | None:
    """The failure a driver or OS error stands for; None for anything else (a bug)."""
    if isinstance(error, StorageFailure):
        return error.failure
    inner = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(inner, DriverError):
        code = getattr(inner, "sqlite_errorcode", None)
        if isinstance(code, int) and (code & 0xFF) in _BY_SQLITE_CODE:
            return _BY_SQLITE_CODE[code & 0xFF]
        text = str(inner).lower()
        for words, failure in (
            ("locked", Failure.BUSY),
            ("readonly", Failure.READ_ONLY),
            ("full", Failure.FULL),
            ("not a database", Failure.NOT_A_DATABASE),
            ("malformed", Failure.DAMAGED),
            ("unable to open", Failure.CANNOT_OPEN),
            ("disk i/o", Failure.IO),
        ):
            if words in text:
                return failure
        return None
    if isinstance(inner, OSError):
        return _BY_ERRNO.get(inner.errno or -1)
    return _BY_SQLSTATE.get(str(getattr(inner, "sqlstate", None)))


# SQLite reports a full disk as SQLITE_FULL only when a write to the database or its
# journal fails; growing the shared-memory file (-shm) on a full disk is an I/O error.
# Below this much free space in the database's folder, an I/O error is the full disk.
LOW_SPACE_BYTES = 1 << 20


def disk_nearly_full(folder: Path) -> bool:
    """Whether the disk holding `folder` (or its nearest existing parent) is all but full."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free < LOW_SPACE_BYTES
            except OSError:
                return False
    return False


def as_failure(
    error: BaseException, where: str, folder: Path | None = None
) -> StorageFailure | None:
    failure = classify(error)
    if failure is None:
        return None
    if (
        failure in (Failure.IO, Failure.CANNOT_OPEN)
        and folder is not None
        and disk_nearly_full(folder)
    ):
        failure = Failure.FULL
    if failure is Failure.BUSY:
        return DatabaseBusy(where)
    return StorageFailure(failure, where)


_TRANSLATED: tuple[type[Exception], ...] = (*DriverError, DBAPIError, OSError)


@contextmanager
def translated(where: str, folder: Path | None = None) -> Iterator[None]:
    """Turns the driver's errors about the file into StorageFailure; others pass through.

    `folder` is the database file's folder, where a full disk is looked for.
    """
    try:
        yield
    except StorageFailure:
        raise
    except _TRANSLATED as error:
        failure = as_failure(error, where, folder)
        if failure is None:
            raise
        raise failure from error
