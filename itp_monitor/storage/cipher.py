"""Encrypted database files (issue 12): SQLCipher through `sqlcipher3`, one opener for
every SQLite file this program reads or makes.

A plain SQLite file begins with "SQLite format 3"; an encrypted one begins with 16
random bytes (SQLCipher's salt) and holds nothing readable after them, WAL included.
Which kind a file is, is read from that header, so every opener here (the database, a
backup, the copy a restore writes, a sync file) opens either kind alike.

The key is 32 random bytes, given to SQLCipher as a raw key: opening a connection then
costs nothing (SQLCipher's own passphrase derivation would cost about 0.2 s for every
connection, and the app opens several). A passphrase is turned into such a key with
Argon2id over the file's salt, once per file and process, so that a passphrase also
opens a copy (a backup, a sync file) that has a salt of its own. The files a process
makes while a key is in use (backups, the pre-upgrade copy, a sync file) are encrypted
with it, with the salt of the database in use: one derivation opens them all.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from itp_monitor.storage.failures import (
    KEY_VARIABLE,
    DriverDatabaseError,
    DriverError,
    DriverOperationalError,
    Failure,
    KeyRefused,
)

try:
    import sqlcipher3.dbapi2 as sqlcipher
except ImportError:  # a platform without its wheels: plain files only (docs/install.md)
    sqlcipher = None

PLAIN_HEADER = b"SQLite format 3\x00"
SALT_BYTES = 16
KEY_BYTES = 32
KEY_HEX = 2 * KEY_BYTES
ENV_VAR = KEY_VARIABLE
# Argon2id's cost for a passphrase: RFC 9106's second recommended option (64 MiB,
# 3 passes), about 0.2 s on a clinic laptop, paid once per file a process opens.
ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_LANES = 4

# The drivers' errors, either kind of file (storage/failures.py has them).
Error, DatabaseError, OperationalError = DriverError, DriverDatabaseError, DriverOperationalError


def available() -> bool:
    """Whether this installation can read and write encrypted files."""
    return sqlcipher is not None


@dataclass
class Key:
    """What opens encrypted files: a raw key, or a passphrase (keys derived per salt)."""

    raw: bytes | None = None
    passphrase: str | None = field(default=None, repr=False)
    salt: bytes | None = None  # of the database in use: the salt of every file made
    _derived: dict[bytes, bytes] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # never the key itself, in a log or a traceback
        return "Key(passphrase)" if self.passphrase is not None else "Key(raw)"

    @classmethod
    def from_text(cls, text: str) -> Key:
        """64 hexadecimal digits are a raw key (the recovery key `encrypt` shows, in groups
        of four: spaces and dashes between them do not count); anything else is a
        passphrase."""
        text = text.strip()
        compact = "".join(text.split()).replace("-", "")
        if len(compact) == KEY_HEX:
            try:
                return cls(raw=bytes.fromhex(compact))
            except ValueError:
                pass
        return cls(passphrase=text)

    @classmethod
    def random(cls) -> Key:
        return cls(raw=secrets.token_bytes(KEY_BYTES))

    def as_text(self) -> str:
        """The raw key as 64 hexadecimal digits, to keep in a credential store."""
        assert self.raw is not None
        return self.raw.hex()

    def for_people(self) -> str:
        """The raw key in 16 groups of four digits, to write down and type back."""
        text = self.as_text()
        return " ".join(text[i : i + 4] for i in range(0, len(text), 4))

    def _for_salt(self, salt: bytes) -> bytes:
        if self.raw is not None:
            return self.raw
        assert self.passphrase is not None
        if salt not in self._derived:
            from argon2.low_level import Type, hash_secret_raw

            self._derived[salt] = hash_secret_raw(
                self.passphrase.encode(),
                salt,
                time_cost=ARGON2_TIME_COST,
                memory_cost=ARGON2_MEMORY_KIB,
                parallelism=ARGON2_LANES,
                hash_len=KEY_BYTES,
                type=Type.ID,
            )
        return self._derived[salt]

    def pragma_for(self, path: Path) -> str:
        """PRAGMA key's value for an existing encrypted file."""
        return f"\"x'{self._for_salt(header(path)).hex()}'\""

    def pragma_for_new(self) -> str:
        """PRAGMA key's value for a file about to be made: the salt is given, so that the
        key derived for the database in use opens it too."""
        if self.salt is None:
            self.salt = secrets.token_bytes(SALT_BYTES)
        return f"\"x'{self._for_salt(self.salt).hex()}{self.salt.hex()}'\""


_in_use: Key | None = None
# Where a key for an encrypted file comes from when none is in use (storage/keys.py sets
# it): a plain ward opening an encrypted laptop's sync file, say. Asked once.
_finder: Callable[[], Key | None] | None = None
_found: list[Key | None] = []


def use(key: Key | None) -> None:
    """The key of the encrypted database this process works on (None: plain files)."""
    global _in_use
    _in_use = key
    _found.clear()


