"""Every SQLite connection is set up as the storage rules ask, and writers queue, not fail."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from itp_monitor.services.results import PatientInfo
from itp_monitor.storage.database import Database


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
                "INSERT INTO protocol_settings (key, value, set_at_utc, set_by, reason) "
                "VALUES ('delivery_min', 60, '2026-01-01', 'x', 'test')"
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
    now = datetime(2026, 11, 25, 12, 0)
    services = build_services(Database(resolve_location(path)), user=f"writer{first}",
                              clock=lambda: now)
    while not go.exists():
        time.sleep(0.005)
    for i in range(first, first + 500):
        count = PlateletCount(now - timedelta(minutes=i), float(i % 1500), "lab")
        services.records.record(patient_id, count)
    """
)


@pytest.mark.slow
def test_two_processes_writing_500_counts_each_at_once_keep_all_1000(
    db: Database, db_path: Path, patient: PatientInfo, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), str(patient.id), str(first), str(go)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for first in (0, 500)
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
    assert counts == 1000
    assert dict(audited) == {"writer0": 500, "writer500": 500}
