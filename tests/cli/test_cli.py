"""The `itp-monitor` command as scripts use it: exit codes, messages, and files written."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = shutil.which("itp-monitor", path=str(Path(sys.executable).parent)) or "itp-monitor"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "ITP_MONITOR_DB"}
    full_env.update(env or {})
    return subprocess.run(
        [COMMAND, *args], capture_output=True, text=True, env=full_env, timeout=120
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the demonstration ward, made once through the command line."""
    path = tmp_path_factory.mktemp("cli") / "w.sqlite"
    done = run("--db", str(path), "demo")
    assert done.returncode == 0, done.stderr
    assert "Loaded the demonstration ward" in done.stdout
    return path


def test_demo_then_export_writes_the_whole_ward(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.json"
    done = run("--db", str(demo_db), "export", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["format"] == "itp-monitor/1"
    assert len(data["patients"]) == 13
    assert all(p["mrn"].startswith("DEMO-") for p in data["patients"])


def test_export_of_chosen_patients(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "two.json"
    done = run("--db", str(demo_db), "export", str(out), "--mrn", "DEMO-03", "--mrn", "demo-08")
    assert done.returncode == 0, done.stderr
    assert [p["mrn"] for p in json.loads(out.read_text())["patients"]] == ["DEMO-03", "DEMO-08"]


def test_export_of_an_unknown_mrn_is_an_input_error(demo_db: Path, tmp_path: Path) -> None:
    done = run("--db", str(demo_db), "export", str(tmp_path / "x.json"), "--mrn", "NOPE")
    assert done.returncode == 1
    assert "NOPE is not in the database" in done.stderr
    assert not (tmp_path / "x.json").exists()


def _export(db: Path, tmp_path: Path, name: str) -> str:
    out = tmp_path / name
    assert run("--db", str(db), "export", str(out)).returncode == 0
    return out.read_text()


def test_a_bad_record_file_exits_1_names_the_place_and_changes_nothing(
    demo_db: Path, tmp_path: Path
) -> None:
    before = _export(demo_db, tmp_path, "before.json")
    bad = {
        "format": "itp-monitor/1",
        "patients": [
            {"mrn": "B2001", "name": "Ok Patient", "edd": "2027-01-01"},
            {
                "mrn": "B2002",
                "name": "Bad Patient",
                "edd": "2027-01-01",
                "platelet_counts": [{"collected_at": "2026-10-01T08:00:00", "value": 45000}],
            },
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    done = run("--db", str(demo_db), "import", str(path))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "refused, nothing was saved" in done.stderr
    assert "patient B2002 (#2 in the file), platelet_counts #1, value: 45,000" in done.stderr
    assert "45,000/µL is 45 ×10⁹/L" in done.stderr
    assert _export(demo_db, tmp_path, "after.json") == before


def test_import_of_a_good_file_and_refusal_of_the_same_mrns_again(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"
    path = tmp_path / "one.json"
    path.write_text(
        json.dumps(
            {
                "format": "itp-monitor/1",
                "patients": [
                    {
                        "mrn": "C1",
                        "name": "Ann Lee",
                        "edd": "2027-01-01",
                        "weight_kg": 60,
                        "platelet_counts": [{"collected_at": "2026-10-01", "value": 31}],
                    }
                ],
            }
        )
    )
    first = run("--db", str(db), "import", str(path))
    assert first.returncode == 0, first.stderr
    assert "1 new (C1); 1 records added" in first.stdout
    again = run("--db", str(db), "import", str(path))
    assert again.returncode == 1
    assert "C1 is already in the database (Ann Lee); import with --merge" in again.stderr
    merged = run("--db", str(db), "import", "--merge", str(path))
    assert merged.returncode == 0, merged.stderr
    assert "0 records added, 1 already present" in merged.stdout


def test_demo_twice_is_refused(demo_db: Path) -> None:
    done = run("--db", str(demo_db), "demo")
    assert done.returncode == 1
    assert "already in this database" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["import"],
        ["export"],
        ["--no-such-option", "demo"],
        ["import", "a.json", "--mrn"],
    ],
)
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    done = run("--db", str(tmp_path / "u.sqlite"), *args)
    assert done.returncode == 2
    assert "usage: itp-monitor" in done.stderr


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    done = run("--db", str(tmp_path / "m.sqlite"), "import", str(tmp_path / "absent.json"))
    assert done.returncode == 1
    assert "absent.json: no such file" in done.stderr


def test_the_environment_variable_chooses_the_database(tmp_path: Path) -> None:
    db = tmp_path / "from-env.sqlite"
    done = run("demo", env={"ITP_MONITOR_DB": str(db)})
    assert done.returncode == 0, done.stderr
    assert str(db) in done.stdout and db.exists()


def test_the_default_database_is_in_the_users_data_folder(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    done = run("demo", env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "itp-monitor" / "itp-monitor.sqlite").exists()


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "newer.sqlite"
    assert run("--db", str(db), "demo").returncode == 0
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0099_future'")
    done = run("--db", str(db), "export", str(tmp_path / "x.json"))
    assert done.returncode == 1
    assert "newer version of ITP Monitor" in done.stderr


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 100)
    done = run("--db", str(notes), "export", str(tmp_path / "x.json"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (
        f"cannot use the database {notes}: the file is not an ITP Monitor database" in done.stderr
    )
    assert notes.read_text() == "shopping list\n" * 100


def test_a_database_driver_that_is_not_installed_is_named(tmp_path: Path) -> None:
    done = run("--db", "postgresql+pg8000://ward@localhost/itp", "export", str(tmp_path / "x.json"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "pg8000" in done.stderr and "not installed" in done.stderr
