"""A save the screen acknowledged survives the program being killed a moment later.

What a ward's staff would check after a laptop's battery died, or the program was killed, in
the middle of entering counts: that the file still opens and is sound, that every count the
screen said was saved is there with its value, every correction and void with its new
status, each with its line in the History (the audit trail), and that nothing is there
half-written: no count without its audit entry, no entry without its count. They act on
"Saved": the next dose is decided on the counts the chart shows, and a record the History
cannot account for is one nobody can vouch for. A writer saves counts one at a time through
the record service the app uses, correcting and voiding some, and acknowledges each once the
service has returned; it is killed with SIGKILL at a random moment, most often inside a
save, the file is checked, and the next writer carries on with the same file, as the laptop
would the next morning (issue 11).
"""

from __future__ import annotations

import random
import re
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from forked import Forking
from helpers import NOW
from sqlalchemy import select

from itp_monitor.domain.vocab import AuditAction, RecordStatus
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.results import PatientInfo
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate
from itp_monitor.storage.models import AuditEntry, PlateletCountRow

CHILD = Path(__file__).parents[1] / "crash_writer.py"
WRITER_USER = "nurse.crash"
KILLS = 24
# how long each writer saves after its first acknowledgement before it is killed: spread
# from SOONEST to LATEST, more of them soon, so that the whole run stays within seconds
SOONEST, LATEST = 0.05, 1.5
COUNT = "platelet_count"  # the audit trail's name for a platelet count
LINE = re.compile(  # what tests/crash_writer.py prints
    r"> add [\dT:.-]+ [\d.]+|> correct \d+ [\d.]+|> void \d+|< (add|correct|void) \d+"
    r"|begun|committing|finished|ended -?\d+"
)

pytestmark = [
    pytest.mark.slow,
    # 24 writers, each saving up to 1.5 s and checked: about 15 s alone, more when busy
    pytest.mark.timeout(120),
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL on this system"),
]


@dataclass(frozen=True)
class Version:
    """One version of a count, as its row must hold it."""

    collected_at: datetime
    value: float
    status: str
    supersedes: int | None


Versions = dict[int, Version]  # by row id


def applied(versions: Versions, intent: list[str], row_id: int) -> Versions:
    """The counts after the writer's save `intent` ("add AT VALUE", "correct ID VALUE",
    "void ID"), whose row is `row_id` (the new version's, for an addition or correction)."""
    after = dict(versions)
    action, *args = intent
    if action == "add":
        assert row_id not in after, f"a new count was given the id {row_id} of another"
        at, value = datetime.fromisoformat(args[0]), float(args[1])
        after[row_id] = Version(at, value, RecordStatus.CURRENT.value, None)
    elif action == "correct":
        old = int(args[0])
        assert row_id not in after, f"a correction was given the id {row_id} of another"
        after[old] = replace(after[old], status=RecordStatus.CORRECTED.value)
        after[row_id] = Version(
            after[old].collected_at, float(args[1]), RecordStatus.CURRENT.value, old
        )
    else:
        assert action == "void" and int(args[0]) == row_id, intent
        after[row_id] = replace(after[row_id], status=RecordStatus.VOIDED.value)
    return after


class Writers(Forking):
    """tests/crash_writer.py, which forks a writer for each round, to be killed."""

    def __init__(self) -> None:
        super().__init__(CHILD, WRITER_USER, NOW.isoformat())
        self.lines: list[str] = []  # what the writer of this round printed

    def _read(self) -> str:
        line = self.stdout.readline()
        if not line:
            raise AssertionError("the writers' process ended")
        line = line.rstrip("\n")
        assert line != "failed", "the writer failed (its traceback is on stderr)"
        # a line run into another (a writer killed in the middle of printing it) fails
        # here at once, rather than leave the test waiting for "ended" until its timeout
        assert LINE.fullmatch(line), f"not a line the writers print: {line!r}"
        return line

    def start(self, path: Path, patient_id: int, run: int, seed: int) -> float:
        """Starts a writer; returns, by the monotonic clock, when it acknowledged a save."""
        self.lines = []
        self._say(f"{path} {patient_id} {run} {seed}")
        while not (line := self._read()).startswith("< "):
            self.lines.append(line)
        self.lines.append(line)
        return time.monotonic()

    def kill(self) -> list[str]:
        """Kills the writer at once; returns every line it printed."""
        self._say("kill")
        while not (line := self._read()).startswith("ended "):
            self.lines.append(line)
        assert int(line.split()[1]) == -signal.SIGKILL, line
        return self.lines


BETWEEN = "between saves"
BEFORE = "in a save, before its transaction"
INSIDE = "inside its transaction"
COMMIT_LOST = "at its commit, not saved"
COMMIT_KEPT = "at its commit, saved"


def acknowledged(versions: Versions, lines: list[str]) -> tuple[Versions, list[str], str]:
    """The counts once every save the writer acknowledged is applied; the save it had
    begun and not acknowledged when it was killed, if any; and where in it the kill
    landed: BETWEEN saves, BEFORE its write transaction, INSIDE it, or at its COMMIT."""
    begun: list[str] = []
    where = BETWEEN
    for line in lines:
        if line.startswith("> "):
            begun, where = line[2:].split(), BEFORE
        elif line == "begun":
            where = INSIDE
        elif line == "committing":
            where = COMMIT_LOST
        elif line.startswith("< "):
            action, row_id = line[2:].split()
            assert begun and begun[0] == action, (begun, line)
            versions = applied(versions, begun, int(row_id))
            begun, where = [], BETWEEN
    return versions, begun, where


