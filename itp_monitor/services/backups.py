"""Backups: verified online copies of the database, kept by a rule (issue 11).

A backup is taken with SQLite's online backup API, never by copying the file
(a copy can catch the database half-written, or miss what is still in its WAL
file). It is written under a temporary name, checked (SQLite's integrity check,
and every table holding as many rows as the database did at that moment), and
only then given its name: a backup that is listed is a good one.

Kept: every backup of the last 48 hours, then the newest of each day for 30 days,
of each week for 6 months, of each month after (Anki keeps its backups the same
way). A PostgreSQL database is backed up by its server
(pg_dump): README, "A ward's shared PostgreSQL server".

Each backup goes to `backups/` beside the database and, when one is set for this
device, to a second folder (a USB disk, a network share): kept in the database as
a preference keyed by this device's id, since a USB disk's path belongs to one
laptop, so that the app and the command line see the same. A second folder that
cannot be reached never stops the first backup; it is said.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from itp_monitor.services import preferences
from itp_monitor.services.context import to_utc
from itp_monitor.services.errors import StorageFailure
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage import cipher, sqlite
from itp_monitor.storage.chain import identity
from itp_monitor.storage.database import Database
from itp_monitor.storage.failures import KeyRefused, disk_nearly_full
from itp_monitor.storage.models import Device

# A file that cannot be read: either driver's errors, or no key for an encrypted one.
_UNREADABLE: tuple[type[Exception], ...] = (*cipher.Error, KeyRefused)

if TYPE_CHECKING:
    from itp_monitor.services.restore import BackupSummary, Restored

KEEP_EVERY = timedelta(hours=48)
KEEP_DAILY = timedelta(days=30)
KEEP_WEEKLY = timedelta(days=183)
FOLDER = "backups"
SUFFIX = ".sqlite"
STAMP = "%Y%m%dT%H%M%S"
_NAME = re.compile(r"^(?P<stem>.+)-backup-(?P<stamp>\d{8}T\d{6})(?:-(?P<n>\d+))?\.sqlite$")
SECOND_FOLDER_KEY = "backups_second_folder:"  # + this device's uid
OWNER_ONLY_FILE, OWNER_ONLY_FOLDER = 0o600, 0o700


class BackupRefused(Exception):
    """A backup that cannot be taken here, with what to do instead."""


class BackupFailed(Exception):
    """A copy that did not pass its check: removed, never listed."""


class FolderUnusable(Exception):
    """A folder that cannot hold a backup now (a USB disk unplugged, a share offline, a
    full or read-only disk): the database is not at fault, and the message says where."""

    def __init__(self, folder: Path, why: str) -> None:
        self.folder = folder
        self.why = why
        super().__init__(f"cannot write a backup to {folder}: {why}")


_FOLDER_WORDS = {
    errno.ENOENT: "the folder is not there (a USB disk unplugged, a network share not connected?)",
    errno.ENOTDIR: "something in the way is a file, not a folder",
    errno.EEXIST: "something in the way is a file, not a folder",
    errno.EACCES: "this account may not write there",
    errno.EPERM: "this account may not write there",
    errno.EROFS: "the disk is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk is full",
    errno.EIO: "the disk could not be written (unplugged while in use?)",
}


def folder_words(error: OSError) -> str:
    """What an error making or writing a backup folder means, in a ward's words."""
    return _FOLDER_WORDS.get(error.errno or -1, error.strerror or str(error))


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime  # local time, from its name
    size: int  # bytes


@dataclass(frozen=True)
class Missed:
    """A folder that got no backup this time, and why, in one line that names it."""

    folder: Path
    why: str


@dataclass(frozen=True)
class BackupRound:
    """What one round of backups did: the copies taken (`backups/` first), and the folders
    missed, each with why, for the app or the command line to say."""

    taken: tuple[Backup, ...]
    missed: tuple[Missed, ...]

    @property
    def complete(self) -> bool:
        return not self.missed


