"""Encrypting a database and its copies (issue 12; interfaces.md, "Encryption and
sign-in"): `itp-monitor encrypt` and Settings → Security.

The database is exported into a new encrypted file beside it with SQLCipher's
`sqlcipher_export`, while a connection holds it in SQLite's exclusive locking mode (no
other program reads or writes it meanwhile). The copy gets the audit entry that says
so, is checked (integrity, and every table's rows against the original), flushed, and
only then takes the database's name. The plain file is overwritten with zeros and
emptied before it is let go: a program that still had it open finds an empty file and
fails, instead of saving into a file nobody will read again. Its backups, the copy kept
before an upgrade and the databases a restore set aside are encrypted the same way; a
copy that cannot be (a second backup folder unplugged) is named, and encrypted the next
time `encrypt` runs.

What this protects against, and what not: docs/install.md, "Encrypting a clinic laptop".
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from itp_monitor.domain.vocab import AuditAction, Role
from itp_monitor.services import audit
from itp_monitor.services.accounts import NotAllowed, require_role
from itp_monitor.services.backups import BackupService, fsync_folder, settle
from itp_monitor.services.context import to_utc
from itp_monitor.services.restore import SET_ASIDE
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage import cipher, keys, sqlite
from itp_monitor.storage.database import Database, resolve_location

TEMP_SUFFIX = ".encrypting"
ENTITY = "database"
REASON = "the database encrypted at rest"
WIPE_CHUNK = 1 << 20
BEFORE_UPGRADE = ".before-upgrade-from-"
NOT_COPIES = ("-wal", "-shm", "-journal", TEMP_SUFFIX)
# A copy that could not be encrypted: a disk gone, or a copy SQLite cannot read.
_COPY_FAILED: tuple[type[Exception], ...] = (OSError, *cipher.Error)


class EncryptRefused(Exception):
    """Encryption refused before anything was changed; the message says why."""


@dataclass(frozen=True)
class Encrypted:
    database: Path
    copies: list[Path] = field(default_factory=list)  # backups and other copies encrypted
    left: list[tuple[Path, str]] = field(default_factory=list)  # not encrypted, and why


KEY_VARIABLE = cipher.ENV_VAR
MIN_PASSPHRASE = 12  # characters: a sentence of a few words, not a word
IN_STORE = "kept in the credential store of this computer's account"
BY_PASSPHRASE = "a passphrase, asked when the app starts"
FROM_ENVIRONMENT = f"the one {cipher.ENV_VAR} gives, kept by whoever runs the scripts"


@dataclass(frozen=True)
class KeyChoice:
    """The key to encrypt with, where it is kept (said in the audit entry), and the
    recovery key to show once (None when the person holds it already: a passphrase)."""

    key: cipher.Key
    how: str
    recovery: str | None = field(default=None, repr=False)  # never in a log or traceback


def key_in_store() -> KeyChoice:
    """The key the credential store keeps for this account, or a new random one kept
    there; EncryptRefused where there is no store. A key there is never replaced: it may
    be another database's (one key per account), and replacing it would lock that one."""
    kept = keys.from_store()
    if kept is not None and kept.raw is not None:
        return KeyChoice(kept, IN_STORE, kept.for_people())
    key = cipher.Key.random()
    try:
        keys.keep(key)
    except keys.NoCredentialStore as e:
        raise EncryptRefused(
            f"{e}: give a passphrase instead, or set {cipher.ENV_VAR} for scripts"
        ) from e
    return KeyChoice(key, IN_STORE, key.for_people())


def key_from_passphrase(text: str) -> KeyChoice:
    if len(text) < MIN_PASSPHRASE:
        raise EncryptRefused(f"a passphrase needs at least {MIN_PASSPHRASE} characters")
    return KeyChoice(cipher.Key.from_text(text), BY_PASSPHRASE)


def key_from_environment() -> KeyChoice | None:
    key = cipher.from_environment()
    return KeyChoice(key, FROM_ENVIRONMENT) if key is not None else None


def can_encrypt() -> bool:
    """Whether this installation has SQLCipher (docs/install.md)."""
    return cipher.available()


