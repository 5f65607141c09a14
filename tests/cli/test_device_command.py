"""`itp-monitor device`: this database's device id and name, and renaming it.

Run as `python -m itp_monitor` from this source tree, so that the command is tested
before the package is reinstalled.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_from_source

run = run_from_source


def test_device_prints_its_id_and_name_and_a_rename_keeps_the_id(tmp_path: Path) -> None:
    db = str(tmp_path / "laptop.sqlite")
    assert run("--db", db, "demo").returncode == 0
    shown = run("--db", db, "device", "--json")
    assert shown.returncode == 0, shown.stderr
    before = json.loads(shown.stdout)
    assert set(before) == {"device", "name"} and len(before["device"]) == 36 and before["name"]

    renamed = run("--db", db, "device", "--name", "Clinic laptop 2", "--json")
    assert renamed.returncode == 0, renamed.stderr
    assert json.loads(renamed.stdout) == {"device": before["device"], "name": "Clinic laptop 2"}
    plain = run("--db", db, "device")
    assert plain.stdout.strip() == f"Clinic laptop 2 ({before['device']})"

    other = run("--db", str(tmp_path / "ward.sqlite"), "device", "--name", "Ward", "--json")
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout)["device"] != before["device"]


def test_a_blank_name_is_refused_in_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "w.sqlite")
    refused = run("--db", db, "device", "--name", " ")
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "itp-monitor device: refused, nothing was saved: name: is empty; "
        "give a name, e.g. Clinic laptop 2"
    )
    assert "Traceback" not in refused.stderr


def test_showing_the_device_of_no_database_creates_none(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite"
    shown = run("--db", str(path), "device")
    assert shown.returncode == 1
    assert "no database" in shown.stderr
    assert not path.exists()
