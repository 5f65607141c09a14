"""Check database: every way of changing the file past the app that issue 11 measured is
named by the check, with the right problem; an untouched ward is sound.

The tampering is done as someone with the file would do it: Python's sqlite3 module with
its defaults (no recursive triggers, no foreign keys), not through the app's connections.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import NOW, count, run_from_source
from postgres import on_both_databases

from itp_monitor.domain.records import PlateletCount
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.results import PatientInfo
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import upgrade


@pytest.fixture
def ward(services: Services, patient: PatientInfo) -> Services:
    """A woman with counts: one corrected, one voided; and the demonstration ward."""
    services.demo.load()
    first = services.records.record(patient.id, count(42, hours=6))
    services.records.record(patient.id, count(35, hours=4))
    wrong = services.records.record(patient.id, count(12, hours=3), confirmed=True)
    services.records.correct(first.id, count(44, hours=6), "misread the slip", confirmed=True)
    services.records.void(PlateletCount, wrong.id, "wrong woman")
    services.patients.correct(patient.id, replace(patient.details, weight_kg=70.0), "weighed again")
    return services


def _path(services: Services) -> Path:
    path = services.db.location.path
    assert path is not None
    return path


def _tamper(services: Services, *statements: str) -> None:
    with closing(sqlite3.connect(_path(services))) as raw:
        for sql in statements:
            raw.execute(sql)
        raw.commit()


def _checks(services: Services) -> set[str]:
    report = services.check.full()
    assert not report.ok
    return {p.check for p in report.problems}


@on_both_databases
def test_a_ward_used_as_staff_use_it_is_sound(ward: Services) -> None:
    report = ward.check.full()
    assert report.ok, report.problems
    assert report.entries > 200 and report.records > 200
    assert ward.check.quick().ok


def _first_count(services: Services) -> int:
    with closing(sqlite3.connect(_path(services))) as raw:
        return int(raw.execute("SELECT min(id) FROM platelet_counts").fetchone()[0])


TAMPERING: dict[str, tuple[Callable[[Services], list[str]], set[str], str]] = {
    # an audit entry rewritten by REPLACE, which skips the delete guard without
    # recursive triggers: its link no longer matches
    "audit entry rewritten": (
        lambda s: [
            "INSERT OR REPLACE INTO audit_entries SELECT id, at_utc, 'someone else', action, "
            "entity, record_id, original_id, patient_id, before, after, reason, record_uid, "
            "uid, device FROM audit_entries WHERE id = 5"
        ],
        {"audit_chain"},
        "audit entry 5: the entry differs from what was linked",
    ),
    # a count's value rewritten by REPLACE: it no longer holds what its entry recorded
    "count rewritten": (
        lambda s: [
            "INSERT OR REPLACE INTO platelet_counts SELECT id, patient_id, collected_at, 99, "
            "source, accession, status, supersedes_id, entered_at_utc, entered_by, uid, device "
            f"FROM platelet_counts WHERE id = {_first_count(s)}"
        ],
        {"audit_records"},
        "value differ from the audit entry that recorded it",
    ),
    # a count voided with no entry, its guard dropped first
    "count voided silently": (
        lambda s: [
            "DROP TRIGGER platelet_counts_status_audited",
            f"UPDATE platelet_counts SET status = 'voided' WHERE id = {_first_count(s)}",
        ],
        {"guards", "audit_records"},
        "is voided; no audit entry did it",
    ),
    # a count and its entry inserted by hand: the entry has no link
    "count and entry inserted": (
        lambda s: [
            "INSERT INTO platelet_counts (patient_id, collected_at, value, source, status, "
            "entered_at_utc, entered_by, uid, device) SELECT patient_id, collected_at, 150, "
            "source, 'current', entered_at_utc, entered_by, 'forged-count', device "
            "FROM platelet_counts WHERE id = 1",
            "INSERT INTO audit_entries (at_utc, user, action, entity, record_id, patient_id, "
            "after, uid, device) SELECT at_utc, user, 'create', 'platelet_count', "
            "(SELECT max(id) FROM platelet_counts), patient_id, '{\"value\": 150}', "
            "'forged-entry', device FROM audit_entries WHERE id = 1",
        ],
        {"audit_chain", "audit_records"},
        "the entry has no link: it was not written by the app",
    ),
    # a woman's details edited in place
    "patient edited": (
        lambda s: ["UPDATE patients SET name = 'Someone Else' WHERE mrn = 'A1001'"],
        {"patients"},
        "patient A1001: name differ from her audit entries",
    ),
    # a woman's registration linked into another's in place, which takes her off the board
    "patient linked away": (
        lambda s: [
            "UPDATE patients SET linked_into = (SELECT uid FROM patients WHERE mrn = 'DEMO-01') "
            "WHERE mrn = 'A1001'"
        ],
        {"patients"},
        "patient A1001: linked_into differ from her audit entries",
    ),
    # a guard dropped
    "guard dropped": (
        lambda s: ["DROP TRIGGER audit_entries_no_update"],
        {"guards"},
        "the guard audit_entries_no_update is missing",
    ),
    # a count deleted with its guard dropped first and made again as it was
    "count deleted, guard put back": (
        lambda s: [
            "DROP TRIGGER platelet_counts_no_delete",
            f"DELETE FROM platelet_counts WHERE id = {_first_count(s)}",
            _guard_sql(s, "platelet_counts_no_delete"),
        ],
        {"audit_records"},
        "was recorded (its audit entry is there) but is gone",
    ),
    # a count moved to another woman by REPLACE
    "count moved to another woman": (
        lambda s: [
            "INSERT OR REPLACE INTO platelet_counts SELECT id, "
            "(SELECT min(id) FROM patients WHERE id <> c.patient_id), collected_at, value, "
            "source, accession, status, supersedes_id, entered_at_utc, entered_by, uid, device "
            f"FROM platelet_counts c WHERE id = {_first_count(s)}"
        ],
        {"audit_records"},
        "the woman it belongs to differ from the audit entry",
    ),
    # a guard replaced by one of the same name that lets everything through
    "guard made harmless": (
        lambda s: [
            "DROP TRIGGER audit_entries_no_update",
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            "WHEN 0 BEGIN SELECT RAISE(ABORT, 'never'); END",
        ],
        {"guards"},
        "the guard audit_entries_no_update was replaced",
    ),
    # an audit entry deleted, its guard dropped first (foreign keys are off by default)
    "audit entry removed": (
        lambda s: [
            "DROP TRIGGER audit_entries_no_delete",
            "DELETE FROM audit_entries WHERE id = 7",
        ],
        {"guards", "audit_chain", "foreign_keys", "audit_records"},
        "audit entry 7: the entry of this link was removed",
    ),
}


def _guard_sql(services: Services, name: str) -> str:
    with closing(sqlite3.connect(_path(services))) as raw:
        found = raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return str(found[0])


@pytest.mark.parametrize("how", list(TAMPERING))
def test_each_tampering_is_named_by_the_check(ward: Services, how: str) -> None:
    statements, expected, detail = TAMPERING[how]
    _tamper(ward, *statements(ward))
    report = ward.check.full()
    assert {p.check for p in report.problems} == expected
    assert any(detail in p.detail for p in report.problems), report.problems


def test_the_command_names_the_problem_and_the_backup_to_restore(ward: Services) -> None:
    backup = ward.backups.take()
    _tamper(ward, "UPDATE patients SET name = 'Someone Else' WHERE mrn = 'A1001'")
    ran = run_from_source("--db", str(_path(ward)), "check")
    assert ran.returncode == 1, ran.stderr
    assert "patients: patient A1001: name differ from her audit entries" in ran.stdout
    assert f"restore the last good backup, {backup.path}" in ran.stdout
    as_json = run_from_source("--db", str(_path(ward)), "check", "--json")
    found = json.loads(as_json.stdout)
    assert found["ok"] is False and found["backup"] == str(backup.path)
    assert {"check": "patients", "detail": found["problems"][0]["detail"]} in found["problems"]


def test_the_command_says_a_sound_database_is_sound(ward: Services) -> None:
    ran = run_from_source("--db", str(_path(ward)), "check")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "is sound" in ran.stdout
    found = json.loads(run_from_source("--db", str(_path(ward)), "check", "--json").stdout)
    assert found == {"ok": True, "problems": [], "backup": None, "advice": None}


def _damage_a_page(path: Path, page: int) -> None:
    with closing(sqlite3.connect(path)) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = raw.execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as file:
        file.seek(size * page)
        file.write(b"\xa5" * size)


def test_a_damaged_page_is_found_by_the_check_and_by_the_quick_check(ward: Services) -> None:
    path = _path(ward)
    ward.db.dispose()
    pages = path.stat().st_size // 4096
    _damage_a_page(path, pages // 2)
    report = ward.check.full()
    assert "integrity" in {p.check for p in report.problems}, report.problems
    assert not ward.check.quick().ok
    ran = run_from_source("--db", str(path), "check")
    assert ran.returncode == 1 and "Traceback" not in ran.stdout + ran.stderr
    assert "integrity:" in ran.stdout


def test_an_older_schema_is_named_with_what_opening_it_does(ward: Services) -> None:
    _tamper(ward, "UPDATE alembic_version SET version_num = '0006_sync'")
    report = ward.check.full()
    assert [p.check for p in report.problems] == ["schema"]
    assert "upgrades it" in report.advice("")


def test_the_audit_command_lists_every_change_with_its_device(ward: Services) -> None:
    ran = run_from_source("--db", str(_path(ward)), "audit", "--mrn", "A1001", "--json")
    assert ran.returncode == 0, ran.stderr
    entries = json.loads(ran.stdout)["entries"]
    actions = [(e["action"], e["kind"]) for e in entries]
    assert actions.count(("create", "platelet_count")) == 3
    assert ("correct", "platelet_count") in actions and ("void", "platelet_count") in actions
    assert ("correct", "patient") in actions
    voided = next(e for e in entries if e["action"] == "void")
    assert voided["reason"] == "wrong woman" and voided["before"]["value"] == 12
    assert all(e["mrn"] == "A1001" and e["device"] and e["user"] for e in entries)
    text = run_from_source("--db", str(_path(ward)), "audit", "--mrn", "A1001").stdout
    assert "because: misread the slip" in text


@pytest.mark.postgresql
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_entry_rewritten_by_the_owner_of_a_server_database_is_named(ward: Services) -> None:
    """On PostgreSQL the owner can switch a guard off for a moment: the chain still shows."""
    with ward.db.engine.begin() as connection:
        for sql in (
            "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update",
            "UPDATE audit_entries SET reason = 'tidied up' WHERE id = 5",
            "ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update",
        ):
            connection.exec_driver_sql(sql)
    report = ward.check.full()
    assert [(p.check, p.detail) for p in report.problems] == [
        ("audit_chain", "link 5, audit entry 5: the entry differs from what was linked")
    ]


def test_saves_lost_with_the_wal_file_are_named_against_the_newest_backup(ward: Services) -> None:
    """The database goes back to an earlier state (its -wal file deleted after a crash):
    the newest backup holds links past its end that begin the same."""
    earlier = ward.backups.take()
    patient = ward.patients.find("A1001")
    assert patient is not None
    for hours in (2.5, 2, 1.5):
        ward.records.record(patient.id, count(40, hours=hours), confirmed=True)
    later = ward.backups.take()
    path = _path(ward)
    ward.db.dispose()
    for extra in ("-wal", "-shm"):
        path.with_name(path.name + extra).unlink(missing_ok=True)
    path.write_bytes(earlier.path.read_bytes())  # what is left without the -wal file
    report = ward.check.full()
    assert [p.check for p in report.problems] == ["audit_chain"]
    assert "3 entries and what they recorded are missing here" in report.problems[0].detail
    assert report.backup is not None and report.backup.path == later.path
    assert not ward.check.quick().ok  # at start too


def test_the_backup_named_is_one_that_passes_the_check_itself(ward: Services) -> None:
    """A backup taken after the tampering carries it: the one named is from before."""
    good = ward.backups.take()
    _tamper(ward, "UPDATE patients SET name = 'Someone Else' WHERE mrn = 'A1001'")
    ward.backups.clock = lambda: NOW + timedelta(minutes=30)
    carried = ward.backups.take()
    assert carried.path != good.path
    report = ward.check.full()
    assert report.backup is not None and report.backup.path == good.path


def test_a_copied_database_synced_for_the_first_time_keeps_both_chains_sound(
    ward: Services, tmp_path: Path
) -> None:
    """A laptop made by copying the ward's file becomes a device of its own at its first
    sync: the chain, anchored on the database's identity, holds on both sides."""
    copy = tmp_path / "laptop.sqlite"
    with closing(sqlite3.connect(_path(ward))) as source, closing(sqlite3.connect(copy)) as to:
        source.backup(to)
    laptop = build_services(Database(resolve_location(str(copy))), "nurse.laptop", lambda: NOW)
    patient = laptop.patients.find("A1001")
    assert patient is not None
    laptop.records.record(patient.id, count(41, hours=1), confirmed=True)
    laptop.sync.sync(ward.db.location.url)
    for side in (ward, laptop):
        report = side.check.full()
        assert report.ok, report.problems
    laptop.db.dispose()