class EncryptionService(ServiceBase):
    def encrypted(self) -> bool:
        """Whether the database in use is an encrypted file."""
        path = self.db.location.path
        return path is not None and self.db.is_sqlite and cipher.encrypted(path)

    def copies(self) -> list[Path]:
        """The plain copies of this database's records that `encrypt` encrypts too: its own
        backups in both folders, the copies kept before upgrades, and databases a restore
        set aside."""
        path = self._path()
        found = [b.path for b in BackupService(self.db, self.user, self.clock).own_backups()]
        for beside in sorted(path.parent.glob(f"{path.stem}*{path.suffix}")):
            name = beside.name
            if (BEFORE_UPGRADE in name or SET_ASIDE in name) and beside.is_file():
                found.append(beside)
        # what a stopped restore or copy left (`.restoring`, `.partial`): plain records too
        for left in sorted(path.parent.glob(f"{path.stem}*{path.suffix}.*")):
            if left.is_file() and not left.name.endswith(NOT_COPIES):
                found.append(left)
        return [p for p in found if not cipher.encrypted(p)]

    def _path(self) -> Path:
        location = self.db.location
        if location.path is None or not location.url.startswith("sqlite"):
            raise EncryptRefused(
                "only an SQLite file is encrypted here: a PostgreSQL server encrypts its "
                "disk itself (ask the server's administrators)"
            )
        return location.path

    def encrypt(self, choice: KeyChoice) -> Encrypted:
        """Encrypts the database and its copies with the key chosen (module docstring).
        Its connections are closed first; the database object opens new ones to the
        encrypted file once it is done (Database.reopen). EncryptRefused, with nothing
        changed, when it cannot be done."""
        path = self._path()
        if not cipher.available():
            raise EncryptRefused(
                "this installation cannot encrypt: its sqlcipher3 package is missing "
                "(docs/install.md)"
            )
        if cipher.encrypted(path):
            raise EncryptRefused(f"{path} is encrypted already")
        self._as_administrator()
        copies = self.copies()
        self.db.engine.dispose()
        _alone(path)
        key = choice.key
        cipher.use(key)
        try:
            database = _encrypt_database(path, key, self.user, to_utc(self.clock()), choice.how)
        except BaseException:
            if not cipher.encrypted(path):
                cipher.use(None)  # the database is as it was: plain
            raise
        self.db.reopen()
        return Encrypted(database, *_encrypt_copies(copies))

    def encrypt_left_copies(self) -> Encrypted:
        """For a database encrypted already: its copies still plain (a backup folder that
        could not be reached when it was encrypted), encrypted now with its key.
        EncryptRefused when there are none."""
        path = self._path()
        if not cipher.encrypted(path):
            raise EncryptRefused(f"{path} is not encrypted")
        self._as_administrator()
        copies = self.copies()
        if not copies:
            raise EncryptRefused(f"{path} is encrypted already, and so are its copies")
        return Encrypted(path, *_encrypt_copies(copies))

    def _as_administrator(self) -> None:
        with self.db.reading() as session:
            try:
                require_role(session, self.user, Role.ADMIN, "encrypting the database")
            except NotAllowed as e:
                raise EncryptRefused(str(e)) from e


