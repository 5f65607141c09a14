"""A restore killed with SIGKILL at any moment leaves a usable database at its place: the
database as it was, or the backup restored with the entry that records it, never between.
The restore runs in a process of its own, killed at random moments over the whole of it
and around the step that puts the backup in place; each time the file is opened and
checked as the app would, then restored to the end."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from forked import Forking
from helpers import NOW, USER
from services.test_restore import change_everything, opened, rows

from itp_monitor.services.container import Services
from itp_monitor.services.restore import restore

CHILD = Path(__file__).parents[1] / "restore_child.py"
RANDOM_KILLS = 8  # spread over the whole restore, and a little past its end
PLACE_KILLS = 4  # once it starts to put the backup in place
PLACING = "Putting the backup in place"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(180),
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL on this system"),
]


@dataclass(frozen=True)
class Pair:
    database: Path
    backup: Path

    def copied(self, folder: Path) -> Pair:
        folder.mkdir()
        (folder / "backups").mkdir()
        return Pair(
            Path(shutil.copy(self.database, folder / self.database.name)),
            Path(shutil.copy(self.backup, folder / "backups" / self.backup.name)),
        )


def state(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What the database holds, less the entry that records a restore (and its link): so
    that a restored database compares equal to its backup."""
    held = rows(path)
    if held["audit_entries"] and "restore_backup" in held["audit_entries"][-1]:
        held["audit_entries"] = held["audit_entries"][:-1]
        held["audit_chain"] = held["audit_chain"][:-1]
    return held


def usable(path: Path) -> None:
    """Opens as the app opens it, and passes SQLite's checks and the app's own."""
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)], path
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == [], path
    services = opened(path)
    try:
        report = services.check.full()
        assert report.ok, report.problems
    finally:
        services.db.dispose()


class Child(Forking):
    """tests/restore_child.py, which forks a process for each restore, killed or waited for."""

    def __init__(self) -> None:
        super().__init__(CHILD, USER, NOW.isoformat())

    def restore(self, pair: Pair) -> float:
        """Starts the restore; returns when, by the monotonic clock."""
        self._say(f"{pair.database} {pair.backup}")
        return self.wait_for("restoring")

    def wait_for(self, step: str) -> float:
        while line := self.stdout.readline().rstrip("\n"):
            assert line != "failed", "the restore failed (its traceback is on stderr)"
            if line == step:
                return time.monotonic()
        raise AssertionError(f"the child ended before {step!r}")


def where_it_stopped(pair: Pair, before: Any, restored: Any, *, first: bool = True) -> str:
    """As it was, or restored (with its entry, and, for a `first` restore, the database
    as it was set aside whole)."""
    usable(pair.database)
    now = state(pair.database)
    assert now in (before, restored), "the database is neither as it was nor restored"
    if now == before:
        return "as it was"
    last = rows(pair.database)["audit_entries"][-1]
    assert "restore_backup" in last, "restored without the entry that records it"
    set_aside = list(pair.database.parent.glob("*-set-aside-*.sqlite"))
    assert len(set_aside) == 1
    if first:
        assert state(set_aside[0]) == before  # kept whole
    return "restored"


def test_a_restore_killed_at_any_moment_leaves_a_usable_database(
    services: Services, db_path: Path, tmp_path: Path
) -> None:
    services.demo.load()
    backup = services.backups.take().path
    change_everything(services, tmp_path)
    services.db.dispose()
    pair = Pair(db_path, backup)
    before, restored = state(db_path), state(backup)
    assert before != restored
    child = Child()
    try:
        lengths = []
        for n in range(3):
            whole = pair.copied(tmp_path / f"whole-{n}")
            started = child.restore(whole)
            placing = child.wait_for(PLACING) - started
            lengths.append((child.wait_for("done") - started, placing))
            assert child.end("wait") == 0
            assert where_it_stopped(whole, before, restored) == "restored"
        took, placing = sorted(lengths)[1]
        print(f"\nthe restore alone: {took * 1000:.0f} ms, in place from {placing * 1000:.0f} ms")

        kills = [
            ("restoring", (n + random.random()) / RANDOM_KILLS * took * 1.2)
            for n in range(RANDOM_KILLS)
        ]
        kills += [(PLACING, random.random() * (took - placing)) for _ in range(PLACE_KILLS)]
        tally = {"as it was": 0, "restored": 0}
        for n, (after, delay) in enumerate(kills):
            run = pair.copied(tmp_path / f"kill-{n}")
            started = child.restore(run)
            if after == PLACING:
                started = child.wait_for(PLACING)
            time.sleep(max(0.0, started + delay - time.monotonic()))
            assert child.end("kill") in (0, -signal.SIGKILL)
            tally[where_it_stopped(run, before, restored)] += 1
            # whatever a killed restore left behind, the next one goes through
            for set_aside in run.database.parent.glob("*-set-aside-*"):
                set_aside.rename(tmp_path / f"kept-{n}-{set_aside.name}")
            restore(run.database, run.backup, user=USER, clock=lambda: NOW)
            assert where_it_stopped(run, before, restored, first=False) == "restored"
    finally:
        child.close()
    print(f"{len(kills)} kills: " + ", ".join(f"{v} {k}" for k, v in tally.items()))
    assert tally["as it was"] >= 1
