"""The writers that tests/storage/test_crash_kill.py kills with SIGKILL in the middle of saving.

    python crash_writer.py USER NOW

Python and the app's modules load once, here, so that each writer to be killed starts at
once rather than after Python's own start. For each line "PATH PATIENT ROUND SEED" read
from its input, this process forks one that opens PATH as the app does (connect, migrate,
build the services) and saves platelet counts for the woman PATIENT one at a time through
the record service, correcting or voiding one of her current counts now and then. Before
each save it prints what it is about to do; once the service has returned (committed),
it prints the acknowledgement, the line a screen would show as "Saved":

    > add AT VALUE        < add ID
    > correct ID VALUE    < correct NEW_ID
    > void ID             < void ID

In between, "begun" once the save's write transaction holds the lock (after its BEGIN
IMMEDIATE) and "committing" just before its COMMIT, so that the test knows where in the
save each kill landed.

After MAX_SAVES saves it prints "finished" and waits to be killed. The next input line
says "kill" (SIGKILL, at once); then this process prints "ended STATUS" (-9 when killed)
and reads the next writer.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta

from forked import say, serve
from sqlalchemy import Connection, event

from itp_monitor.domain.records import PlateletCount
from itp_monitor.services.container import build_services
from itp_monitor.storage import sqlite
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate

MAX_SAVES = 2000  # per writer, more than it saves before its kill: its counts never meet the next's
CORRECT, VOID = 0.12, 0.08  # the share of saves that correct, and that void, a count


def steady(rng: random.Random, other_than: float | None = None) -> float:
    """A count from 100 to 149: none halves or triples another, so none is a likely slip
    the service would ask to confirm."""
    value = float(100 + rng.randrange(50))
    if value == other_than:
        value = 100 + (value - 99) % 50
    return value


def mark_write_transactions(db: Database) -> None:
    """Prints "begun" and "committing" as each write transaction reaches them (after the
    app's own listener has sent BEGIN IMMEDIATE, which was registered first)."""

    def writing(connection: Connection) -> bool:
        return bool(connection.get_execution_options().get(sqlite.WRITE_OPTION, False))

    @event.listens_for(db.engine, "begin")
    def _begun(connection: Connection) -> None:
        if writing(connection):
            say("begun")

    @event.listens_for(db.engine, "commit")
    def _committing(connection: Connection) -> None:
        if writing(connection):
            say("committing")


def write(path: str, patient_id: int, run: int, seed: int, user: str, now: datetime) -> None:
    rng = random.Random(seed)
    db = Database(resolve_location(path))
    migrate(db)
    mark_write_transactions(db)
    services = build_services(db, user, lambda: now)
    records = services.records
    # her current counts, earlier writers' included, by id
    current = {s.id: s.record for s in services.patients.records(patient_id).counts}
    first = now - timedelta(minutes=1 + run * MAX_SAVES)
    for n in range(MAX_SAVES):
        choice = rng.random()
        if current and choice < CORRECT + VOID:
            target = rng.choice(sorted(current))
            old = current.pop(target)
            if choice < CORRECT:
                value = steady(rng, other_than=old.value)
                say(f"> correct {target} {value}")
                new = PlateletCount(old.collected_at, value, old.source)
                saved = records.correct(target, new, "entered from the wrong sample")
                current[saved.id] = saved.record
                say(f"< correct {saved.id}")
            else:
                say(f"> void {target}")
                records.void(PlateletCount, target, "entered for the wrong woman")
                say(f"< void {target}")
        else:
            count = PlateletCount(first - timedelta(minutes=n), steady(rng), "lab")
            say(f"> add {count.collected_at.isoformat()} {count.value}")
            saved = records.record(patient_id, count)
            current[saved.id] = saved.record
            say(f"< add {saved.id}")
    say("finished")
    while True:
        time.sleep(60)


def main() -> None:
    user, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    serve(lambda f: write(f[0], int(f[1]), int(f[2]), int(f[3]), user, now))


if __name__ == "__main__":
    main()