def _encrypt_copies(copies: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Each copy encrypted with the key in use; those that could not be, and why."""
    done, left = [], []
    for copy in copies:
        try:
            _encrypt_copy(copy)
            done.append(copy)
        except _COPY_FAILED as error:
            left.append((copy, str(error)))
    return done, left


def _alone(path: Path) -> None:
    """Refuses while another program has the database open: SQLite removes a database's
    -wal and -shm when its last connection closes, so if they are still there once this
    one has opened and closed it, another connection is open (the app, say)."""
    with closing(sqlite3.connect(path)) as c:  # one that may write: it may remove them
        c.execute("SELECT count(*) FROM sqlite_master").fetchone()
    if sqlite.wal_path(path).exists() or path.with_name(path.name + "-shm").exists():
        raise EncryptRefused(
            f"{path} is open in another program (ITP Monitor, on this computer or another "
            "one that shares the file): close it there, then encrypt"
        )


def _encrypt_database(path: Path, key: cipher.Key, user: str, at_utc: datetime, how: str) -> Path:
    temp = path.with_name(path.name + TEMP_SUFFIX)
    temp.unlink(missing_ok=True)
    timeout = sqlite.BUSY_TIMEOUT_MS / 1000
    lock = cipher.exporting_connection(path, isolation_level=None, timeout=timeout)
    try:
        # From here no other connection reads or writes the file until this one closes.
        lock.execute("PRAGMA locking_mode=EXCLUSIVE")
        lock.execute("PRAGMA journal_mode=DELETE")
        lock.execute("BEGIN EXCLUSIVE")
        lock.execute("COMMIT")
        before = sqlite.table_counts(lock)
        name = str(temp.absolute()).replace("'", "''")
        lock.execute(f"ATTACH DATABASE '{name}' AS encrypted KEY {key.pragma_for_new()}")
        lock.execute("SELECT sqlcipher_export('encrypted')")
        lock.execute("DETACH DATABASE encrypted")
        _record(temp, user, at_utc, how)
        _verify(temp, before, added={"audit_entries": 1, "audit_chain": 1})
        _put_in_place(temp, path, let_go=lock.close)
    except BaseException:
        temp.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):
            temp.with_name(temp.name + suffix).unlink(missing_ok=True)
        raise
    finally:
        lock.close()
    return path


def _record(temp: Path, user: str, at_utc: datetime, how: str) -> None:
    """The encryption in the encrypted copy's own audit trail (and its chain)."""
    db = Database(resolve_location(str(temp)))
    try:
        with db.writing() as session:
            audit.write(
                session,
                at_utc=at_utc,
                user=user,
                action=AuditAction.SETTING,
                entity=ENTITY,
                record_id=None,
                patient_id=None,
                before={"encrypted": False},
                after={"encrypted": True, "key": how},
                reason=REASON,
            )
    finally:
        db.dispose()  # its last connection: the WAL written into the file, and removed


def _verify(path: Path, expected: dict[str, int], added: dict[str, int] | None = None) -> None:
    with closing(cipher.connect(path)) as copy:
        result = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise OSError(f"the encrypted copy fails SQLite's integrity check: {result[:2]}")
        held = sqlite.table_counts(copy)
    for table, rows in expected.items():
        want = rows + (added or {}).get(table, 0)
        if held.get(table) != want:
            raise OSError(f"the encrypted copy holds {held.get(table)} rows of {table}, not {want}")


def _encrypt_copy(copy: Path) -> None:
    temp = copy.with_name(copy.name + TEMP_SUFFIX)
    temp.unlink(missing_ok=True)
    try:
        with closing(cipher.connect(copy, "mode=ro")) as plain:
            before = sqlite.table_counts(plain)
        cipher.copy_file(copy, temp)
        settle(temp)
        _verify(temp, before)
        _put_in_place(temp, copy)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _put_in_place(temp: Path, target: Path, let_go: Callable[[], object] = lambda: None) -> None:
    """`temp`, flushed, takes `target`'s name; the plain file it replaces is overwritten
    with zeros and emptied through a handle opened before (no other name reaches it).
    `let_go` closes what holds `target` open, where that must come first."""
    with temp.open("rb+") as file:
        os.fsync(file.fileno())
    if os.name == "nt":
        # Windows renames no file that is open: the lock is let go of first (the moment
        # between is the only one another program could open the plain file in), the
        # plain file is moved aside, the copy takes its name, and the plain one is wiped.
        let_go()
        aside = target.with_name(target.name + ".plain")
        target.replace(aside)
        temp.replace(target)
        old = os.open(aside, os.O_RDWR | getattr(os, "O_BINARY", 0))
        try:
            _wipe(old)
        finally:
            os.close(old)
        aside.unlink()
        return
    old = os.open(target, os.O_RDWR)
    try:
        temp.replace(target)
        fsync_folder(target.parent)
        _wipe(old)
    finally:
        with suppress(OSError):
            os.close(old)


def _wipe(handle: int) -> None:
    """The file behind `handle` overwritten with zeros, flushed, and emptied."""
    size = os.fstat(handle).st_size
    zeros = bytes(WIPE_CHUNK)
    os.lseek(handle, 0, os.SEEK_SET)
    for start in range(0, size, WIPE_CHUNK):
        os.write(handle, zeros[: min(WIPE_CHUNK, size - start)])
    os.fsync(handle)
    os.ftruncate(handle, 0)
    os.fsync(handle)
