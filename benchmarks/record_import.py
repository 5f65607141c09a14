"""Benchmark: importing a patient record file (issue 13), against a floor measured in the
same run.

The file: 100 women, each with 60 platelet counts and 20 injections (8,000 records).
What is timed is what `itp-monitor import` does once the database is open: read the
file, check every record, and save the women, their records and an audit entry for
each in one transaction. The floor does the same physical work with the standard
library alone: parse the JSON, insert each woman, each record and an audit row into
SQLite (WAL, synchronous=FULL) in one transaction. Target (issue 13): within 3× the
floor.

    PYTHONPATH=. .venv/bin/python -P benchmarks/record_import.py [--women 100]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from itp_monitor.services.container import build_services
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate

TARGET_RATIO = 3.0
NOW = datetime.now().replace(second=0, microsecond=0)  # noqa: DTZ005  (ward times are local)


def write_file(path: Path, women: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    patients = []
    for p in range(women):
        counts = [
            {
                "collected_at": (NOW - timedelta(days=2 * k + 1, minutes=p)).isoformat(),
                "value": round(rng.uniform(10, 200), 1),
                "source": "lab",
            }
            for k in range(60)
        ]
        doses = [
            {
                "given_at": (NOW - timedelta(days=k + 1, hours=3, minutes=p)).isoformat(),
                "dose_units": 20400,
                "site": "abdomen-left",
            }
            for k in range(20)
        ]
        patients.append(
            {
                "mrn": f"P{p:04d}",
                "name": f"Woman {p}",
                "edd": (NOW + timedelta(days=60)).date().isoformat(),
                "weight_kg": 68.0,
                "platelet_counts": counts,
                "injections": doses,
            }
        )
    path.write_text(json.dumps({"format": "itp-monitor/1", "patients": patients}))
    return sum(len(p["platelet_counts"]) + len(p["injections"]) for p in patients)


def floor(path: Path, database: Path) -> float:
    """The same inserts with the standard library alone."""
    start = time.perf_counter()
    data = json.loads(path.read_text())
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.executescript(
        "CREATE TABLE patients (id INTEGER PRIMARY KEY, mrn TEXT, name TEXT, edd TEXT);"
        "CREATE TABLE records (id INTEGER PRIMARY KEY, patient_id INT, kind TEXT, at TEXT,"
        " value REAL);"
        "CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT, who TEXT, what TEXT,"
        " record_id INT, after TEXT);"
    )
    connection.execute("BEGIN IMMEDIATE")
    for woman in data["patients"]:
        pid = connection.execute(
            "INSERT INTO patients (mrn, name, edd) VALUES (?, ?, ?)",
            (woman["mrn"], woman["name"], woman["edd"]),
        ).lastrowid
        for kind, at, value in [
            *(("count", c["collected_at"], c["value"]) for c in woman["platelet_counts"]),
            *(("dose", d["given_at"], d["dose_units"]) for d in woman["injections"]),
        ]:
            rid = connection.execute(
                "INSERT INTO records (patient_id, kind, at, value) VALUES (?, ?, ?, ?)",
                (pid, kind, at, value),
            ).lastrowid
            connection.execute(
                "INSERT INTO audit (at, who, what, record_id, after) VALUES (?, ?, ?, ?, ?)",
                (NOW.isoformat(), "benchmark", "create", rid, json.dumps([kind, at, value])),
            )
    connection.execute("COMMIT")
    connection.close()
    return time.perf_counter() - start


def app(path: Path, database: Path) -> float:
    db = Database(resolve_location(str(database)))
    migrate(db)
    services = build_services(db, user="benchmark")
    start = time.perf_counter()
    services.exchange.import_file(path)
    spent = time.perf_counter() - start
    db.dispose()
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--women", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        file = here / "ward.json"
        records = write_file(file, args.women)
        floor_s = floor(file, here / "floor.sqlite")
        app_s = app(file, here / "app.sqlite")
    ratio = app_s / floor_s
    print(f"record file of {args.women} women, {records:,} records")
    target = f"(target ≤ {TARGET_RATIO:g}×)"
    print(f"  import   {app_s:7.2f} s   floor {floor_s:5.2f} s   {ratio:5.1f}×  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