def to_keep(taken: Iterable[datetime], now: datetime) -> set[datetime]:
    """Of backups taken at `taken`, those the rule keeps at `now`: all of the last 48
    hours; the newest of each day for 30 days, of each week for 6 months, of each month
    after. The newest of a period stays the newest, so what is kept once stays kept until
    its period grows longer."""
    kept: set[datetime] = set()
    periods: set[tuple[object, ...]] = set()
    for at in sorted(taken, reverse=True):
        age = now - at
        if age <= KEEP_EVERY:
            kept.add(at)
            continue
        if age <= KEEP_DAILY:
            period: tuple[object, ...] = ("day", at.date())
        elif age <= KEEP_WEEKLY:
            period = ("week", *at.isocalendar()[:2])
        else:
            period = ("month", at.year, at.month)
        if period not in periods:
            periods.add(period)
            kept.add(at)
    return kept


def listed(folder: Path, stem: str) -> list[Backup]:
    """The backups of the database named `stem` in `folder`, oldest first."""
    found: list[Backup] = []
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match is None or match["stem"] != stem:
            continue
        taken_at = datetime.strptime(match["stamp"], STAMP)
        found.append(Backup(path, taken_at, path.stat().st_size))
    return sorted(found, key=_order)


def _order(backup: Backup) -> tuple[datetime, int, str]:
    """Oldest first; of two taken in one second, the one named `-2` after the first."""
    match = _NAME.match(backup.path.name)
    n = int(match["n"]) if match is not None and match["n"] else 1
    return backup.taken_at, n, str(backup.path)


def listed_in(folders: Iterable[Path], stem: str) -> list[Backup]:
    """The backups of the database named `stem` in all of `folders`, oldest first."""
    found = [b for folder in folders for b in listed(folder, stem)]
    return sorted(found, key=_order)


@contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that only reads the database file at `path` and leaves nothing beside
    it: `immutable` (a backup is never written once named), unless the file has WAL
    content, which `immutable` would skip (a database in use). A missing file raises
    the driver's OperationalError; none is made. Plain or encrypted (storage/cipher.py)."""
    wal = sqlite.wal_path(path)
    mode = "mode=ro" if wal.exists() and wal.stat().st_size > 0 else "mode=ro&immutable=1"
    connection = cipher.connect(path, mode)
    try:
        yield connection
    finally:
        connection.close()


def identity_of(path: Path) -> str | None:
    """The identity of the database at `path` (a backup, or one in use); None if it has
    none (made before schema 0007), there is none, or it cannot be read."""
    try:
        with reading(path) as connection:
            row = connection.execute("SELECT uid FROM database_identity WHERE id = 1").fetchone()
    except _UNREADABLE:
        return None
    return str(row[0]) if row is not None else None


def verify(path: Path, expected: dict[str, int]) -> None:
    """Raises BackupFailed unless the copy at `path` passes SQLite's integrity check and
    holds as many rows in each table as `expected`."""
    connection = cipher.connect(path, "mode=ro")
    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise BackupFailed(f"the copy fails SQLite's integrity check: {'; '.join(result[:3])}")
        for table, rows in expected.items():
            held = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            if held != rows:
                raise BackupFailed(f"the copy holds {held} rows of {table}, not {rows}")
    except cipher.DatabaseError as e:  # too damaged for the check even to run
        raise BackupFailed(f"the copy fails SQLite's integrity check: {e}") from e
    finally:
        connection.close()


def settle(path: Path) -> None:
    """A copy made a plain file of its own: owner-only, and in SQLite's rollback-journal
    mode, so that reading it later (to check it, to list it, to restore it) leaves no
    -wal and -shm files beside it, also on a USB disk or a read-only share."""
    with suppress(OSError):  # a FAT USB disk keeps no owners: nothing to set there
        path.chmod(OWNER_ONLY_FILE)
    connection = cipher.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


