"""The watch for changes made elsewhere: another program's saves, never this one's own."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import NOW, USER

from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.services.container import Services, build_services
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.models import AuditEntry


def test_a_save_made_here_is_not_reported_back_but_one_made_elsewhere_is(
    services: Services, db_path: Path
) -> None:
    patient = services.patients.add(PatientDetails("W1", "Ann Lee", date(2027, 1, 5)))
    watch = services.watch_changes()
    try:
        services.records.record(patient.id, PlateletCount(NOW - timedelta(hours=2), 40.0))
        assert not watch.poll().patients  # the screen that saved it has shown it

        elsewhere = Database(resolve_location(str(db_path)))  # another copy of the app
        try:
            other = build_services(elsewhere, user="nurse.other", clock=lambda: NOW)
            other.records.record(patient.id, PlateletCount(NOW - timedelta(hours=1), 42.0))
        finally:
            elsewhere.dispose()
        assert watch.poll().patients == {patient.id}
        assert not watch.poll().patients  # each change is reported once
    finally:
        watch.close()


def test_an_entry_rolled_back_after_it_was_flushed_is_not_taken_for_one_of_ours(
    services: Services,
) -> None:
    """Its id can be given to another program's entry next, which must not be skipped."""
    with pytest.raises(RuntimeError), services.db.writing() as session:
        entry = AuditEntry(at_utc=NOW, user=USER, action="create", entity="patient")
        session.add(entry)
        session.flush()
        assert entry.id is not None
        raise RuntimeError("the save failed after its audit entry was flushed")
    assert entry.id not in services.db.written_here
    patient = services.patients.add(PatientDetails("W2", "Bea Ng", date(2027, 1, 5)))
    assert services.db.written_here  # a committed save is remembered
    assert patient.id
