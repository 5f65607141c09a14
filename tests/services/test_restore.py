"""Restore as a ward needs it: a backup put back whole (every version, status, audit entry
and setting as the backup held them, plus the entry that records the restore), the
database as it was kept beside it and still usable, a damaged database moved aside and
never deleted, and a backup that cannot be used refused with nothing changed."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from helpers import NOW, USER, count
from storage.test_migrations import SEED_ROWS

from itp_monitor.domain.records import PlateletCount
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.restore import (
    BackupSummary,
    RestoreRefused,
    backups_of,
    check,
    restore,
    summary,
)
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import HEAD_REVISION, upgrade

TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
RESTORE_ROWS = {"audit_entries": 1, "audit_chain": 1}  # what a restore adds: its entry


def rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as SQLite holds it, in the order it was written."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        names = [n for (n,) in connection.execute(TABLES)]
        return {
            n: connection.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names
        }


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def opened(path: Path) -> Services:
    return build_services(Database(resolve_location(str(path))), USER, lambda: NOW)


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    return services


def _newest_count(services: Services, mrn: str) -> tuple[int, int, PlateletCount]:
    patient = services.patients.find(mrn)
    assert patient is not None
    stored = services.patients.records(patient.id).counts[-1]
    return patient.id, stored.id, stored.record


def change_everything(services: Services, folder: Path) -> None:
    """After the backup: a count recorded, one corrected, one voided, a woman archived,
    a protocol setting and the device's name changed, a preference set."""
    patient_id, stored_id, record = _newest_count(services, "DEMO-01")
    services.records.record(patient_id, count(77, hours=0.5), confirmed=True)
    services.records.correct(
        stored_id, PlateletCount(record.collected_at, 55, record.source), "misread", confirmed=True
    )
    _, other_id, _ = _newest_count(services, "DEMO-02")
    services.records.void(PlateletCount, other_id, "entered on the wrong woman")
    services.patients.archive(patient_id, "delivered and discharged")
    services.protocol.change("delivery_min", 60, "the unit's anaesthetists asked")
    services.device.rename("Ward workstation 2")
    (folder / "usb").mkdir()
    services.backups.set_second_folder(folder / "usb")