@contextmanager
def opened(path: Path) -> Iterator[Services]:
    """The database as the app opens it: connected, migrated, the services built."""
    db = Database(resolve_location(str(path)))
    try:
        migrate(db)
        yield build_services(db, "nurse.checking", lambda: NOW)
    finally:
        db.dispose()


def sound(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


def held(services: Services, patient_id: int) -> Versions:
    c = PlateletCountRow
    with services.db.reading() as session:
        rows = session.execute(
            select(c.id, c.patient_id, c.collected_at, c.value, c.status, c.supersedes_id)
        ).all()
    assert {r.patient_id for r in rows} <= {patient_id}
    return {r.id: Version(r.collected_at, r.value, r.status, r.supersedes_id) for r in rows}


def differences(expected: Versions, found: Versions) -> str:
    missing = sorted(expected.keys() - found.keys())
    extra = sorted(found.keys() - expected.keys())
    changed = {
        i: (expected[i], found[i])
        for i in expected.keys() & found.keys()
        if expected[i] != found[i]
    }
    return f"missing {missing}, not acknowledged {extra}, changed {changed}"


def audited(services: Services, patient_id: int) -> None:
    """Each version of a count has its one audit entry, and each entry its version: the
    creation of a count, the correction that made a new version, the void of a version."""
    c, a = PlateletCountRow, AuditEntry
    with services.db.reading() as session:
        rows = {
            r.id: r
            for r in session.execute(select(c.id, c.uid, c.value, c.status, c.supersedes_id))
        }
        entries = session.execute(
            select(
                a.action, a.record_id, a.record_uid, a.original_id, a.patient_id, a.before, a.after
            ).where(a.entity == COUNT)
        ).all()
    wanted: Counter[tuple[Any, ...]] = Counter()
    for r in rows.values():
        if r.supersedes_id is None:
            wanted[(AuditAction.CREATE.value, r.id, r.uid, None, None, r.value)] += 1
        else:
            was = rows[r.supersedes_id].value
            wanted[(AuditAction.CORRECT.value, r.id, r.uid, r.supersedes_id, was, r.value)] += 1
        if r.status == RecordStatus.VOIDED.value:
            wanted[(AuditAction.VOID.value, r.id, r.uid, r.id, r.value, None)] += 1
    found: Counter[tuple[Any, ...]] = Counter()
    for e in entries:
        assert e.patient_id == patient_id, e
        before = None if e.before is None else e.before["value"]
        after = None if e.after is None else e.after["value"]
        found[(e.action, e.record_id, e.record_uid, e.original_id, before, after)] += 1
    assert found == wanted, (
        f"without their audit entry: {list((wanted - found).elements())}; "
        f"audit entries without their count: {list((found - wanted).elements())}"
    )


def as_the_ward_sees_it(services: Services, patient_id: int, versions: Versions) -> None:
    """Her current counts on her chart, and her History, are what was saved."""
    shown = {
        s.id: (s.record.collected_at, s.record.value)
        for s in services.patients.records(patient_id).counts
    }
    current = RecordStatus.CURRENT.value
    assert shown == {
        i: (v.collected_at, v.value) for i, v in versions.items() if v.status == current
    }
    changes = sum(1 + (v.status == RecordStatus.VOIDED.value) for v in versions.values())
    assert sum(e.entity == COUNT for e in services.patients.history(patient_id)) == changes


def test_every_acknowledged_save_survives_a_writer_killed_at_any_moment(
    db_path: Path, patient: PatientInfo, services: Services
) -> None:
    services.db.dispose()  # only the writer has the file open when it is killed
    rng = random.Random(11)
    versions: Versions = {}
    tally = dict.fromkeys((BETWEEN, BEFORE, INSIDE, COMMIT_LOST, COMMIT_KEPT), 0)
    acknowledgements = 0
    writers = Writers()
    started = time.monotonic()
    try:
        for run in range(KILLS):
            # each kill in a slice of its own of the spread, more of them soon
            share = ((run + rng.random()) / KILLS) ** 3
            first_ack = writers.start(db_path, patient.id, run, rng.randrange(2**32))
            time.sleep(
                max(0.0, first_ack + SOONEST + share * (LATEST - SOONEST) - time.monotonic())
            )
            lines = writers.kill()
            acknowledgements += sum(line.startswith("< ") for line in lines)
            versions, begun, where = acknowledged(versions, lines)

            sound(db_path)
            with opened(db_path) as checking:
                found = held(checking, patient.id)
                if where == COMMIT_LOST and begun and found != versions:
                    # committed, and killed before it said so: then it must be all there
                    where = COMMIT_KEPT
                    if begun[0] == "void":
                        row_id = int(begun[1])
                    else:
                        new = sorted(found.keys() - versions.keys())
                        assert len(new) == 1, f"kill {run + 1}: {differences(versions, found)}"
                        row_id = new[0]
                    versions = applied(versions, begun, row_id)
                tally[where] += 1
                assert found == versions, f"kill {run + 1}, {where}: {differences(versions, found)}"
                audited(checking, patient.id)
                as_the_ward_sees_it(checking, patient.id, versions)
    finally:
        writers.close()
    statuses = Counter(v.status for v in versions.values())
    print(
        f"\n{KILLS} kills in {time.monotonic() - started:.1f} s, {acknowledgements} saves "
        f"acknowledged ({dict(statuses)}); killed "
        + ", ".join(f"{v} {k}" for k, v in tally.items())
    )
    assert statuses[RecordStatus.CORRECTED.value] and statuses[RecordStatus.VOIDED.value]
    assert tally[INSIDE] + tally[COMMIT_LOST] + tally[COMMIT_KEPT] >= KILLS // 3, (
        "too few kills landed inside a write transaction"
    )
