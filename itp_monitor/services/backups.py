"""Backups: verified online copies of the database, kept by a rule (issue 11).

A backup is taken with SQLite's online backup API, never by copying the file
(a copy can catch the database half-written, or miss what is still in its WAL
file). It is written under a temporary name, checked (SQLite's integrity check,
and every table holding as many rows as the database did at that moment), and
only then given its name: a backup that is listed is a good one.

Kept: every backup of the last 48 hours, then the newest of each day for 30 days,
of each week for 6 months, of each month after (Anki keeps its backups the same
way). A PostgreSQL database is backed up by its server (pg_dump): docs/install.md.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage import sqlite

KEEP_EVERY = timedelta(hours=48)
KEEP_DAILY = timedelta(days=30)
KEEP_WEEKLY = timedelta(days=183)
FOLDER = "backups"
SUFFIX = ".sqlite"
STAMP = "%Y%m%dT%H%M%S"
_NAME = re.compile(r"^(?P<stem>.+)-backup-(?P<stamp>\d{8}T\d{6})(?:-\d+)?\.sqlite$")


class BackupRefused(Exception):
    """A backup that cannot be taken here, with what to do instead."""


class BackupFailed(Exception):
    """A copy that did not pass its check: removed, never listed."""


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime  # local time, from its name
    size: int  # bytes


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
    return sorted(found, key=lambda b: (b.taken_at, b.path.name))


def verify(path: Path, expected: dict[str, int]) -> None:
    """Raises BackupFailed unless the copy at `path` passes SQLite's integrity check and
    holds as many rows in each table as `expected`."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise BackupFailed(f"the copy fails SQLite's integrity check: {'; '.join(result[:3])}")
        for table, rows in expected.items():
            held = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            if held != rows:
                raise BackupFailed(f"the copy holds {held} rows of {table}, not {rows}")
    finally:
        connection.close()


class BackupService(ServiceBase):
    def folder(self) -> Path:
        """Where this database's backups go unless told: `backups/` beside it."""
        return self._path().parent / FOLDER

    def _path(self) -> Path:
        path = self.db.location.path
        if self.db.location.url.startswith("sqlite") and (path is None or path.name == ":memory:"):
            raise BackupRefused("a database in memory has no file to back up")
        if path is None or not self.db.location.url.startswith("sqlite"):
            raise BackupRefused(
                "a PostgreSQL database is backed up by its server: schedule pg_dump there "
                "(docs/install.md, 'Backups')"
            )
        return path

    def take(self, folder: Path | None = None) -> Backup:
        """A verified backup in `folder` (created when absent; `backups/` beside the
        database if None), then the folder's older backups pruned by the rule."""
        source = self._path()
        where = folder if folder is not None else self.folder()
        with self.db.failures():
            where.mkdir(parents=True, exist_ok=True)
            now = self.clock()
            target = self._free_name(where, source.stem, now)
            partial = target.with_name(target.name + ".partial")
            try:
                counts = sqlite.backup_counted(self.db.engine, partial)
                verify(partial, counts)
                with partial.open("rb+") as written:
                    os.fsync(written.fileno())
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
            self.prune(where, source.stem, now)
        return Backup(target, now.replace(microsecond=0), target.stat().st_size)

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
    def prune(folder: Path, stem: str, now: datetime) -> list[Path]:
        """Removes the backups the rule no longer keeps; returns them."""
        found = listed(folder, stem)
        keep = to_keep((b.taken_at for b in found), now)
        gone = [b.path for b in found if b.taken_at not in keep]
        for path in gone:
            path.unlink(missing_ok=True)
        return gone

    def backups(self, folder: Path | None = None) -> list[Backup]:
        return listed(folder if folder is not None else self.folder(), self._path().stem)