def fsync_folder(folder: Path) -> None:
    """Makes a rename in `folder` survive a power cut (where the system allows it)."""
    if os.name == "nt":
        return  # Windows cannot open a folder to flush it; NTFS journals the rename
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class BackupService(ServiceBase):
    def folder(self) -> Path:
        """Where this database's backups go unless told: `backups/` beside it."""
        return self._path().parent / FOLDER

    def refusal(self) -> str | None:
        """Why this database cannot be backed up here (in memory, on a server), or None."""
        try:
            self._path()
        except BackupRefused as e:
            return str(e)
        return None

    def _path(self) -> Path:
        path = self.db.location.path
        if self.db.location.url.startswith("sqlite") and (path is None or path.name == ":memory:"):
            raise BackupRefused("a database in memory has no file to back up")
        if path is None or not self.db.location.url.startswith("sqlite"):
            raise BackupRefused(
                "a PostgreSQL database is backed up by its server: schedule pg_dump there "
                "(README: a ward's shared PostgreSQL server)"
            )
        return path

    # --- the second folder, per device ------------------------------------------------

    def second_folder(self) -> Path | None:
        """This device's second backup folder (a USB disk, a network share), if set."""
        with self.db.reading() as session:
            value = preferences.preference(session, _second_folder_key(session))
        return Path(value) if value else None

    def set_second_folder(self, folder: Path | None) -> Path | None:
        """Sets (or, with None, clears) this device's second backup folder; returns it as
        kept. Refuses (ValueError) a relative path, and `backups/` itself."""
        kept = _checked_folder(folder, self.folder()) if folder is not None else None
        with self.db.writing() as session:
            preferences.remember(
                session,
                _second_folder_key(session),
                str(kept) if kept is not None else None,
                user=self.user,
                at_utc=to_utc(self.clock()),
            )
        return kept

    def folders(self) -> list[Path]:
        """Where a round of backups goes: `backups/`, then the second folder if set."""
        first, second = self.folder(), self.second_folder()
        return [first] if second is None or second == first else [first, second]

    # --- taking them ------------------------------------------------------------------

    def take_all(self) -> BackupRound:
        """A verified backup in each of `folders()`, each folder then pruned by the rule.

        A folder that fails (unplugged, full, read-only) is reported, not raised, so that
        it never stops the other; a database that cannot be backed up at all raises
        BackupRefused. The second folder is never created: a path that is not there is a
        disk that is not plugged in, not a folder to make on this computer's own disk.
        """
        path = self._path()
        taken: list[Backup] = []
        missed: list[Missed] = []
        for n, folder in enumerate(self.folders()):
            try:
                taken.append(self.take(folder, create=n == 0))
            except FolderUnusable as e:
                missed.append(Missed(folder, str(e)))
            except BackupFailed as e:
                missed.append(Missed(folder, f"no backup was taken in {folder}: {e}"))
            except StorageFailure as e:
                missed.append(Missed(folder, f"no backup of {path} was taken: {e}; {e.advice}"))
        return BackupRound(tuple(taken), tuple(missed))

    def take(self, folder: Path | None = None, *, create: bool = True) -> Backup:
        """A verified backup in `folder` (`backups/` beside the database if None; made when
        absent, unless not `create`), then the folder's older backups pruned by the rule.

        Raises FolderUnusable when the folder cannot hold it, BackupFailed when the copy
        fails its check, StorageFailure when the database cannot be read: nothing is
        left in the folder then."""
        source = self._path()
        where = folder if folder is not None else self.folder()
        now = self.clock()
        _ready(where, create)
        target = self._free_name(where, source.stem, now)
        partial = target.with_name(target.name + ".partial")
        try:
            counts = self._copy(partial, where)
            settle(partial)
            verify(partial, counts)
            with partial.open("rb+") as written:
                os.fsync(written.fileno())
            partial.replace(target)
            fsync_folder(where)
        except OSError as e:  # the folder went away or filled up while it was written
            raise FolderUnusable(where, folder_words(e)) from e
        finally:
            for leftover in _with_journals(partial):
                with suppress(OSError):
                    leftover.unlink(missing_ok=True)
        with suppress(OSError):  # a backup taken stays taken, even if pruning fails
            self.prune(where, source.stem, now, identity_of(target))
        return Backup(target, now.replace(microsecond=0), target.stat().st_size)

    def _copy(self, partial: Path, folder: Path) -> dict[str, int]:
        """The online copy; a failure that is the folder's (gone, full, read-only) is said
        as the folder's, not as the database's."""
        try:
            with self.db.failures():
                return sqlite.backup_counted(self.db.engine, partial)
        except StorageFailure as e:
            why = _folder_fault(folder)
            if why is not None:
                raise FolderUnusable(folder, why) from e
            raise

    @staticmethod
    def _free_name(folder: Path, stem: str, now: datetime) -> Path:
        base = f"{stem}-backup-{now:{STAMP}}"
        target = folder / f"{base}{SUFFIX}"
        n = 2
        while target.exists():  # two in one second: both kept
            target = folder / f"{base}-{n}{SUFFIX}"
            n += 1
        return target

    @staticmethod
    def prune(folder: Path, stem: str, now: datetime, identity: str | None = None) -> list[Path]:
        """Removes the backups the rule no longer keeps; returns them. With `identity`,
        only the backups of that database are weighed and removed: computers that share a
        folder (a network share) and name their databases alike keep each other's."""
        found = listed(folder, stem)
        if identity is not None:
            found = [b for b in found if identity_of(b.path) == identity]
        keep = to_keep((b.taken_at for b in found), now)
        gone = [b.path for b in found if b.taken_at not in keep]
        for path in gone:
            path.unlink(missing_ok=True)
        return gone

    def backups(self, folder: Path | None = None) -> list[Backup]:
        return listed(folder if folder is not None else self.folder(), self._path().stem)

    def summaries(self) -> list[BackupSummary]:
        """Every backup of this database in `backups/` and the second folder, newest first,
        each read (read-only) for what it holds: for the Restore dialog."""
        from itp_monitor.services.restore import backups_of  # restore builds on this module

        return backups_of(self.folders(), self._path().stem)

    def restore(self, backup: Path) -> Restored:
        """Puts `backup` in this database's place (services/restore.py), then lets go of
        the connections opened before, which remember the database as it was (its device)."""
        from itp_monitor.services.restore import restore

        done = restore(self._path(), backup, user=self.user, clock=self.clock)
        self.db.engine.dispose()
        return done

    def change_mark(self) -> ChangeMark:
        """A mark of what the database holds now, to ask later whether anything was written
        since (close it when done). BackupRefused where no backup can be taken."""
        self._path()
        return ChangeMark(self.db)

    def all_backups(self) -> list[Backup]:
        """Every backup of this database in `backups/` and the second folder, oldest first
        (a second folder that cannot be reached lists none)."""
        return listed_in(self.folders(), self._path().stem)

    def own_backups(self) -> list[Backup]:
        """Those of `all_backups` that are this database's, not another's with the same
        file name in a shared folder (their identity, storage/chain.py), oldest first."""
        with self.db.engine.connect() as connection:
            own = identity(connection)
        return [b for b in self.all_backups() if own is not None and identity_of(b.path) == own]


