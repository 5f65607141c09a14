"""`itp-monitor flags`: the JSON other programs read, and the table people read."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from itp_monitor.services.demo import demo_ward

COMMAND = shutil.which("itp-monitor", path=str(Path(sys.executable).parent)) or "itp-monitor"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ITP_MONITOR_DB"}
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env, timeout=120)


# The demonstration ward as it stood on one fixed day, evaluated at the end of that day:
# built from today, a run that crossed midnight between loading and asking would fail.
DAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def ward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("flags")
    path, record_file = folder / "w.sqlite", folder / "demo.json"
    record_file.write_text(json.dumps(demo_ward(DAY)), encoding="utf-8")
    done = run("--db", str(path), "import", str(record_file))
    assert done.returncode == 0, done.stderr
    return path


def flags_json(ward: Path, *args: str) -> dict[str, Any]:
    if "--at" not in args:
        args = ("--at", DAY.isoformat(), *args)
    done = run("--db", str(ward), "flags", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_json_has_the_shape_of_the_interface(ward: Path) -> None:
    data = flags_json(ward)
    assert set(data) == {"evaluated_at", "patients"}
    datetime.fromisoformat(data["evaluated_at"])
    assert len(data["patients"]) == 12
    for patient in data["patients"]:
        assert {"mrn", "gestational_age", "latest_count", "response", "flags"} <= set(patient)
        assert set(patient["response"]) == {
            "status",
            "confirmed",
            "course_day",
            "baseline",
            "time_to_response_days",
        }
        assert patient["response"]["status"] in {
            "not_on_treatment",
            "too_early",
            "response",
            "complete_response",
            "no_response",
            "loss_of_response",
        }
        for flag in patient["flags"]:
            assert set(flag) == {"code", "severity", "message", "source"}
            assert flag["severity"] in {"critical", "warning", "info"}
            assert flag["message"] and flag["source"]


def test_a_non_responder_near_term(ward: Path) -> None:
    [chloe] = flags_json(ward, "--mrn", "DEMO-03")["patients"]
    assert chloe["gestational_age"] == "37+1"
    assert chloe["latest_count"]["value"] == 21.0
    assert chloe["response"] == {
        "status": "no_response",
        "confirmed": False,
        "course_day": 19,
        "baseline": 12.0,
        "time_to_response_days": None,
    }
    codes = [f["code"] for f in chloe["flags"]]
    assert codes == [
        "DELIVERY_BELOW_CUTOFF",
        "NON_RESPONSE",
        "PLT_BELOW_TREATMENT",
        "NEURAXIAL_BELOW_CUTOFF",
    ]
    assert chloe["flags"][0]["message"].startswith("latest count 21 on ")
    assert "below the delivery cutoff of 50 at 37+1" in chloe["flags"][0]["message"]


def test_a_delivered_woman_has_no_gestational_age_but_her_age_at_delivery(ward: Path) -> None:
    [hannah] = flags_json(ward, "--mrn", "DEMO-08")["patients"]
    assert hannah["gestational_age"] is None
    assert re.fullmatch(r"\d{2}\+[0-6]", hannah["age_at_delivery"])
    [chloe] = flags_json(ward, "--mrn", "DEMO-03")["patients"]
    assert chloe["age_at_delivery"] is None
    assert [f["code"] for f in hannah["flags"]] == ["NEONATAL_LOW"]


def test_at_a_date_means_the_end_of_that_day(ward: Path) -> None:
    day = (DAY - timedelta(days=30)).isoformat()
    data = flags_json(ward, "--at", day, "--mrn", "DEMO-06")
    assert data["evaluated_at"] == f"{day}T23:59:59"
    [fatima] = data["patients"]
    assert fatima["latest_count"] is None  # her first count came later
    assert fatima["response"]["status"] == "not_on_treatment"


def test_an_unknown_mrn_is_refused(ward: Path) -> None:
    done = run("--db", str(ward), "flags", "--mrn", "NOPE")
    assert done.returncode == 1
    assert "NOPE is not in the database" in done.stderr


def test_a_malformed_time_is_a_usage_error(ward: Path) -> None:
    done = run("--db", str(ward), "flags", "--at", "yesterday")
    assert done.returncode == 2
    assert "'yesterday' is not a date" in done.stderr


def test_the_table_lists_the_most_urgent_first(ward: Path) -> None:
    done = run("--db", str(ward), "flags", "--at", DAY.isoformat())
    assert done.returncode == 0, done.stderr
    blocks = [b for b in done.stdout.split("\n\n") if b.startswith("DEMO-")]
    assert len(blocks) == 12
    first_lines = [b.splitlines()[1] for b in blocks]
    severities = [line.split()[0] for line in first_lines]
    rank = {"CRITICAL": 0, "WARNING": 1, "INFO": 2, "no": 3}
    assert [rank[s] for s in severities] == sorted(rank[s] for s in severities)
    assert "DEMO-12" in blocks[-1] and "no flags" in blocks[-1]