def set_finder(finder: Callable[[], Key | None]) -> None:
    global _finder
    _finder = finder


def _key_for_existing() -> Key | None:
    """The key in use, else the one the finder gives (without putting it in use: the
    files a plain database's process makes stay plain)."""
    if _in_use is not None:
        return _in_use
    if _finder is None:
        return None
    if not _found:
        _found.append(_finder())
    return _found[0]


def in_use() -> Key | None:
    return _in_use


def header(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(SALT_BYTES)


def encrypted(path: Path) -> bool:
    """Whether the file looks like an encrypted database: whole pages that begin with a
    salt, not with a plain SQLite header. Anything else (a text file, a header wiped to
    zeros) is a plain file, for SQLite to call damaged or not a database."""
    try:
        size = path.stat().st_size
        if size < 1024 or size % 512:
            return False
        first = header(path)
        return first != PLAIN_HEADER and first.strip(b"\x00") != b""
    except OSError:
        return False


def absent(path: Path) -> bool:
    """Whether there is no database at `path` yet: no file, or an empty one."""
    try:
        return path.stat().st_size == 0
    except FileNotFoundError:
        return True


def connect(path: Path, query: str = "", **kwargs: Any) -> sqlite3.Connection:
    """A connection to the SQLite file at `path`, plain or encrypted as the file is; a new
    file is encrypted while a key is in use. `query` is a URI query (mode=ro,
    immutable=1); `kwargs` go to the driver (timeout, isolation_level, ...).

    Raises KeyRefused for an encrypted file without a key, with the wrong key, or with
    no SQLCipher here; the driver's own errors otherwise."""
    uri = path.absolute().as_uri() + (f"?{query}" if query else "")
    key = _in_use
    if encrypted(path):
        if sqlcipher is None:
            raise KeyRefused(Failure.NO_CIPHER, path)
        found = _key_for_existing()
        if found is None:
            raise KeyRefused(Failure.NO_KEY, path)
        pragma = found.pragma_for(path)
    elif key is not None and absent(path) and "mode=ro" not in query:
        if sqlcipher is None:
            raise KeyRefused(Failure.NO_CIPHER, path)
        pragma = key.pragma_for_new()
    else:
        return cast(sqlite3.Connection, sqlite3.connect(uri, uri=True, **kwargs))
    connection = sqlcipher.connect(uri, uri=True, **kwargs)
    try:
        connection.execute("PRAGMA cipher_log_level = NONE")  # a wrong key: our line only
        connection.execute(f"PRAGMA key = {pragma}")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError as error:
        connection.close()
        if "not a database" in str(error):
            raise KeyRefused(Failure.WRONG_KEY, path) from None
        raise
    return cast(sqlite3.Connection, connection)  # SQLCipher's: the same interface


def from_environment() -> Key | None:
    """The key `ITP_MONITOR_KEY` gives, for scripts; None when it is not set."""
    text = os.environ.get(ENV_VAR, "")
    return Key.from_text(text) if text.strip() else None


def driver_module(path: Path) -> Any:
    """The DB-API module SQLAlchemy must know for the file's connections (its errors are
    what SQLAlchemy wraps): SQLCipher's for an encrypted file, or a new one while a key
    is in use; else None (the default, Python's sqlite3)."""
    if encrypted(path) or (_in_use is not None and absent(path)):
        return sqlcipher
    return None


def copy_file(source: Path, target: Path) -> None:
    """`source` copied into the new file `target`, encrypted as files made now are: with
    SQLite's backup API between files of one kind, with SQLCipher's export from a plain
    file into an encrypted one (the backup API cannot cross between the two). The
    source is only read; a source with WAL content is read with it."""
    wal = source.with_name(source.name + "-wal")
    mode = "mode=ro" if wal.exists() and wal.stat().st_size > 0 else "mode=ro&immutable=1"
    key = _in_use
    if key is None or encrypted(source):
        reading = connect(source, mode)
        try:
            writing = connect(target)
            try:
                reading.backup(writing)
            finally:
                writing.close()
        finally:
            reading.close()
        return
    if sqlcipher is None:
        raise KeyRefused(Failure.NO_CIPHER, target)
    plain = sqlcipher.connect(f"{source.absolute().as_uri()}?{mode}", uri=True)
    try:
        name = str(target.absolute()).replace("'", "''")
        plain.execute(f"ATTACH DATABASE '{name}' AS encrypted KEY {key.pragma_for_new()}")
        plain.execute("SELECT sqlcipher_export('encrypted')")
        plain.execute("DETACH DATABASE encrypted")
    finally:
        plain.close()


def exporting_connection(path: Path, **kwargs: Any) -> sqlite3.Connection:
    """SQLCipher's connection to the plain file at `path`, with no key: the one that can
    export it into an encrypted file (`ATTACH ... KEY`, `sqlcipher_export`)."""
    if sqlcipher is None:
        raise KeyRefused(Failure.NO_CIPHER, path)
    return cast(sqlite3.Connection, sqlcipher.connect(str(path), **kwargs))
