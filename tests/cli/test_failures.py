"""Every way the database cannot be used ends a command with one line and exit 1, never a
traceback; a command that only reads never creates a database; a bug is logged, not shown.

The failures are real wherever the machine allows: a folder, a text file, a read-only
disk and a full disk (tests/disks.py: mounts as root, permissions otherwise, or a skip
that says why), a page of the file overwritten, another process holding the write lock.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from disks import checkpoint, fill, leave_wal_behind, package_root, read_only, tiny_disk
from helpers import NOW

from itp_monitor import cli, last_resort
from itp_monitor.domain.protocol import limits
from itp_monitor.services.container import build_services
from itp_monitor.services.evaluation import EvaluationService
from itp_monitor.storage.database import Database, resolve_location

NEW_PATIENT = {
    "format": "itp-monitor/1",
    "patients": [
        {
            "mrn": "F1",
            "name": "Fay Field",
            "edd": "2027-01-01",
            "platelet_counts": [{"collected_at": "2026-10-01T08:00:00", "value": 31}],
        }
    ],
}
READING = [
    ["flags"],
    ["export", "{out}/x.json"],
    ["export-csv", "{out}/x.csv"],
    ["export-series", "{out}/x.csv"],
    ["export-fhir", "{out}/x.json", "--mrn", "DEMO-03"],
    ["report", "{out}/x.pdf", "--ward"],
    ["import-labs", "{labs}"],
]


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def one_line(self) -> str:
        """The single line on stderr: what, where, what to do; never a traceback."""
        assert "Traceback" not in self.err
        lines = self.err.splitlines()
        assert len(lines) == 1, self.err
        return lines[0]


Run = Callable[..., Ran]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def go(*args: str | Path) -> Ran:
        code = cli.main([str(a) for a in args])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return go


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's data folder (the default database and the log) inside the test's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("ITP_MONITOR_DB", raising=False)
    return tmp_path / "data" / "itp-monitor"


@pytest.fixture(scope="module")
def ward(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demonstration ward at the suite's fixed time, checkpointed: one file, no WAL."""
    path = tmp_path_factory.mktemp("ward") / "ward.sqlite"
    shutil.copy(template_db, path)
    db = Database(resolve_location(str(path)))
    build_services(db, user="nurse.test", clock=lambda: NOW).demo.load()
    db.dispose()
    checkpoint(path)
    return path


@pytest.fixture
def record_file(tmp_path: Path) -> Path:
    path = tmp_path / "new.json"
    path.write_text(json.dumps(NEW_PATIENT))
    return path


@pytest.fixture
def lab_file(tmp_path: Path) -> Path:
    path = tmp_path / "labs.csv"
    path.write_text("mrn,collected_at,platelets,unit\nDEMO-03,2026-11-25 08:00,40,10^9/L\n")
    return path


def mrns(run: Run, db: Path, out: Path) -> list[str]:
    done = run("--db", db, "export", out)
    assert done.code == 0, done.err
    return [p["mrn"] for p in json.loads(out.read_text())["patients"]]


def fill_in(args: list[str], tmp_path: Path, labs: Path) -> list[str]:
    return [a.format(out=tmp_path, labs=labs) for a in args]


# --- a path that is no database -------------------------------------------------------------


