"""Benchmark: open the ward and compute every flag, for wards of 250, 500 and 1,000 women.

Each woman has 100 platelet counts, 30 rhTPO injections and 2 bleeding
assessments. What is timed is what the ward board does when it opens: read the
records from the database and evaluate every patient (EvaluationService.ward).
Target: under 300 ms for 1,000 patients, growing linearly.

    .venv/bin/python benchmarks/ward_flags.py [--patients 1000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from itp_monitor.services.container import build_services
from itp_monitor.services.evaluation import load_histories
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate
from itp_monitor.storage.models import (
    BleedingAssessmentRow,
    InjectionRow,
    Patient,
    PlateletCountRow,
)

TARGET_MS = 300
NOW = datetime.now().replace(microsecond=0)  # noqa: DTZ005  (ward times are local)


def generate_ward(db: Database, patients: int, seed: int = 1) -> None:
    """Writes `patients` women with 100 counts, 30 injections and 2 bleeding assessments each."""
    rng = random.Random(seed)
    stamp = {"entered_at_utc": NOW, "entered_by": "benchmark", "status": "current"}
    people, counts, doses, bleeds = [], [], [], []
    for pid in range(1, patients + 1):
        weight = round(rng.uniform(50, 95), 1)
        people.append(
            {
                "id": pid,
                "mrn": f"B{pid:05d}",
                "name": f"Benchmark {pid}",
                "edd": (NOW + timedelta(days=rng.randint(-10, 150))).date(),
                "weight_kg": weight,
                "archived": False,
                "created_at_utc": NOW,
                "created_by": "benchmark",
            }
        )
        value = rng.uniform(10, 60)
        for k in range(100):  # one count every two days, the latest yesterday
            value = min(max(value * rng.uniform(0.8, 1.25), 2), 600)
            counts.append(
                {
                    "patient_id": pid,
                    "collected_at": NOW - timedelta(days=1 + 2 * k, hours=3),
                    "value": round(value, 1),
                    "source": "lab",
                    "accession": None,
                    **stamp,
                }
            )
        for start in (rng.randint(40, 120), rng.randint(1, 30)):  # two courses of 15 days
            for d in range(15):
                doses.append(
                    {
                        "patient_id": pid,
                        "given_at": NOW - timedelta(days=start + 15 - d, hours=2),
                        "dose_units": round(300 * weight),
                        "weight_kg": weight,
                        **stamp,
                    }
                )
        for _ in range(2):
            bleeds.append(
                {
                    "patient_id": pid,
                    "who_grade": rng.randint(0, 2),
                    "assessed_at": NOW - timedelta(days=rng.randint(1, 150)),
                    **stamp,
                }
            )
    with db.writing() as session:
        for table, rows in (
            (Patient, people),
            (PlateletCountRow, counts),
            (InjectionRow, doses),
            (BleedingAssessmentRow, bleeds),
        ):
            session.execute(insert(table), rows)


def measure(patients: int, repeat: int) -> tuple[float, float, float, int]:
    """Best and median of the whole opening, the median of the read alone, flagged patients."""
    with tempfile.TemporaryDirectory() as folder:
        db = Database(resolve_location(str(Path(folder) / "ward.sqlite")))
        migrate(db)
        generate_ward(db, patients)
        services = build_services(db, user="benchmark")
        times, reads, flagged = [], [], 0
        for _ in range(repeat):
            start = time.perf_counter()
            ward = services.evaluation.ward()
            times.append((time.perf_counter() - start) * 1000)
            flagged = sum(bool(r.evaluation.flags) for r in ward)
            assert len(ward) == patients
            gc.disable()  # as the service does while it reads and judges
            with db.reading() as session:
                start = time.perf_counter()
                load_histories(session, Patient.archived.is_(False))
                reads.append((time.perf_counter() - start) * 1000)
            gc.enable()
        db.dispose()
    return min(times), statistics.median(times), statistics.median(reads), flagged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    sizes = sorted({args.patients // 4, args.patients // 2, args.patients})
    print(
        f"Open the ward and compute all flags (100 counts, 30 injections each), {args.repeat} runs"
    )
    print(
        f"{'patients':>9} {'best ms':>9} {'median ms':>10} {'of it read':>11} "
        f"{'µs/patient':>11} {'flagged':>8}"
    )
    results = {}
    for n in sizes:
        best, median, read, flagged = measure(n, args.repeat)
        results[n] = median
        print(
            f"{n:>9} {best:>9.1f} {median:>10.1f} {read:>11.1f} "
            f"{1000 * median / n:>11.0f} {flagged:>8}"
        )
    largest = max(sizes)
    per_patient = [results[n] / n for n in sizes]
    verdict = "met" if results[largest] < TARGET_MS else "NOT met"
    print(
        f"Target: {TARGET_MS} ms for {largest} patients -> {verdict} "
        f"({results[largest]:.0f} ms median). Time per patient from {sizes[0]} to {largest}: "
        f"{per_patient[0] * 1000:.0f} to {per_patient[-1] * 1000:.0f} µs (linear if about equal)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
