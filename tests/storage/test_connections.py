"""Every SQLite connection is set up as the storage rules ask, and writers queue, not fail."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from disks import checkpoint, leave_wal_behind, read_only
from postgres import on_both_databases
from sqlalchemy import text

from itp_monitor.services.results import PatientInfo
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.failures import Failure, StorageFailure
from itp_monitor.storage.migrate import ReadOnlyNeedsSetUp, migrate, upgrade


def test_every_connection_reads_back_the_required_settings(db: Database) -> None:
    with db.reading() as session:
        read = {
            name: session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert read["journal_mode"] == "wal"
    assert read["synchronous"] == 2  # FULL
    assert read["foreign_keys"] == 1
    assert read["busy_timeout"] >= 5000


def test_a_second_pooled_connection_has_the_same_settings(db: Database) -> None:
    with db.engine.connect() as first, db.engine.connect() as second:
        for connection in (first, second):
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2


def _other_writer(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=0, isolation_level=None)


def test_a_write_session_holds_the_write_lock_from_its_start(db: Database, db_path: Path) -> None:
    with db.writing() as session:
        session.execute(text("SELECT 1"))  # a read only: BEGIN DEFERRED would take no lock yet
        other = _other_writer(db_path)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    other = _other_writer(db_path)
    other.execute("BEGIN IMMEDIATE")  # free again once the session has committed
    other.execute("ROLLBACK")
    other.close()


def test_a_read_session_leaves_writers_free(db: Database, db_path: Path) -> None:
    with db.reading() as session:
        session.execute(text("SELECT count(*) FROM patients"))
        other = _other_writer(db_path)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()


def test_a_failed_write_session_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(RuntimeError), db.writing() as session:
        session.execute(
            text(
                "INSERT INTO protocol_settings (key, value, set_at_utc, set_by, reason, uid, "
                "device, replaces) "
                "VALUES ('delivery_min', 60, '2026-01-01', 'x', 'test', 'u1', 'd1', '[]')"
            )
        )
        raise RuntimeError("something went wrong half-way")
    with db.reading() as session:
        assert session.execute(text("SELECT count(*) FROM protocol_settings")).scalar() == 0


WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime, timedelta
    from pathlib import Path
    from itp_monitor.domain.records import PlateletCount
    from itp_monitor.services.container import build_services
    from itp_monitor.storage.database import Database, resolve_location

    path, patient_id, first, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    many = int(sys.argv[5])
    now = datetime(2026, 11, 25, 12, 0)
    services = build_services(Database(resolve_location(path)), user=f"writer{first}",
                              clock=lambda: now)
    while not go.exists():
        time.sleep(0.005)
    for i in range(first, first + many):
        # Steady counts (100 to 149): none is a slip the service would ask to confirm.
        count = PlateletCount(now - timedelta(minutes=i), float(100 + i % 50), "lab")
        services.records.record(patient_id, count)
    """
)


