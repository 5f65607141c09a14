"""Restore: a backup put back in the database's place, the database as it was kept beside it.

The backup is checked first (SQLite's integrity check, an ITP Monitor schema this
version knows) and copied, with SQLite's backup API, to a file beside the database,
where it is brought to this version's schema and given the audit entry that records
the restore (action `restore_backup`): the restore and its record arrive together.

Then, when the database opens, the copy is written into it with the backup API, in
one transaction: a restore killed at any moment leaves the database as it was or as
restored, never between, and another program that has it open meanwhile waits for the
write lock, then reads the restored records. The database as it was is set aside as
`<name>-set-aside-<time>.sqlite` in that same transaction, once the restore holds the
write lock and before it commits, so that nothing saved in between can be lost.

Only a database that cannot be opened (damaged) has its files moved: the file is
linked (else renamed) to its set-aside name, its -wal and -shm follow it, and the copy
is renamed into its place. Renaming a file over a database that opens would be wrong:
another program holding it open would go on writing into the file set aside, and a
leftover -wal file would be replayed into the restored one. Nothing is ever deleted.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from itp_monitor.domain.vocab import AuditAction
from itp_monitor.services import audit
from itp_monitor.services.backups import (
    STAMP,
    fsync_folder,
    identity_of,
    listed,
    reading,
    settle,
)
from itp_monitor.services.context import Clock, to_utc
from itp_monitor.storage import cipher, sqlite
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.failures import KeyRefused
from itp_monitor.storage.migrate import HEAD_REVISION, script_directory, stored_revisions, upgrade
from itp_monitor.storage.models import ClinicalRow

# A backup that cannot be read: damaged, not a database, or no key for an encrypted one.
_UNREADABLE: tuple[type[Exception], ...] = (*cipher.DatabaseError, KeyRefused)

ENTITY = "database"
TEMP_SUFFIX = ".restoring"
SET_ASIDE = "-set-aside-"
# Pages of the restored database copied per step: after the first step the restore holds
# the write lock, and the database as it was is set aside before the next.
PAGES_PER_STEP = 1
Step = Callable[[str], object]


def _quiet(_step: str) -> None:
    pass


class RestoreRefused(Exception):
    """A backup that is not restored, with why; nothing was changed."""


@dataclass(frozen=True)
class BackupSummary:
    """A backup as the Restore dialog lists it: read from the file, read-only."""

    path: Path
    taken_at: datetime  # from its name, else when the file was last written
    size: int  # bytes
    women: int | None  # None when the file cannot be read
    records: int | None  # the records in force (corrected and voided versions not counted)
    device: str | None  # the name of the device whose database it is
    problem: str | None = None  # why it cannot be read, if it cannot


@dataclass(frozen=True)
class Restored:
    backup: BackupSummary
    set_aside: Path | None  # None when there was no database to set aside
    moved: bool  # the database could not be opened: its files were moved aside
    upgraded_from: str | None  # the backup's schema, when it was older than this version's


class NotOurs(sqlite3.DatabaseError):
    """A database file that holds no ITP Monitor schema."""


def summary(path: Path) -> BackupSummary:
    """What a backup holds, read without changing it (no -wal or -shm left beside it);
    a file that cannot be read says why in `problem`."""
    stat = path.stat()
    taken_at = _taken_at(path, stat.st_mtime)
    try:
        with reading(path) as connection:
            women, records, device = _contents(connection)
    except _UNREADABLE as e:
        return BackupSummary(path, taken_at, stat.st_size, None, None, None, _unreadable(e))
    return BackupSummary(path, taken_at, stat.st_size, women, records, device)


def check(path: Path) -> tuple[BackupSummary, str]:
    """The backup's summary and schema revision, once it passes SQLite's integrity check
    and holds an ITP Monitor schema this version knows; else RestoreRefused, one line."""
    if not path.is_file():
        raise RestoreRefused(f"there is no backup at {path}")
    found = summary(path)
    if found.problem is not None:
        raise RestoreRefused(f"the backup {path} cannot be used: {found.problem}")
    try:
        with reading(path) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise RestoreRefused(
                    f"the backup {path} is damaged: it fails SQLite's integrity check "
                    f"({'; '.join(problems[:2])})"
                )
            revision = _revision(path, connection)
    except cipher.DatabaseError as e:
        raise RestoreRefused(
            f"the backup {path} is damaged: it fails SQLite's integrity check ({e})"
        ) from e
    return found, revision


def restore(
    path: Path,
    backup: Path,
    *,
    user: str,
    clock: Clock,
    step: Step = _quiet,
    other_database: bool = False,
) -> Restored:
    """Puts `backup` in the place of the database at `path` (module docstring); returns
    what was done. RestoreRefused, with nothing changed, for a backup that cannot be
    used, and (OtherDatabase) for one of another database unless `other_database`;
    OSError or StorageFailure for a disk that fails meanwhile (nothing changed either:
    the database changes only in the last step)."""
    path, backup = path.absolute(), backup.absolute()
    if backup.exists() and path.exists() and backup.samefile(path):
        raise RestoreRefused(f"{backup} is the database itself, not a backup of it")
    step("Checking the backup")
    found, revision = check(backup)
    if not other_database:
        _same_database(path, backup, found)
    now = clock()
    temp = path.with_name(path.name + TEMP_SUFFIX)
    _remove_with_journals(temp)  # left by a restore that was stopped
    try:
        step("Copying the backup")
        _copy(backup, temp)
        sound = _opens(path)
        if sound and cipher.encrypted(temp) != cipher.encrypted(path):
            raise RestoreRefused(
                f"the backup {backup.name} is encrypted and this database is not: encrypt "
                "this database first (itp-monitor encrypt), then restore"
            )
        if sound:
            _match_page_size(temp, path)
        step("Bringing it to this version")
        set_aside = _set_aside_name(path, now) if path.exists() else None
        _prepare(temp, revision, user, now, backup.name, set_aside)
        step("Putting the backup in place")
        if set_aside is None:
            temp.replace(path)
            fsync_folder(path.parent)
        elif sound:
            _write_into(path, temp, set_aside)
        else:
            _move_aside(path, set_aside)
            temp.replace(path)
            fsync_folder(path.parent)
    finally:
        _remove_with_journals(temp)
    upgraded_from = revision if revision != HEAD_REVISION else None
    return Restored(found, set_aside, not sound and set_aside is not None, upgraded_from)


class OtherDatabase(RestoreRefused):
    """A backup of another database than this one (another computer's, say): restoring it
    would make this computer a second copy of that one, same identity and device."""


def _same_database(path: Path, backup: Path, found: BackupSummary) -> None:
    """Refuses a backup whose database identity is not this database's, when both have
    one (a backup from before schema 0007 has none, and cannot be told apart)."""
    here, there = identity_of(path), identity_of(backup)
    if here is None or there is None or here == there:
        return
    whose = f" (device {found.device})" if found.device else ""
    raise OtherDatabase(
        f"{backup.name} is a backup of another database{whose}, not of this one: restoring "
        "it would make this computer a copy of that one; if that is what you want, restore "
        "it with `itp-monitor restore BACKUP --other-database`"
    )


def backups_of(folders: list[Path], stem: str) -> list[BackupSummary]:
    """Each backup of the database named `stem` in `folders`, newest first, as read."""
    found = [summary(b.path) for folder in folders for b in listed(folder, stem)]
    return sorted(found, key=lambda s: (s.taken_at, s.path.name), reverse=True)


# --- reading a backup -----------------------------------------------------------------


def _tables(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows}


def _columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}


def _contents(connection: sqlite3.Connection) -> tuple[int, int, str | None]:
    """Women (one per woman: a registration linked into another is not counted), records
    in force, and the device's name; older schemas lack some of the columns."""
    tables = _tables(connection)
    if "patients" not in tables:
        raise NotOurs("file is not an ITP Monitor database")
    linked = "linked_into" in _columns(connection, "patients")
    women = int(
        connection.execute(
            "SELECT count(*) FROM patients" + (" WHERE linked_into IS NULL" if linked else "")
        ).fetchone()[0]
    )
    records = 0
    for table in (model.__tablename__ for model in ClinicalRow.__subclasses__()):
        if table in tables:
            records += connection.execute(
                f"SELECT count(*) FROM \"{table}\" WHERE status = 'current'"
            ).fetchone()[0]
    device = None
    if "devices" in tables:
        row = connection.execute("SELECT name FROM devices WHERE this_device").fetchone()
        device = row[0] if row else None
    return women, records, device


def _revision(path: Path, connection: sqlite3.Connection) -> str:
    if "alembic_version" not in _tables(connection):
        raise RestoreRefused(f"{path} is not an ITP Monitor backup (it has no schema version)")
    revisions = [str(r) for (r,) in connection.execute("SELECT version_num FROM alembic_version")]
    known = {rev.revision for rev in script_directory().walk_revisions()}
    if len(revisions) != 1 or revisions[0] not in known:
        raise RestoreRefused(
            f"the backup {path} was written by a newer version of ITP Monitor (schema "
            f"{', '.join(revisions) or 'none'}; this version knows up to {HEAD_REVISION}): "
            "restore it with that version"
        )
    return revisions[0]


def _unreadable(error: Exception) -> str:
    if isinstance(error, KeyRefused):
        return error.failure.words
    text = str(error)
    if "not a database" in text:
        return "it is not a database file"
    if "malformed" in text:
        return "the file is damaged"
    return text


def _taken_at(path: Path, mtime: float) -> datetime:
    stamp = path.stem.rpartition("-backup-")[2].split("-")[0]
    try:
        return datetime.strptime(stamp, STAMP)
    except ValueError:
        return datetime.fromtimestamp(mtime).replace(microsecond=0)  # local, as in the names


# --- the steps --------------------------------------------------------------------------


def _copy(backup: Path, temp: Path) -> None:
    """The backup copied beside the database with the backup API, as a plain file."""
    cipher.copy_file(backup, temp)
    settle(temp)


def _opens(path: Path) -> bool:
    """Whether the database at `path` opens and passes SQLite's quick check: then it is
    restored into, else (damaged) its files are moved aside. Asked read-only: a
    connection that may write, failing to read a damaged file, deletes its -wal file
    when it closes, and with it what the damaged database had not yet checkpointed."""
    if not path.is_file():
        return False
    timeout = sqlite.BUSY_TIMEOUT_MS / 1000
    try:
        with closing(cipher.connect(path, "mode=ro", timeout=timeout)) as c:
            return c.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    except _UNREADABLE:  # damaged; or encrypted, and the key that opened the backup fails
        return False


def _page_size(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA page_size").fetchone()[0])


def _match_page_size(temp: Path, path: Path) -> None:
    """SQLite's backup API cannot write pages of another size into a WAL database: a
    backup from a database made with another page size is rebuilt with this one's."""
    with closing(cipher.connect(path)) as live:
        wanted = _page_size(live)
    with closing(cipher.connect(temp, isolation_level=None)) as copy:
        if _page_size(copy) != wanted:
            copy.execute(f"PRAGMA page_size={wanted}")
            copy.execute("VACUUM")


def _set_aside_name(path: Path, now: datetime) -> Path:
    base = f"{path.stem}{SET_ASIDE}{now:{STAMP}}"
    name = path.with_name(f"{base}{path.suffix}")
    n = 2
    while any(p.exists() for p in _with_journals(name)):
        name = path.with_name(f"{base}-{n}{path.suffix}")
        n += 1
    return name


def _prepare(
    temp: Path, revision: str, user: str, now: datetime, backup: str, set_aside: Path | None
) -> None:
    """The copy brought to this version's schema, the restore recorded in its audit trail,
    checked and flushed to the disk: ready to be put in place as it is."""
    db = Database(resolve_location(str(temp)))
    try:
        if revision != HEAD_REVISION:
            upgrade(db)
        with db.writing() as session:
            audit.write(
                session,
                at_utc=to_utc(now),
                user=user,
                action=AuditAction.RESTORE_BACKUP,
                entity=ENTITY,
                record_id=None,
                patient_id=None,
                after={"backup": backup, "set_aside": set_aside.name if set_aside else None},
            )
        if stored_revisions(db) != (HEAD_REVISION,):
            raise RestoreRefused(f"the backup could not be brought to schema {HEAD_REVISION}")
    finally:
        db.dispose()  # the last connection: its WAL is written into the file
    with closing(cipher.connect(temp)) as copy:
        if copy.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise RestoreRefused("the copy of the backup fails SQLite's integrity check")
        if copy.execute("PRAGMA foreign_key_check").fetchall():
            raise RestoreRefused("the copy of the backup has records that point nowhere")
    _fsync(temp)


def _write_into(path: Path, temp: Path, set_aside: Path) -> None:
    """The copy written into the live database with the backup API, in one transaction;
    once the first page is written the restore holds the write lock, and the database as
    it was is set aside (a reader's snapshot) before anything is committed."""
    with (
        closing(cipher.connect(temp)) as source,
        closing(_connect(path)) as live,
        closing(_connect(path)) as before,
    ):
        if source.execute("PRAGMA page_count").fetchone()[0] <= PAGES_PER_STEP:
            raise RestoreRefused("the backup holds no records: it is too small to be one")
        aside: list[Path] = []

        def progress(_status: int, _remaining: int, _total: int) -> None:
            if not aside:
                _copy_aside(before, set_aside)
                aside.append(set_aside)

        source.backup(live, pages=PAGES_PER_STEP, progress=progress)
        with suppress(*cipher.Error):  # the WAL into the file now; else at the last close
            live.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _connect(path: Path) -> sqlite3.Connection:
    connection = cipher.connect(path, timeout=sqlite.BUSY_TIMEOUT_MS / 1000)
    connection.execute("PRAGMA synchronous=FULL")  # the restore survives a power cut
    return connection


def _copy_aside(source: sqlite3.Connection, set_aside: Path) -> None:
    """The database as it is, copied under a temporary name, flushed, then named."""
    partial = set_aside.with_name(set_aside.name + ".partial")
    with closing(cipher.connect(partial)) as target:  # encrypted as the database is
        source.backup(target)
    settle(partial)
    _fsync(partial)
    partial.replace(set_aside)
    fsync_folder(set_aside.parent)


def _move_aside(path: Path, set_aside: Path) -> None:
    """A database that cannot be opened, moved (never deleted) to its set-aside name with
    its -wal and -shm, so that nothing of it is replayed into the restored one. Linked
    first where the disk allows, so that a name always holds it."""
    try:
        os.link(path, set_aside)
    except OSError:
        path.replace(set_aside)
    for moved, to in zip(_with_journals(path), _with_journals(set_aside), strict=True):
        if moved != path and moved.exists():
            moved.replace(to)
    fsync_folder(path.parent)


def _fsync(path: Path) -> None:
    with path.open("rb+") as file:
        os.fsync(file.fileno())


def _with_journals(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))]


def _remove_with_journals(path: Path) -> None:
    for leftover in _with_journals(path):
        with suppress(OSError):
            leftover.unlink(missing_ok=True)
