"""Benchmark: a backup and a check of a 1,000-woman ward (issue 11's closing figures).

The ward holds 1,000 women with 100 platelet counts and 14 injections each, every one
with its audit entry and its link in the audit chain, as the app writes them. Timed:

- `backup`: BackupService.take, the online copy, its integrity check and row counts,
  fsync and rename (the app's automatic backup and `itp-monitor backup` do the same);
- `check`: the full Check database;
- `quick check`: what the app runs at start.

Floors, in the same run on the same file: the standard library's sqlite3 doing only
SQLite's own part: the online backup API into a new file (for the backup) and
`PRAGMA integrity_check` (for the check), `PRAGMA quick_check` (for the quick check).

    .venv/bin/python benchmarks/durability.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from itp_monitor.domain.records import Injection, PatientDetails, PlateletCount
from itp_monitor.services.container import Services, build_services
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate

WOMEN, COUNTS, INJECTIONS = 1_000, 100, 14
NOW = datetime.now().replace(microsecond=0)  # noqa: DTZ005  (ward times are local)


def make_ward(path: Path) -> Services:
    services = build_services(Database(resolve_location(str(path))), "bench", lambda: NOW)
    migrate(services.db)
    edd = (NOW + timedelta(days=60)).date()
    with services.records.recording() as recorder:
        ids = [
            recorder.add_patient(PatientDetails(f"B{n:05d}", f"Ward {n}", edd, weight_kg=70.0)).id
            for n in range(WOMEN)
        ]
        recorder.add_many(
            PlateletCount,
            (
                (p, PlateletCount(NOW - timedelta(days=1 + 2 * k, hours=3), 20.0 + k * 7 % 90))
                for p in ids
                for k in range(COUNTS)
            ),
        )
        recorder.add_many(
            Injection,
            (
                (p, Injection(NOW - timedelta(days=1 + k, hours=2), 21_000, 70.0))
                for p in ids
                for k in range(INJECTIONS)
            ),
        )
    return services


def timed(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def raw_backup(source: Path, folder: Path) -> None:
    target = folder / f"floor-{time.perf_counter_ns()}.sqlite"
    with sqlite3.connect(source) as here, sqlite3.connect(target) as there:
        here.backup(there)
    target.unlink()


def raw_pragma(source: Path, pragma: str) -> None:
    connection = sqlite3.connect(source)
    try:
        assert connection.execute(f"PRAGMA {pragma}").fetchone()[0] == "ok"
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "ward.sqlite"
        built = time.perf_counter()
        services = make_ward(path)
        print(f"ward of {WOMEN} women: built in {time.perf_counter() - built:.1f} s")
        backups = folder / "backups"
        taken = services.backups.take(backups)
        mib = taken.size / 2**20
        backup_ms = timed(lambda: services.backups.take(backups), args.repeat)
        floor_backup = timed(lambda: raw_backup(path, folder), args.repeat)
        report = services.check.full()
        assert report.ok, report.problems
        check_ms = timed(services.check.full, args.repeat)
        floor_check = timed(lambda: raw_pragma(path, "integrity_check"), args.repeat)
        quick_ms = timed(services.check.quick, args.repeat)
        floor_quick = timed(lambda: raw_pragma(path, "quick_check"), args.repeat)
        services.db.dispose()
    print(
        f"  database: {mib:.1f} MiB, {report.entries} audit entries linked, "
        f"{report.records} record versions"
    )
    for name, ms, floor in (
        ("backup (copy, verify, fsync)", backup_ms, floor_backup),
        ("check database (full)", check_ms, floor_check),
        ("check at start (quick)", quick_ms, floor_quick),
    ):
        print(f"  {name:<30} {ms:8.0f} ms   floor {floor:7.0f} ms   ratio {ms / floor:5.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
