"""What each write says it changed, and the watch for changes made elsewhere: another
program's saves, in the same terms, never this one's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from helpers import NOW, USER

from itp_monitor.domain.records import Delivery, PatientDetails, PlateletCount
from itp_monitor.services.changes import ChangeWatch
from itp_monitor.services.container import Services
from itp_monitor.services.results import Changes, PatientInfo, Setting
from itp_monitor.storage.models import AuditEntry


@pytest.fixture
def watch(services: Services) -> Iterator[ChangeWatch]:
    watch = services.watch_changes()
    yield watch
    watch.close()


def her_records(patient: int, *kinds: str) -> Changes:
    return Changes(patients=frozenset({patient}), kinds=frozenset(kinds))


def her_details(patient: int) -> Changes:
    return Changes(patients=frozenset({patient}), details=frozenset({patient}))


def test_a_record_saved_corrected_or_voided_changed_her_records_of_its_kind(
    services: Services, patient: PatientInfo
) -> None:
    records = services.records
    saved = records.record(patient.id, PlateletCount(NOW - timedelta(hours=2), 40.0))
    assert saved.changes == her_records(patient.id, "platelet_count")
    corrected = records.correct(saved.id, PlateletCount(saved.record.at, 41.0), "misread")
    assert corrected.changes == her_records(patient.id, "platelet_count")
    voided = records.void(PlateletCount, corrected.id, "clotted")
    assert voided.changes == her_records(patient.id, "platelet_count")
    delivered = records.record(patient.id, Delivery(NOW - timedelta(hours=1), "vaginal"))
    assert delivered.changes == her_records(patient.id, "delivery")
    assert not saved.changes.judging  # nobody else is judged otherwise


def test_admitting_correcting_archiving_and_restoring_changed_her_details(
    services: Services, patient: PatientInfo
) -> None:
    patients = services.patients
    assert patient.changes == her_details(patient.id)
    heavier = PatientDetails(patient.mrn, patient.name, patient.edd, weight_kg=70.0)
    assert patients.correct(patient.id, heavier, "weighed").changes == her_details(patient.id)
    assert patients.archive(patient.id, "discharged").changes == her_details(patient.id)
    assert patients.restore(patient.id, "readmitted").changes == her_details(patient.id)


def test_a_protocol_change_changes_how_every_woman_is_judged(services: Services) -> None:
    changes = services.protocol.change("neuraxial_min", 90, "local policy").changes
    assert changes.settings == {Setting.PROTOCOL} and changes.judging
    assert not changes.patients


def test_a_whole_file_or_the_demonstration_ward_changes_everything(services: Services) -> None:
    assert services.demo.load().changes.everything
    data = {
        "format": "itp-monitor/1",
        "patients": [{"mrn": "F1", "name": "Fay Orr", "edd": "2027-01-05"}],
    }
    assert services.exchange.import_data(data).changes.judging


def test_a_save_made_here_is_not_reported_back_but_one_made_elsewhere_is(
    services: Services, elsewhere: Services, watch: ChangeWatch
) -> None:
    patient = services.patients.add(PatientDetails("W1", "Ann Lee", date(2027, 1, 5)))
    services.records.record(patient.id, PlateletCount(NOW - timedelta(hours=2), 40.0))
    assert not watch.poll().any  # the screen that saved it has shown it

    elsewhere.records.record(patient.id, PlateletCount(NOW - timedelta(hours=1), 42.0))
    assert watch.poll() == her_records(patient.id, "platelet_count")  # as a save here says
    assert not watch.poll().any  # each change is reported once


def test_the_watch_says_what_another_program_changed_as_a_write_here_would(
    elsewhere: Services, watch: ChangeWatch
) -> None:
    admitted = elsewhere.patients.add(PatientDetails("W3", "Cleo Ray", date(2027, 2, 1)))
    assert watch.poll() == admitted.changes
    elsewhere.patients.archive(admitted.id, "moved to another unit")
    assert watch.poll() == her_details(admitted.id)
    state = elsewhere.protocol.change("neuraxial_min", 90, "local policy")
    assert watch.poll() == state.changes


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