class ChangeMark:
    """Whether anything was written to the database since the mark was last set, by this
    program or any other: the app backs up on closing and every 30 minutes only then.

    SQLite's data_version, read on a connection of its own, changes when any other
    connection commits; reading it touches no table. A checkpoint changes it too: at
    worst one backup more, never one less."""

    def __init__(self, db: Database) -> None:
        self._version = sqlite.DataVersion(db.engine)
        self._at = self._version.read()

    def changed(self) -> bool:
        return self._version.read() != self._at

    def set(self) -> None:
        """Marks now: set as a backup starts, so that what is written while it is taken
        counts as changed for the next one."""
        self._at = self._version.read()

    def close(self) -> None:
        self._version.close()


def _second_folder_key(session: Session) -> str:
    uid = session.scalars(select(Device.uid).where(Device.this_device)).one()
    return SECOND_FOLDER_KEY + uid


def _checked_folder(folder: Path, first: Path) -> Path:
    folder = folder.expanduser()
    if not folder.is_absolute():
        raise ValueError(f"{folder} is not a full path: choose the folder, e.g. /media/usb/backups")
    if folder.resolve() == first.resolve():
        raise ValueError(f"{folder} is where backups go already: choose another disk's folder")
    return folder


def _ready(folder: Path, create: bool) -> None:
    """The folder there to write to, made if asked (owner-only), else FolderUnusable."""
    try:
        if create and not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY_FOLDER)
        if not folder.is_dir():
            raise FileNotFoundError(errno.ENOENT, "no such folder", str(folder))
    except OSError as e:
        raise FolderUnusable(folder, folder_words(e)) from e
    why = _folder_fault(folder)
    if why is not None:
        raise FolderUnusable(folder, why)


def _folder_fault(folder: Path) -> str | None:
    """Why `folder` cannot take a backup now, if it plainly cannot."""
    if not folder.is_dir():
        return _FOLDER_WORDS[errno.ENOENT]
    if not os.access(folder, os.W_OK):
        return _FOLDER_WORDS[errno.EACCES]
    if disk_nearly_full(folder):
        return _FOLDER_WORDS[errno.ENOSPC]
    return None


def _with_journals(path: Path) -> Iterator[Path]:
    yield path
    for suffix in ("-journal", "-wal", "-shm"):
        yield path.with_name(path.name + suffix)
