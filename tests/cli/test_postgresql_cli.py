"""The command line against a PostgreSQL URL: the demonstration ward, the flags, and two
workstations saving the same laboratory file at the same moment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from postgres import Server
from sqlalchemy import text

from itp_monitor.storage.database import Database, resolve_location

pytestmark = pytest.mark.postgresql

COMMAND = shutil.which("itp-monitor", path=str(Path(sys.executable).parent)) or "itp-monitor"
DAY = (date.today() - timedelta(days=1)).isoformat()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ITP_MONITOR_DB"}
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env, timeout=120)


def start(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "ITP_MONITOR_DB"}
    return subprocess.Popen(
        [COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


@pytest.fixture
def empty_url(pg_server: Server) -> Iterator[str]:
    """An empty database on the server, as a ward's administrator creates it."""
    pg_server.admin("CREATE DATABASE cli_ward")
    yield pg_server.url("cli_ward")
    pg_server.admin("DROP DATABASE cli_ward WITH (FORCE)")


def test_demo_then_flags_then_two_imports_of_one_file_at_once(
    empty_url: str, tmp_path: Path
) -> None:
    demo = run("--db", empty_url, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "13 patients" in demo.stdout

    flags = run("--db", empty_url, "flags", "--json")
    assert flags.returncode == 0, flags.stderr
    board = json.loads(flags.stdout)
    assert len(board["patients"]) >= 10
    assert any(p["flags"] for p in board["patients"])

    again = run("--db", empty_url, "demo")
    assert again.returncode != 0 and "Traceback" not in again.stderr

    # two workstations save the same file at the same moment: each result once
    labs = tmp_path / "labs.csv"
    labs.write_text(
        "MRN,Collected at,Platelets,Unit,Accession\n"
        + "".join(f"DEMO-01,{DAY} {h:02d}:00,{40 + h},10^9/L,PG-{h}\n" for h in range(0, 20))
    )
    both = [start("--db", empty_url, "import-labs", "--yes", str(labs)) for _ in range(2)]
    outcomes = [(p.wait(timeout=120), *p.communicate()) for p in both]
    assert [o[0] for o in outcomes] == [0, 0], outcomes
    db = Database(resolve_location(empty_url))
    try:
        with db.reading() as session:
            saved = session.execute(
                text("SELECT count(*) FROM platelet_counts WHERE accession LIKE 'PG-%'")
            ).scalar_one()
    finally:
        db.dispose()
    assert saved == 20