@pytest.mark.parametrize("command", [["demo"], ["flags"], ["import", "{out}/new.json"]])
def test_a_folder_given_as_the_database_is_named_and_left_alone(
    run: Run, tmp_path: Path, record_file: Path, lab_file: Path, command: list[str]
) -> None:
    folder = tmp_path / "ward-folder"
    folder.mkdir()
    done = run("--db", folder, *fill_in(command, tmp_path, lab_file))
    assert done.code == 1
    line = done.one_line()
    assert line.startswith(f"itp-monitor {command[0]}: cannot use the database {folder}: ")
    assert "is a folder, not a database file" in line
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("command", [["demo"], ["flags"], ["import", "{out}/new.json"]])
def test_a_text_file_given_as_the_database_is_refused_untouched(
    run: Run, tmp_path: Path, record_file: Path, lab_file: Path, command: list[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 100)
    done = run("--db", notes, *fill_in(command, tmp_path, lab_file))
    assert done.code == 1
    assert "is not an ITP Monitor database; choose another file" in done.one_line()
    assert notes.read_text() == "shopping list\n" * 100
    assert not list(tmp_path.glob("notes.txt?*"))  # no -wal, -shm or journal beside it


def test_from_a_real_process_the_output_is_one_line_and_no_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "ward-folder"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": package_root(), "XDG_DATA_HOME": str(tmp_path / "d")}
    done = subprocess.run(
        [sys.executable, "-m", "itp_monitor", "--db", str(folder), "demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert "is a folder, not a database file" in done.stderr


# --- a read-only command never creates a database ------------------------------------------


@pytest.mark.parametrize("command", READING, ids=lambda c: c[0])
def test_a_reading_command_on_no_database_says_so_and_creates_nothing(
    run: Run, tmp_path: Path, lab_file: Path, command: list[str]
) -> None:
    absent = tmp_path / "not-yet" / "ward" / "w.sqlite"
    done = run("--db", absent, *fill_in(command, tmp_path, lab_file))
    assert done.code == 1
    assert done.one_line().startswith(f"itp-monitor {command[0]}: no database at {absent}; ")
    assert not (tmp_path / "not-yet").exists()
    assert done.out == ""


def test_without_db_a_reading_command_does_not_create_the_default_database(
    run: Run, data_folder: Path
) -> None:
    done = run("flags")
    assert done.code == 1
    assert f"no database at {data_folder / 'itp-monitor.sqlite'}" in done.one_line()
    assert not data_folder.exists()


def test_an_empty_file_is_not_set_up_by_a_reading_command(run: Run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    done = run("--db", empty, "flags")
    assert done.code == 1
    assert f"no database at {empty}" in done.one_line()
    assert empty.stat().st_size == 0


def test_writing_commands_may_create_the_database(
    run: Run, tmp_path: Path, record_file: Path, lab_file: Path
) -> None:
    for name, args in [
        ("a", ["import", str(record_file)]),
        ("b", ["import-labs", str(lab_file), "--yes"]),
        ("c", ["demo"]),
    ]:
        db = tmp_path / name / "w.sqlite"
        done = run("--db", db, *args)
        assert done.code == 0, done.err
        assert db.is_file()


# --- a read-only disk -----------------------------------------------------------------------


@pytest.fixture(params=["closed cleanly", "with saves still in the WAL"])
def read_only_ward(
    request: pytest.FixtureRequest, ward: Path, tmp_path: Path
) -> Iterator[tuple[Path, list[str]]]:
    """The ward on a disk this process cannot write, with the MRNs it must read back."""
    folder = tmp_path / "share"
    folder.mkdir()
    db = folder / "ward.sqlite"
    shutil.copy(ward, db)
    expected = sorted(f"DEMO-{n:02d}" for n in range(1, 14))
    if request.param != "closed cleanly":
        leave_wal_behind(
            db,
            "import sys\nfrom datetime import date, datetime\n"
            "from itp_monitor.domain.records import PatientDetails\n"
            "from itp_monitor.services.container import build_services\n"
            "from itp_monitor.storage.database import Database, resolve_location\n"
            "s = build_services(Database(resolve_location(sys.argv[1])), user='n',\n"
            "                   clock=lambda: datetime(2026, 11, 25, 12))\n"
            "s.patients.add(PatientDetails(mrn='W1', name='Wal Only', edd=date(2027, 1, 1)))\n",
        )
        expected = sorted([*expected, "W1"])
    with read_only(folder) as view:
        yield view / "ward.sqlite", expected


def test_a_read_only_database_refuses_a_write_in_those_words_and_still_reads(
    run: Run, read_only_ward: tuple[Path, list[str]], record_file: Path, tmp_path: Path
) -> None:
    db, expected = read_only_ward
    before = db.read_bytes()
    done = run("--db", db, "import", record_file)
    assert done.code == 1
    line = done.one_line()
    assert line.startswith(f"itp-monitor import: cannot use the database {db}: ")
    assert "the database is read-only" in line
    assert db.read_bytes() == before
    # Reading needs no write: the export reads it, saves in the WAL included.
    assert sorted(mrns(run, db, tmp_path / "out.json")) == expected


# --- a full disk ----------------------------------------------------------------------------


@pytest.fixture
def full_disk(ward: Path, tmp_path: Path) -> Iterator[Path]:
    """The ward on a disk with no space left: the path of the database on it."""
    with tiny_disk(tmp_path / "disk", ward.stat().st_size // 1024 + 256) as disk:
        db = disk / "ward.sqlite"
        shutil.copy(ward, db)
        yield db


def test_a_write_on_a_full_disk_says_the_disk_is_full_and_saves_nothing(
    run: Run, full_disk: Path, record_file: Path, tmp_path: Path
) -> None:
    filler = fill(full_disk.parent)
    done = run("--db", full_disk, "import", record_file)
    assert done.code == 1
    assert "the disk is full; free some space on the disk" in done.one_line()
    filler.unlink()
    assert "F1" not in mrns(run, full_disk, tmp_path / "out.json")


def test_a_disk_filling_up_during_a_write_says_the_disk_is_full(
    run: Run, full_disk: Path, record_file: Path, tmp_path: Path
) -> None:
    """Another copy of the app has the database open (its -shm made), so the write itself
    runs out of space, in the WAL, rather than the opening."""
    other = sqlite3.connect(full_disk)
    try:
        other.execute("SELECT count(*) FROM patients").fetchone()
        filler = fill(full_disk.parent)
        done = run("--db", full_disk, "import", record_file)
        assert done.code == 1
        assert "the disk is full" in done.one_line()
        filler.unlink()
    finally:
        other.close()
    assert "F1" not in mrns(run, full_disk, tmp_path / "out.json")


def test_a_full_disk_can_still_be_read(run: Run, full_disk: Path) -> None:
    fill(full_disk.parent)
    done = run("--db", full_disk, "flags", "--at", "2026-11-25", "--mrn", "DEMO-03")
    assert done.code == 0, done.err
    assert "DEMO-03" in done.out


def test_an_export_onto_a_full_disk_says_so_and_leaves_no_file(
    run: Run, ward: Path, tmp_path: Path
) -> None:
    with tiny_disk(tmp_path / "disk", 64) as disk:
        fill(disk)
        done = run("--db", ward, "export", disk / "ward.json")
        assert done.code == 1
        assert f"{disk / 'ward.json'}: the disk is full" in done.one_line()
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]


def test_an_export_into_a_read_only_or_missing_folder_names_the_file_chosen(
    run: Run, ward: Path, tmp_path: Path
) -> None:
    """Not the hidden temporary file the export writes first."""
    folder = tmp_path / "shared"
    folder.mkdir()
    with read_only(folder) as locked:
        done = run("--db", ward, "export", locked / "ward.json")
        assert done.code == 1
        # root gets a read-only mount; anyone else a folder without write permission
        line = done.one_line()
        assert line.endswith(f": {locked / 'ward.json'}")
        assert "Read-only file system" in line or "Permission denied" in line
        assert list(locked.iterdir()) == []
    done = run("--db", ward, "export", tmp_path / "nowhere" / "ward.json")
    assert done.code == 1
    assert done.one_line().endswith(
        f"No such file or directory: {tmp_path / 'nowhere' / 'ward.json'}"
    )


# --- a damaged file, a busy one --------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["flags"], ["export", "{out}/x.json"], ["import", "{out}/new.json"]]
)
def test_a_damaged_database_is_called_damaged_without_its_contents(
    run: Run,
    ward: Path,
    tmp_path: Path,
    record_file: Path,
    lab_file: Path,
    command: list[str],
) -> None:
    db = tmp_path / "damaged.sqlite"
    shutil.copy(ward, db)
    with sqlite3.connect(db) as raw:
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        root = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'patients'").fetchone()
    raw.close()
    with db.open("r+b") as f:  # a page in the middle of the file: the patients table's
        f.seek((root[0] - 1) * page_size)
        f.write(b"\xa5" * page_size)
    done = run("--db", db, *fill_in(command, tmp_path, lab_file))
    assert done.code == 1
    line = done.one_line()
    assert "the database file is damaged" in line and "backup" in line
    assert "DEMO" not in line and "SELECT" not in line


def test_a_database_busy_beyond_the_wait_says_so_and_saves_nothing(
    run: Run, ward: Path, tmp_path: Path, record_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "busy.sqlite"
    shutil.copy(ward, db)
    monkeypatch.setattr(cli, "BUSY_TIMEOUT_MS", 50)
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another program's long import holds the lock
        done = run("--db", db, "import", record_file)
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert done.code == 1
    line = done.one_line()
    assert "the database is busy: another program is writing to it" in line
    assert line.endswith("nothing was saved")
    assert "F1" not in mrns(run, db, tmp_path / "out.json")


# --- the last resort ------------------------------------------------------------------------


def test_an_unexpected_error_is_logged_and_named_in_one_line_without_values(
    run: Run, ward: Path, data_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("SELECT * FROM patients WHERE mrn = 'DEMO-03' AND value = 45000")

    monkeypatch.setattr(EvaluationService, "ward", broken)  # a bug nobody foresaw
    done = run("--db", ward, "flags")
    assert done.code == 1
    log = data_folder / last_resort.LOG_NAME
    assert done.one_line() == (
        "itp-monitor flags: an unexpected error stopped the flags command (RuntimeError); "
        f"the details are in {log}"
    )
    logged = log.read_text()
    assert "Traceback" in logged and "DEMO-03" in logged and "in broken" in logged
    assert log.stat().st_mode & 0o077 == 0  # the owner's alone: it holds what the SQL held


def test_the_log_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(last_resort, "MAX_LOG_BYTES", 2_000)
    log = tmp_path / "itp-monitor.log"
    for n in range(50):
        last_resort.report(ValueError(f"bug {n}"), "a test", log)
    kept = [log, log.with_name(log.name + ".1")]
    assert all(p.exists() for p in kept)
    assert sum(p.stat().st_size for p in kept) < 2 * 2_000 + 1_000
    assert "bug 49" in log.read_text()


def test_when_the_log_cannot_be_written_the_line_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "log-is-a-file"
    folder.write_text("")
    said = last_resort.report(ValueError("DEMO-03"), "the flags command", folder / "x.log")
    assert said.line().startswith(
        "an unexpected error stopped the flags command (ValueError); "
        f"the details could not be written to {folder / 'x.log'}"
    )
    assert "DEMO-03" not in said.line()


@pytest.mark.parametrize("at", ["0001-01-01", "1899-12-31T08:00"])
def test_a_time_before_the_records_can_begin_is_a_usage_error(
    ward: Path, at: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        cli.main(["--db", str(ward), "flags", "--at", at])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    earliest = limits().earliest_year  # the protocol's, as for every entry
    assert f"'{at}' is out of range: give a date from {earliest}-01-01 on" in err
    assert "Traceback" not in err