@pytest.mark.slow
@on_both_databases
def test_two_processes_writing_counts_at_once_keep_every_one(
    db: Database, patient: PatientInfo, tmp_path: Path
) -> None:
    """500 each on SQLite; on PostgreSQL, where a save is a round trip to the server and the
    write lock an advisory lock, 150 each show the same."""
    many = 500 if db.is_sqlite else 150
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                db.location.url,
                str(patient.id),
                str(first),
                str(go),
                str(many),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for first in (0, many)
    ]
    time.sleep(1.0)  # both have imported and are waiting at the start line
    go.touch()
    errors = [w.communicate(timeout=300)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    with db.reading() as session:
        counts = session.execute(text("SELECT count(*) FROM platelet_counts")).scalar()
        audited = session.execute(
            text("SELECT entered_by, count(*) FROM platelet_counts GROUP BY entered_by")
        ).all()
    assert counts == 2 * many
    assert dict(audited) == {"writer0": many, f"writer{many}": many}


# --- read-only: a database on a read-only disk or share ------------------------------------


def _add_patient(services_db: Database, mrn: str) -> None:
    with services_db.writing() as session:
        session.execute(
            text(
                "INSERT INTO patients (mrn, name, edd, archived, created_at_utc, created_by, "
                "uid, device) VALUES (:mrn, 'Test Patient', '2027-01-10', 0, "
                "'2026-11-25 12:00:00', 'x', :mrn, 'd1')"
            ),
            {"mrn": mrn},
        )


def _mrns(db: Database) -> list[str]:
    with db.reading() as session:
        return list(session.execute(text("SELECT mrn FROM patients ORDER BY mrn")).scalars())


@pytest.mark.parametrize("wal", ["closed cleanly", "with saves still in the WAL"])
def test_a_read_only_disk_is_read_whole_and_a_write_fails_in_the_read_only_words(
    db_path: Path, tmp_path: Path, wal: str
) -> None:
    """On a read-only mount SQLite can make no -shm or -wal: after a clean close it opens
    the file immutable, with a WAL left by a crash it reads through it (tests/disks.py)."""
    writer = Database(resolve_location(str(db_path)))
    _add_patient(writer, "A1")
    writer.dispose()
    checkpoint(db_path)
    if wal != "closed cleanly":
        leave_wal_behind(
            db_path,
            "import sys\nfrom sqlalchemy import text\n"
            "from itp_monitor.storage.database import Database, resolve_location\n"
            "db = Database(resolve_location(sys.argv[1]))\n"
            "with db.writing() as s:\n"
            '    s.execute(text("INSERT INTO patients (mrn, name, edd, archived, created_at_utc,'
            " created_by, uid, device) VALUES ('A2', 'In The Wal', '2027-01-10', 0, '2026-11-25',"
            " 'x', 'A2', 'd1')\"))\n",
        )
    with read_only(db_path.parent) as view:
        path = view / db_path.name
        reader = Database(resolve_location(str(path)).reading_only())
        try:
            assert _mrns(reader) == (["A1"] if wal == "closed cleanly" else ["A1", "A2"])
            with pytest.raises(StorageFailure) as refused:
                _add_patient(reader, "B1")
            assert refused.value.failure is Failure.READ_ONLY
            assert str(refused.value) == f"the database is read-only ({path})"
        finally:
            reader.dispose()


def test_opened_normally_a_read_only_disk_is_refused_before_anything_is_tried(
    db_path: Path,
) -> None:
    with read_only(db_path.parent) as view, pytest.raises(StorageFailure) as refused:
        Database(resolve_location(str(view / db_path.name)))
    assert refused.value.failure is Failure.READ_ONLY


def test_read_only_where_others_may_write_sees_their_latest_saves(db_path: Path) -> None:
    """In a folder others can write, read-only is SQLite's mode=ro, never `immutable`,
    which would go on showing the file as it was when opened."""
    reader = Database(resolve_location(str(db_path)).reading_only())
    writer = Database(resolve_location(str(db_path)))
    try:
        assert _mrns(reader) == []
        _add_patient(writer, "A1")
        assert _mrns(reader) == ["A1"]
        with pytest.raises(StorageFailure):
            _add_patient(reader, "B1")
    finally:
        reader.dispose()
        writer.dispose()


@pytest.mark.parametrize("state", ["empty", "older"])
def test_a_database_opened_read_only_is_never_set_up_or_upgraded(
    tmp_path: Path, state: str
) -> None:
    path = tmp_path / "w.sqlite"
    if state == "empty":
        path.touch()
    else:
        older = Database(resolve_location(str(path)))
        upgrade(older, "0003_covering_indexes")
        older.dispose()
    before = path.read_bytes()
    reader = Database(resolve_location(str(path)).reading_only())
    try:
        with pytest.raises(ReadOnlyNeedsSetUp, match="cannot be done while it is open read-only"):
            migrate(reader)
    finally:
        reader.dispose()
    assert path.read_bytes() == before
