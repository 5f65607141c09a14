"""Benchmark: what encryption at rest costs (issue 12), as ratios measured in one run.

The same ward, plain and encrypted (SQLCipher, a raw key as the credential store's):

- the ward read and every flag computed, 1,000 women × 100 counts (median of 7);
- a count saved, one transaction each, for a woman among them (median of 60);
- a laboratory file of 20,000 rows previewed and saved, on a ward of 1,000 women.

Each pair runs interleaved, plain then encrypted, so that a busy machine slows both.

    .venv/bin/python benchmarks/encryption.py [--patients 1000] [--rows 20000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # the other benchmarks' ward builders

from lab_import import make_ward, write_file
from ward_flags import NOW, generate_ward

from itp_monitor.domain.records import PlateletCount
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.lab_import import LabOptions
from itp_monitor.storage import cipher
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate


def opened(path: Path) -> Services:
    return build_services(Database(resolve_location(str(path))), user="benchmark")


def made(path: Path, fill: Callable[[Database], None]) -> Path:
    db = Database(resolve_location(str(path)))
    migrate(db)
    fill(db)
    db.dispose()
    return path


def encrypted_copy(plain: Path) -> Path:
    target = plain.with_name(plain.stem + "-encrypted.sqlite")
    cipher.copy_file(plain, target)
    return target


def medians_ms(runs: dict[str, Callable[[], object]], times: int) -> list[float]:
    """Each run's median, the runs taking turns (so that a busy moment slows both)."""
    spent: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(times):
        for name, run in runs.items():
            gc.collect()
            start = time.perf_counter()
            run()
            spent[name].append((time.perf_counter() - start) * 1000)
    return [statistics.median(spent[name]) for name in runs]


def pair(name: str, plain: float, encrypted: float, unit: str = "ms") -> None:
    print(f"{name:<44} {plain:>9.1f} {encrypted:>11.1f} {unit}  {encrypted / plain:>5.2f}×")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        ward = made(here / "ward.sqlite", lambda db: generate_ward(db, args.patients))
        labs_ward = made(here / "labs.sqlite", make_ward)
        labs = here / "labs.csv"
        write_file(labs, args.rows)
        cipher.use(cipher.Key.random())  # from here, as on an encrypted laptop
        sides = {"plain": ward, "encrypted": encrypted_copy(ward)}
        services = {k: opened(p) for k, p in sides.items()}
        print(f"{'':<44} {'plain':>9} {'encrypted':>11}      ratio")
        reads = medians_ms({k: s.evaluation.ward for k, s in services.items()}, 7)
        pair(f"ward of {args.patients} read, every flag computed", *reads)

        def saving(s: Services) -> Callable[[], object]:
            at = [NOW - timedelta(hours=1)]

            def save() -> object:
                at[0] -= timedelta(minutes=1)
                return s.records.record(7, PlateletCount(at[0], 55, "lab"), confirmed=True)

            return save

        saves = medians_ms({k: saving(s) for k, s in services.items()}, 60)
        pair("a count saved (its own transaction)", *saves)
        for s in services.values():
            s.db.dispose()

        imports: dict[bool, list[float]] = {False: [], True: []}
        for turn in range(4):  # plain, encrypted, plain, encrypted: each on a fresh copy
            encrypted = bool(turn % 2)
            copy = here / f"labs-{turn}.sqlite"
            if encrypted:
                cipher.copy_file(labs_ward, copy)
            else:
                copy.write_bytes(labs_ward.read_bytes())
            s = opened(copy)
            gc.collect()
            start = time.perf_counter()
            s.labs.preview(labs, LabOptions())
            s.labs.save(labs, LabOptions())
            imports[encrypted].append(time.perf_counter() - start)
            s.db.dispose()
        best = [min(imports[False]), min(imports[True])]
        pair(f"lab file of {args.rows:,} rows, preview and save", *best, unit="s ")
        cipher.use(None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
