"""A sync killed with SIGKILL at any moment leaves each side as it was or fully synced, and
both sound: the laptop syncs with the ward in a process of its own, killed at random moments
over the sync and around its commits, and each time both files are checked as a ward's
staff would check them, then synced to the end."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from forked import Forking
from helpers import NOW
from holdings import held
from services.test_sync import _diverge

from itp_monitor.domain.records import PatientDetails
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.lab_import import LabStatus
from itp_monitor.storage.database import Database, resolve_location

CHILD = Path(__file__).parents[1] / "sync_child.py"
LAPTOP_USER = "nurse.laptop"
RANDOM_KILLS = 20  # spread over the whole sync, and a little past its end
COMMIT_KILLS = 6  # from the moment it starts to save: around the two commits
WOMEN, COUNTS = 3, 120  # added on each side: a sync of a few hundred ms

pytestmark = [
    pytest.mark.slow,
    # 26 kills, each checked and synced to the end: about 25 s alone, more on a busy machine
    pytest.mark.timeout(120),
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL on this system"),
]


@dataclass(frozen=True)
class Pair:
    laptop: Path
    ward: Path

    def copied(self, folder: Path) -> Pair:
        folder.mkdir()
        return Pair(*(Path(shutil.copy(p, folder / p.name)) for p in (self.laptop, self.ward)))


@contextmanager
def opened(path: Path) -> Iterator[Services]:
    db = Database(resolve_location(str(path)))
    try:
        yield build_services(db, LAPTOP_USER, lambda: NOW)
    finally:
        db.dispose()


def holds(path: Path) -> dict[str, set[tuple[Any, ...]]]:
    with opened(path) as services:
        return held(services.db)


def sound(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)], path
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == [], path


def add_women(services: Services, first: int, folder: Path) -> None:
    """WOMEN new women, and COUNTS counts for each from a laboratory file."""
    edd = (NOW + timedelta(days=60)).date()
    mrns = [f"K{first + n:04d}" for n in range(WOMEN)]
    for mrn in mrns:
        services.patients.add(PatientDetails(mrn, f"Kill {mrn}", edd, weight_kg=70.0))
    taken = [NOW - timedelta(hours=7 * k + 1) for k in range(COUNTS)]
    lab = folder / f"labs-{first}.csv"
    lab.write_text(
        "MRN,Collected at,Platelets,Unit,Accession\n"
        + "".join(
            f"{mrn},{at:%Y-%m-%d %H:%M},{100 + k % 50},G/L,{mrn}-{k}\n"
            for mrn in mrns
            for k, at in enumerate(taken)
        )
    )
    assert services.labs.save(lab).summary[LabStatus.NEW] == WOMEN * COUNTS


def diverged_pair(ward: Services, folder: Path) -> Pair:
    """The demonstration ward and a laptop made from it by a first sync, then apart: each
    adds women and records, corrects and voids, and both change the same things."""
    ward.demo.load()
    laptop_path = folder / "laptop.sqlite"
    ward.sync.sync(str(laptop_path))
    with opened(laptop_path) as laptop:
        _diverge(ward, laptop)
        add_women(ward, 1000, folder)
        add_women(laptop, 2000, folder)
    ward.db.dispose()
    assert ward.db.location.path is not None and not list(folder.glob("*-wal"))  # all in the files
    return Pair(laptop_path, ward.db.location.path)


class Child(Forking):
    """tests/sync_child.py, which forks a process for each sync, killed or waited for."""

    def __init__(self) -> None:
        super().__init__(CHILD, LAPTOP_USER, NOW.isoformat())

    def sync(self, pair: Pair) -> float:
        """Starts syncing the laptop with the ward; returns when, by the monotonic clock."""
        self._say(f"{pair.laptop} {pair.ward}")
        self.wait_for("syncing")
        return time.monotonic()

    def wait_for(self, step: str) -> float:
        while line := self.stdout.readline().rstrip("\n"):
            assert line != "failed", "the sync failed (its traceback is on stderr)"
            if line == step:
                return time.monotonic()
        raise AssertionError(f"the child ended before {step!r}")


def where_it_stopped(pair: Pair, before: tuple[Any, Any], synced: Any) -> str:
    """Each side sound, and as before or synced: which of the two commits had happened."""
    states = []
    for path, was in zip((pair.laptop, pair.ward), before, strict=True):
        sound(path)
        now = holds(path)
        assert now in (was, synced), f"{path.name} is neither as before nor synced"
        states.append("synced" if now == synced else "as before")
    laptop, ward = states
    # the ward (the other side) commits first, then the laptop
    assert (laptop, ward) != ("synced", "as before"), "the laptop committed before the ward"
    if laptop != ward:
        return "between the commits"
    return "before the first commit" if ward == "as before" else "after both"


def synced_to_the_end(pair: Pair, synced: Any) -> None:
    with opened(pair.laptop) as laptop:
        laptop.sync.sync(str(pair.ward))
    for path in (pair.laptop, pair.ward):
        sound(path)
        assert holds(path) == synced, f"{path.name} differs after the sync that completed it"


def test_a_sync_killed_at_any_moment_leaves_each_side_as_before_or_synced(
    services: Services, tmp_path: Path
) -> None:
    pair = diverged_pair(services, tmp_path)
    before = (holds(pair.laptop), holds(pair.ward))
    child = Child()
    try:
        # the sync left alone, three times: what both hold after it, how long it takes
        # (the median), and when it starts to save
        lengths = []
        for n in range(3):
            whole = pair.copied(tmp_path / f"whole-{n}")
            started = child.sync(whole)
            saving = child.wait_for("Saving") - started
            lengths.append((child.wait_for("done") - started, saving))
            assert child.end("wait") == 0
        took, saving = sorted(lengths)[1]
        synced = holds(whole.laptop)
        assert holds(whole.ward) == synced and synced not in before
        print(f"\nthe sync alone: {took * 1000:.0f} ms, saving from {saving * 1000:.0f} ms")

        # each random kill at a random moment of its own slice of the sync and a little
        # past it, so that together they cover all of it; the others once it saves
        kills = [
            ("syncing", (n + random.random()) / RANDOM_KILLS * took * 1.2)
            for n in range(RANDOM_KILLS)
        ]
        kills += [("Saving", random.random() * (took - saving)) for _ in range(COMMIT_KILLS)]
        tally = dict.fromkeys(("before the first commit", "between the commits", "after both"), 0)
        for n, (after, delay) in enumerate(kills):
            run = pair.copied(tmp_path / f"kill-{n}")
            started = child.sync(run)
            if after == "Saving":
                started = child.wait_for("Saving")
            time.sleep(max(0.0, started + delay - time.monotonic()))
            assert child.end("kill") in (0, -signal.SIGKILL)
            tally[where_it_stopped(run, before, synced)] += 1
            synced_to_the_end(run, synced)
    finally:
        child.close()
    print(f"{len(kills)} kills: " + ", ".join(f"{v} {k}" for k, v in tally.items()))
    assert tally["before the first commit"] + tally["between the commits"] >= RANDOM_KILLS // 4