def test_details_renamed_on_devices_whose_clocks_differ_are_sound(
    ward: Services, tmp_path: Path
) -> None:
    laptop_file = tmp_path / "laptop.sqlite"
    ward.sync.sync(str(laptop_file))
    behind = build_services(
        Database(resolve_location(str(laptop_file))),
        "nurse.laptop",
        lambda: NOW - timedelta(minutes=5),
    )
    here = ward.patients.find("A1001")
    assert here is not None
    ward.patients.correct(here.id, replace(here.details, name="Jane M Doe"), "spelling")
    behind.sync.sync(ward.db.location.url)
    there = behind.patients.find("A1001")
    assert there is not None
    behind.patients.correct(there.id, replace(there.details, name="Jane Mary Doe"), "in full")
    behind.sync.sync(ward.db.location.url)
    for side in (ward, behind):
        assert side.patients.find("A1001").details.name == "Jane Mary Doe"  # type: ignore[union-attr]
        report = side.check.full()
        assert report.ok, report.problems
    behind.db.dispose()


def test_a_database_of_the_previous_version_is_only_said_to_be_older(tmp_path: Path) -> None:
    path = tmp_path / "older.sqlite"
    db = Database(resolve_location(str(path)))
    upgrade(db, "0006_sync")
    db.dispose()
    ran = run_from_source("--db", str(path), "check")
    assert ran.returncode == 1
    assert "schema: the database is at schema 0006_sync, older than" in ran.stdout
    assert "opening it with the app upgrades it" in ran.stdout or "upgrades it" in ran.stdout
    assert ran.stdout.count("\n  ") == 1  # one problem, nothing else


def test_a_file_that_is_not_a_database_is_one_problem_not_an_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"these are not the pages of a database" * 200)
    ran = run_from_source("--db", str(junk), "check", "--json")
    assert "Traceback" not in ran.stderr and "unexpected" not in ran.stderr, ran.stderr
    assert ran.returncode == 1
    found = json.loads(ran.stdout) if ran.stdout else {"ok": None, "stderr": ran.stderr}
    assert found["ok"] is False, found