@pytest.fixture
def restored(ward: Services, db_path: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The ward backed up, changed in every way, then the backup restored."""
    backup = ward.backups.take().path
    change_everything(ward, tmp_path)
    ward.db.dispose()
    before = rows(db_path)
    done = restore(db_path, backup, user="nurse.restore", clock=lambda: NOW)
    yield {"backup": backup, "before": before, "done": done}


def test_a_restore_brings_back_every_row_of_the_backup_and_records_itself(
    restored: dict[str, Any], db_path: Path
) -> None:
    backup, done = restored["backup"], restored["done"]
    held, now = rows(backup), rows(db_path)
    assert set(now) == set(held)
    for table in held:
        added = RESTORE_ROWS.get(table, 0)
        assert now[table][: len(now[table]) - added] == held[table], table
        assert len(now[table]) == len(held[table]) + added, table
    assert now != restored["before"]  # the changes made after the backup are gone
    entry = opened(db_path).trail.entries()[-1]
    assert (entry.action, entry.user, entry.mrn, entry.record) == (
        "restore_backup",
        "nurse.restore",
        None,
        None,
    )
    assert entry.after == {"backup": backup.name, "set_aside": done.set_aside.name}
    assert done.backup.women == 13 and done.set_aside.parent == db_path.parent
    assert done.set_aside.name.startswith("ward-set-aside-") and not done.moved


def test_the_restored_database_passes_itp_monitors_own_check(
    restored: dict[str, Any], db_path: Path
) -> None:
    services = opened(db_path)
    try:
        report = services.check.full()
        assert report.ok, report.problems
        assert services.device.this().name != "Ward workstation 2"
        assert services.backups.second_folder() is None
        archived = services.patients.find("DEMO-01")
        assert archived is not None and not archived.archived
    finally:
        services.db.dispose()


def test_the_database_as_it_was_is_set_aside_whole_and_still_opens(
    restored: dict[str, Any],
) -> None:
    set_aside = restored["done"].set_aside
    assert rows(set_aside) == restored["before"]
    services = opened(set_aside)
    try:
        assert services.device.this().name == "Ward workstation 2"
        assert services.check.full().ok
    finally:
        services.db.dispose()


def test_a_program_with_the_database_open_reads_the_restored_records(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    backup = ward.backups.take().path
    ward.device.rename("Renamed after the backup")
    restore(db_path, backup, user=USER, clock=lambda: NOW)
    ward.db.engine.dispose()  # the app does this after a restore: new connections
    assert ward.device.this().name != "Renamed after the backup"
    assert ward.check.full().ok


def test_a_database_that_cannot_be_opened_is_moved_aside_with_its_wal_never_deleted(
    ward: Services, db_path: Path
) -> None:
    backup = ward.backups.take().path
    ward.db.dispose()
    with db_path.open("r+b") as file:  # its header overwritten: SQLite cannot open it
        file.write(b"\x00" * 100)
    wal = db_path.with_name(db_path.name + "-wal")
    wal.write_bytes(b"what the damaged database had not yet checkpointed")
    damaged, damaged_wal = digest(db_path), digest(wal)
    done = restore(db_path, backup, user=USER, clock=lambda: NOW)
    assert done.moved and done.set_aside is not None
    assert digest(done.set_aside) == damaged
    assert digest(done.set_aside.with_name(done.set_aside.name + "-wal")) == damaged_wal
    assert not wal.exists() or wal.stat().st_size == 0  # none of it replayed into the restored
    services = opened(db_path)
    try:
        assert services.check.full().ok
        assert len(services.patients.summaries(include_archived=True)) == 13
    finally:
        services.db.dispose()


def test_a_restore_where_there_is_no_database_puts_the_backup_there(
    ward: Services, tmp_path: Path
) -> None:
    backup = ward.backups.take().path
    new = tmp_path / "new-laptop" / "itp-monitor.sqlite"
    new.parent.mkdir()
    done = restore(new, backup, user=USER, clock=lambda: NOW)
    assert done.set_aside is None
    assert rows(new)["patients"] == rows(backup)["patients"]


def _damaged_copy(backup: Path, folder: Path) -> Path:
    broken = folder / backup.name
    data = bytearray(backup.read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle : middle + page] = b"\xa5" * page
    broken.write_bytes(bytes(data))
    return broken


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("damaged", "is damaged"),
        ("not a database", "cannot be used: it is not a database file"),
        ("another program's", "is not an ITP Monitor"),
        ("newer", "was written by a newer version of ITP Monitor (schema 0099_future;"),
        ("missing", "there is no backup at"),
    ],
)
def test_a_backup_that_cannot_be_used_is_refused_and_nothing_changes(
    ward: Services, db_path: Path, tmp_path: Path, kind: str, said: str
) -> None:
    backup = ward.backups.take().path
    folder = tmp_path / "given"
    folder.mkdir()
    if kind == "damaged":
        given = _damaged_copy(backup, folder)
    elif kind == "not a database":
        given = folder / "notes.sqlite"
        given.write_text("shopping list\n" * 500)
    elif kind == "another program's":
        given = folder / "other.sqlite"
        with closing(sqlite3.connect(given)) as other:
            other.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY)")
    elif kind == "newer":
        given = folder / backup.name
        given.write_bytes(backup.read_bytes())
        with closing(sqlite3.connect(given)) as newer:
            newer.execute("UPDATE alembic_version SET version_num = '0099_future'")
            newer.commit()
    else:
        given = folder / "gone.sqlite"
    ward.db.dispose()
    was = digest(db_path)
    siblings = sorted(p.name for p in db_path.parent.iterdir())
    with pytest.raises(RestoreRefused, match="^.*" + said.replace("(", r"\(")) as refused:
        restore(db_path, given, user=USER, clock=lambda: NOW)
    assert "\n" not in str(refused.value)
    assert digest(db_path) == was
    assert sorted(p.name for p in db_path.parent.iterdir()) == siblings  # nothing set aside


def test_the_database_itself_is_not_a_backup_of_it(ward: Services, db_path: Path) -> None:
    with pytest.raises(RestoreRefused, match="is the database itself"):
        restore(db_path, db_path, user=USER, clock=lambda: NOW)


def test_a_backup_of_an_older_version_is_brought_to_this_one(db_path: Path, tmp_path: Path) -> None:
    older = tmp_path / "older" / "ward-backup-20260101T080000.sqlite"
    older.parent.mkdir()
    db = Database(resolve_location(str(older)))
    upgrade(db, "0006_sync")
    with db.engine.begin() as connection:
        from sqlalchemy import text

        for table, seeded in SEED_ROWS["0006_sync"].items():
            for row in seeded:
                columns = ", ".join(f'"{c}"' for c in row)
                values = ", ".join(f":{c}" for c in row)
                connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)
    db.dispose()
    found, revision = check(older)
    assert revision == "0006_sync" and found.women == len(SEED_ROWS["0006_sync"]["patients"])
    done = restore(db_path, older, user=USER, clock=lambda: NOW)
    assert done.upgraded_from == "0006_sync"
    with closing(sqlite3.connect(db_path)) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (HEAD_REVISION,)
        ]
    services = opened(db_path)
    try:
        # the seeded rows have no audit entries of their own: that part of the check fails
        assert [e.action for e in services.trail.entries()][-1] == "restore_backup"
        assert len(services.patients.summaries(include_archived=True)) == found.women
    finally:
        services.db.dispose()


def test_the_list_reads_each_backup_read_only_time_size_women_and_records(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    first = ward.backups.take().path
    patient_id, _, _ = _newest_count(ward, "DEMO-01")
    ward.records.record(patient_id, count(90, hours=0.2), confirmed=True)
    usb = tmp_path / "usb"
    usb.mkdir()
    ward.backups.set_second_folder(usb)
    ward.backups.clock = lambda: NOW.replace(minute=30)
    second, third = (b.path for b in ward.backups.take_all().taken)
    (usb / "ward-backup-20260101T000000.sqlite").write_text("not a backup at all")
    before = sorted(p.name for p in [*first.parent.iterdir(), *usb.iterdir()])
    listed = backups_of(ward.backups.folders(), "ward")
    assert [s.path for s in listed[:3]] in ([second, third, first], [third, second, first])
    newest = listed[0]
    assert isinstance(newest, BackupSummary)
    assert (newest.women, newest.records, newest.problem) == (13, 207, None)
    assert listed[2].records == 206 and listed[2].taken_at == NOW
    assert newest.size == newest.path.stat().st_size and newest.device is not None
    assert listed[-1].problem == "it is not a database file" and listed[-1].women is None
    after = sorted(p.name for p in [*first.parent.iterdir(), *usb.iterdir()])
    assert after == before  # nothing left beside the files read
    assert summary(first).records == 206
