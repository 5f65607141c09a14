"""`itp-monitor import-labs`: the preview people read, the JSON scripts read, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

# The demo ward is dated from today (it runs as a separate program), so the results are
# from yesterday: within her pregnancy whatever the day, and never in the future.
DAY = (date.today() - timedelta(days=1)).isoformat()
COMMAND = shutil.which("itp-monitor", path=str(Path(sys.executable).parent)) or "itp-monitor"
LABS = (
    "MRN,Collected at,Platelets,Unit,Accession\n"
    f"DEMO-01,{DAY} 08:00,42,10^9/L,CLI-1\n"
    f"DEMO-01,{DAY} 09:00,abc,10^9/L,CLI-2\n"
    f"NOBODY,{DAY} 08:00,42,10^9/L,CLI-3\n"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ITP_MONITOR_DB"}
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    path = tmp_path / "w.sqlite"
    assert run("--db", str(path), "demo").returncode == 0
    return path


@pytest.fixture
def labs(tmp_path: Path) -> Path:
    path = tmp_path / "labs.csv"
    path.write_text(LABS)
    return path


def as_json(ward: Path, *args: str) -> dict[str, Any]:
    done = run("--db", str(ward), "import-labs", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_preview_names_every_row_and_saves_nothing(ward: Path, labs: Path) -> None:
    done = run("--db", str(ward), "import-labs", str(labs))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.split()[:2] == ["2", "DEMO-01"] and "new" in line for line in lines)
    assert any(line.startswith("    3") and "invalid" in line and "'abc'" in line for line in lines)
    assert any("unknown patient" in line and "NOBODY" in line for line in lines)
    assert "Summary: 1 new, 0 duplicate, 1 unknown patient, 1 invalid, 0 correction." in lines
    assert "Nothing was saved" in done.stdout
    assert as_json(ward, str(labs))["summary"]["new"] == 1  # still new: nothing was saved


def test_json_has_the_shape_of_the_interface(ward: Path, labs: Path) -> None:
    data = as_json(ward, str(labs))
    assert set(data) == {"rows", "summary", "saved"}
    assert data["saved"] is False
    assert data["rows"][0] == {
        "line": 2,
        "mrn": "DEMO-01",
        "collected_at": f"{DAY}T08:00:00",
        "value": 42.0,
        "status": "new",
        "reason": None,
        "note": None,
    }
    assert data["rows"][1]["value"] is None and "abc" in data["rows"][1]["reason"]
    assert data["summary"] == {
        "new": 1,
        "duplicate": 0,
        "unknown_patient": 1,
        "invalid": 1,
        "correction": 0,
    }


def test_yes_saves_once_and_a_second_run_finds_duplicates(ward: Path, labs: Path) -> None:
    first = as_json(ward, str(labs), "--yes")
    assert first["saved"] is True and first["summary"]["new"] == 1
    second = as_json(ward, str(labs), "--yes")
    assert [r["status"] for r in second["rows"]] == ["duplicate", "invalid", "unknown_patient"]
    exported = Path(labs.parent / "out.json")
    assert run("--db", str(ward), "export", str(exported), "--mrn", "DEMO-01").returncode == 0
    counts = json.loads(exported.read_text())["patients"][0]["platelet_counts"]
    assert [c["accession"] for c in counts].count("CLI-1") == 1


def test_map_unit_and_time_format_options(ward: Path, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Pt;Drawn;Count\nDEMO-01;05/01/2026 08:00;42000\n")
    data = as_json(
        ward,
        str(path),
        "--map",
        "Pt=mrn",
        "--map",
        "Drawn=collected_at",
        "--map",
        "Count=value",
        "--unit",
        "/uL",
        "--time-format",
        "%d/%m/%Y %H:%M",
    )
    assert (data["rows"][0]["status"], data["rows"][0]["value"]) == ("new", 42.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "Pt"], "is not HEADER=FIELD"),
        (["--map", "Pt=name"], "is not HEADER=FIELD"),
        (["--unit", "mmol/L"], "is not a platelet unit"),
    ],
)
def test_bad_options_are_usage_errors(
    ward: Path, labs: Path, args: list[str], message: str
) -> None:
    done = run("--db", str(ward), "import-labs", str(labs), *args)
    assert done.returncode == 2
    assert message in done.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("when,count\n2026-01-05,42\n", "has no column for mrn, collected_at, value"),
    ],
)
def test_an_unreadable_file_exits_1_and_saves_nothing(
    ward: Path, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    done = run("--db", str(ward), "import-labs", str(path), "--yes")
    assert done.returncode == 1
    assert message in done.stderr and done.stdout == ""


def test_a_missing_file_exits_1(ward: Path, tmp_path: Path) -> None:
    done = run("--db", str(ward), "import-labs", str(tmp_path / "none.csv"))
    assert done.returncode == 1
    assert "no such file" in done.stderr


def test_one_result_is_one_result_and_a_stored_year_1_keeps_its_four_digits(
    ward: Path, tmp_path: Path
) -> None:
    one = tmp_path / "one.csv"
    one.write_text(f"MRN,Collected at,Platelets,Unit\nDEMO-01,{DAY} 08:00,42,10^9/L\n")
    done = run("--db", str(ward), "import-labs", str(one))
    assert ": 1 result" in done.stdout.splitlines()[0]
    assert done.stdout.splitlines()[0].endswith(": 1 result")
    old = tmp_path / "old.csv"
    old.write_text("MRN,Collected at,Platelets,Unit\nDEMO-01,0001-01-01 08:00,42,10^9/L\n")
    done = run("--db", str(ward), "import-labs", str(old))
    assert "0001-01-01 08:00" in done.stdout and "invalid" in done.stdout
