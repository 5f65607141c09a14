"""On a PostgreSQL server, the same transaction rules as on SQLite (storage/postgresql.py):
writers queue behind one lock and give up as busy, a read sees one snapshot."""

from __future__ import annotations

import threading

import pytest
from helpers import count
from sqlalchemy import text

from itp_monitor.services.container import Services
from itp_monitor.services.results import PatientInfo
from itp_monitor.storage.database import Database
from itp_monitor.storage.failures import DatabaseBusy

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]


def test_a_writer_waits_for_the_other_and_gives_up_as_busy(db: Database) -> None:
    impatient = Database(db.location, busy_timeout_ms=200)
    try:
        with db.writing() as first:
            first.execute(text("SELECT 1"))  # a session takes the lock with its first statement
            with pytest.raises(DatabaseBusy), impatient.writing() as session:
                session.execute(text("SELECT 1"))
        with impatient.writing() as session:  # free again once the first has committed
            session.execute(text("SELECT 1"))
    finally:
        impatient.dispose()


def test_a_second_writer_sees_what_the_first_committed_while_it_waited(
    db: Database, services: Services, patient: PatientInfo
) -> None:
    """The write lock is taken before anything is read: no check on a stale view."""
    other = Database(db.location)
    seen: list[int] = []

    def second() -> None:
        with other.writing() as session:
            seen.append(session.execute(text("SELECT count(*) FROM platelet_counts")).scalar_one())

    try:
        with db.writing() as session:
            session.execute(
                text(
                    "INSERT INTO platelet_counts (patient_id, collected_at, value, source, "
                    "status, entered_at_utc, entered_by, uid, device) VALUES "
                    f"({patient.id}, '2026-11-01', 45, 'lab', 'current', '2026-11-01', 'x', "
                    "'u1', 'd1')"
                )
            )
            waiting = threading.Thread(target=second)
            waiting.start()
            waiting.join(0.5)
            assert waiting.is_alive()  # queued behind this writer
        waiting.join(10)
        assert seen == [1]
    finally:
        other.dispose()


def test_a_read_sees_one_snapshot(db: Database, services: Services, patient: PatientInfo) -> None:
    with db.reading() as session:
        before = session.execute(text("SELECT count(*) FROM platelet_counts")).scalar_one()
        services.records.record(patient.id, count(42))  # committed meanwhile, elsewhere
        again = session.execute(text("SELECT count(*) FROM platelet_counts")).scalar_one()
    assert before == again == 0
    with db.reading() as session:
        assert session.execute(text("SELECT count(*) FROM platelet_counts")).scalar_one() == 1
