"""`itp-monitor sync OTHER` and `itp-monitor conflicts`, as another program or a script on a
clinic laptop runs them (interfaces.md, "Sync between databases").

Run as `python -m itp_monitor` from this source tree, so that the commands are tested
before the package is reinstalled.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import run_from_source

run = run_from_source


@pytest.fixture
def ward(tmp_path: Path) -> str:
    db = str(tmp_path / "ward.sqlite")
    assert run("--db", db, "demo").returncode == 0
    return db


def _digest(path: Path) -> bytes:
    return path.read_bytes()


def test_a_sync_to_a_usb_file_creates_it_and_a_second_sync_sends_nothing(
    ward: str, tmp_path: Path
) -> None:
    usb = tmp_path / "usb" / "carry.sqlite"
    first = run("--db", ward, "sync", str(usb), "--json")
    assert first.returncode == 0, first.stderr
    figures = json.loads(first.stdout)
    assert set(figures) == {"sent", "received", "new_conflicts", "open_conflicts"}
    assert figures["sent"] > 0 and figures["received"] == 0
    assert (figures["new_conflicts"], figures["open_conflicts"]) == (0, 0)
    assert usb.exists()

    again = run("--db", str(usb), "sync", ward, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {
        "sent": 0,
        "received": 0,
        "new_conflicts": 0,
        "open_conflicts": 0,
    }
    # in words, for a person: what was done, in a line or two, with no traceback
    words = run("--db", ward, "sync", str(usb))
    assert words.returncode == 0, words.stderr
    assert words.stdout.startswith("Synchronised with ")
    assert "sent 0 records, received 0 records." in words.stdout
    assert "Traceback" not in words.stderr


def test_a_conflict_made_apart_is_listed_on_both_sides(ward: str, tmp_path: Path) -> None:
    laptop = str(tmp_path / "laptop.sqlite")
    assert run("--db", ward, "sync", laptop).returncode == 0
    # the same woman's count entered at one time on each device, with different values
    for db, value in ((ward, "41"), (laptop, "14")):
        lab = tmp_path / f"lab-{value}.csv"
        lab.write_text(f"mrn,collected_at,platelets\nDEMO-01,2026-11-20T08:00,{value}\n")
        done = run("--db", db, "import-labs", str(lab), "--yes", "--unit", "10^9/L")
        assert done.returncode == 0, done.stderr
    synced = run("--db", laptop, "sync", ward, "--json")
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["new_conflicts"] == 1
    listed = [run("--db", db, "conflicts", "--json") for db in (ward, laptop)]
    for done in listed:
        assert done.returncode == 0, done.stderr
    ward_list, laptop_list = (json.loads(d.stdout)["conflicts"] for d in listed)
    assert ward_list == laptop_list and len(ward_list) == 1
    conflict = ward_list[0]
    assert conflict["mrn"] == "DEMO-01" and conflict["kind"] == "platelet_count"
    assert conflict["what"] == "entered on two devices"
    assert {"id", "detected_at"} <= set(conflict)
    plain = run("--db", ward, "conflicts")
    assert plain.stdout.startswith("DEMO-01: platelet count entered on two devices")


def test_a_newer_database_is_refused_in_one_line_and_neither_side_changes(
    ward: str, tmp_path: Path
) -> None:
    newer = tmp_path / "newer.sqlite"
    assert run("--db", ward, "sync", str(newer)).returncode == 0
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    connection.close()
    before = _digest(Path(ward)), _digest(newer)
    refused = run("--db", ward, "sync", str(newer))
    assert refused.returncode == 1
    assert "newer version of ITP Monitor" in refused.stderr
    assert "nothing was changed on either side" in refused.stderr.lower()
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert (_digest(Path(ward)), _digest(newer)) == before


def test_a_folder_or_an_unusable_url_is_refused_in_one_line(ward: str, tmp_path: Path) -> None:
    for other in (str(tmp_path), "nosuchdriver://host/db", "", "sqlite://", "sqlite:///:memory:"):
        refused = run("--db", ward, "sync", other)
        assert refused.returncode == 1, other
        assert refused.stderr.startswith("itp-monitor sync: ")
        assert "nothing was changed on either side" in refused.stderr.lower()
        assert "Traceback" not in refused.stderr


def test_the_conflicts_of_a_database_that_never_synced_are_none(ward: str) -> None:
    done = run("--db", ward, "conflicts", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"conflicts": []}
    assert run("--db", ward, "conflicts").stdout.strip() == "No open conflicts."
