"""Record, correct and void every kind of clinical record; the original always stays."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers import USER, audit_total, count, hours_ago
from postgres import on_both_databases

from itp_monitor.domain.records import (
    AdverseEvent,
    BleedingAssessment,
    ClinicalRecord,
    Delivery,
    Injection,
    NeonatalCount,
    PlateletCount,
    Treatment,
)
from itp_monitor.domain.vocab import RecordStatus
from itp_monitor.services.container import Services
from itp_monitor.services.errors import InvalidEntry, NotFound
from itp_monitor.services.results import PatientInfo, PatientRecords

DELIVERY = Delivery(hours_ago(30), "caesarean", "neuraxial", 600)

# a record of each kind, and the same record as corrected
SAMPLES: dict[type[Any], tuple[ClinicalRecord, ClinicalRecord]] = {}
for original, corrected in [
    (count(42, hours=5), replace(count(42, hours=5), value=24.0)),
    (
        Injection(hours_ago(3), 20400, 68.0, "abdomen-left", "TP01", "RN Smith"),
        Injection(hours_ago(3), 20000, 68.0, "abdomen-left", "TP01", "RN Smith"),
    ),
    (
        BleedingAssessment(hours_ago(4), 1, "petechiae"),
        BleedingAssessment(hours_ago(4), 2, "petechiae"),
    ),
    (
        Treatment("ivig", hours_ago(48), hours_ago(24), "1 g/kg"),
        Treatment("ivig", hours_ago(48), hours_ago(20), "1 g/kg"),
    ),
    (DELIVERY, replace(DELIVERY, mode="vaginal", anaesthesia="none")),
    (NeonatalCount(hours_ago(10), 160.0), NeonatalCount(hours_ago(10), 150.0)),
    (
        AdverseEvent(hours_ago(20), "headache", 1, None),
        AdverseEvent(hours_ago(20), "headache", 1, False),
    ),
]:
    SAMPLES[type(original)] = (original, corrected)

LISTED = {
    PlateletCount: "counts",
    Injection: "injections",
    BleedingAssessment: "bleeding",
    Treatment: "treatments",
    NeonatalCount: "neonatal_counts",
    AdverseEvent: "adverse_events",
}


def listed(records: PatientRecords, kind: type[Any]) -> list[ClinicalRecord]:
    if kind is Delivery:
        return [records.delivery.record] if records.delivery else []
    return [s.record for s in getattr(records, LISTED[kind])]


@pytest.fixture(params=list(SAMPLES), ids=lambda k: k.__name__)
def kind(request: pytest.FixtureRequest, services: Services, patient: PatientInfo) -> type[Any]:
    if request.param is NeonatalCount:  # a newborn count needs the delivery before it
        services.records.record(patient.id, DELIVERY)
    return request.param  # type: ignore[no-any-return]


@on_both_databases
def test_a_saved_record_is_listed_and_audited(
    services: Services, patient: PatientInfo, kind: type
) -> None:
    original, _ = SAMPLES[kind]
    saved = services.records.record(patient.id, original)
    assert saved.record == original and saved.status is RecordStatus.CURRENT
    assert listed(services.patients.records(patient.id), kind) == [original]
    entry = services.patients.history(patient.id)[-1]
    assert (entry.action, entry.user, entry.record_id, entry.before) == (
        "create",
        USER,
        saved.id,
        None,
    )
    assert entry.after is not None and set(entry.after) == set(vars(original))


@on_both_databases
def test_a_correction_keeps_the_original_and_says_who_and_why(
    services: Services, patient: PatientInfo, kind: type
) -> None:
    original, corrected = SAMPLES[kind]
    first = services.records.record(patient.id, original)
    second = services.records.correct(first.id, corrected, "typed the wrong figure")
    assert listed(services.patients.records(patient.id), kind) == [corrected]
    versions = services.records.versions(kind, second.id)
    assert [(v.record, v.status) for v in versions] == [
        (original, RecordStatus.CORRECTED),
        (corrected, RecordStatus.CURRENT),
    ]
    assert versions[1].supersedes_id == first.id
    entry = services.patients.history(patient.id)[-1]
    assert entry.action == "correct"
    assert (entry.original_id, entry.record_id) == (first.id, second.id)
    assert (entry.user, entry.reason) == (USER, "typed the wrong figure")
    assert entry.before is not None and entry.after is not None
    changed = {k for k in entry.before if entry.before[k] != entry.after[k]}
    assert changed == {k for k in vars(original) if getattr(original, k) != getattr(corrected, k)}


@on_both_databases
def test_a_void_keeps_the_record_but_it_no_longer_counts(
    services: Services, patient: PatientInfo, kind: type
) -> None:
    original, _ = SAMPLES[kind]
    saved = services.records.record(patient.id, original)
    services.records.void(kind, saved.id, "entered on the wrong patient")
    assert listed(services.patients.records(patient.id), kind) == []
    [kept] = services.records.versions(kind, saved.id)
    assert (kept.record, kept.status) == (original, RecordStatus.VOIDED)
    entry = services.patients.history(patient.id)[-1]
    assert (entry.action, entry.reason, entry.after) == (
        "void",
        "entered on the wrong patient",
        None,
    )
    assert entry.before is not None


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_correcting_or_voiding_needs_a_reason(
    services: Services, patient: PatientInfo, reason: Any
) -> None:
    saved = services.records.record(patient.id, count(42))
    before = audit_total(services.db)
    with pytest.raises(InvalidEntry, match="reason: is missing"):
        services.records.correct(saved.id, count(24), reason)
    with pytest.raises(InvalidEntry, match="reason: is missing"):
        services.records.void(PlateletCount, saved.id, reason)
    assert [s.record.value for s in services.patients.records(patient.id).counts] == [42]
    assert audit_total(services.db) == before


def test_only_the_current_version_can_be_corrected(
    services: Services, patient: PatientInfo
) -> None:
    first = services.records.record(patient.id, count(42))
    services.records.correct(first.id, count(24), "lab phoned a correction")
    with pytest.raises(InvalidEntry, match="already corrected; change the current one"):
        services.records.correct(first.id, count(25), "again")
    with pytest.raises(InvalidEntry, match="already corrected"):
        services.records.void(PlateletCount, first.id, "again")


def test_a_correction_that_changes_nothing_is_refused(
    services: Services, patient: PatientInfo
) -> None:
    first = services.records.record(patient.id, count(42))
    with pytest.raises(InvalidEntry, match="nothing to correct"):
        services.records.correct(first.id, count(42), "checked")


@on_both_databases
def test_a_void_then_a_new_entry_of_the_same_count_is_allowed(
    services: Services, patient: PatientInfo
) -> None:
    first = services.records.record(patient.id, count(42))
    services.records.void(PlateletCount, first.id, "sample clotted")
    services.records.record(patient.id, count(42))
    assert [s.record.value for s in services.patients.records(patient.id).counts] == [42]


def test_a_void_then_a_new_entry_of_the_same_injection_is_allowed(
    services: Services, patient: PatientInfo
) -> None:
    # Neither a duplicate nor a second injection within hours: the voided one does not count.
    given = Injection(hours_ago(2), 20400, 68.0)
    first = services.records.record(patient.id, given)
    services.records.void(Injection, first.id, "entered on the wrong woman")
    services.records.record(patient.id, given)
    assert [s.record for s in services.patients.records(patient.id).injections] == [given]


def test_an_unknown_record_is_reported(services: Services) -> None:
    with pytest.raises(NotFound, match="no platelet count with id 999"):
        services.records.void(PlateletCount, 999, "gone")
    with pytest.raises(NotFound, match="no patient with id 999"):
        services.records.record(999, count(42))


@on_both_databases
def test_the_delivery_cannot_be_voided_while_newborn_counts_follow_it(
    services: Services, patient: PatientInfo
) -> None:
    delivery = services.records.record(patient.id, DELIVERY)
    services.records.record(patient.id, NeonatalCount(hours_ago(10), 160.0))
    with pytest.raises(InvalidEntry, match="newborn counts are recorded after it; void them first"):
        services.records.void(Delivery, delivery.id, "wrong patient")


def test_the_delivery_cannot_be_moved_after_a_newborn_count(
    services: Services, patient: PatientInfo
) -> None:
    delivery = services.records.record(patient.id, DELIVERY)
    services.records.record(patient.id, NeonatalCount(hours_ago(29), 160.0))
    with pytest.raises(InvalidEntry, match=r"delivered_at: .* is after a newborn count"):
        services.records.correct(delivery.id, replace(DELIVERY, delivered_at=hours_ago(28)), "time")


@on_both_databases
def test_patient_details_corrections_are_audited(services: Services, patient: PatientInfo) -> None:
    corrected = replace(patient.details, weight_kg=70.5)
    services.patients.correct(patient.id, corrected, "weighed again on admission")
    assert services.patients.get(patient.id).details.weight_kg == 70.5
    entry = services.patients.history(patient.id)[-1]
    assert entry.before is not None and entry.after is not None
    assert (entry.before["weight_kg"], entry.after["weight_kg"]) == (68.0, 70.5)
    assert (entry.action, entry.reason) == ("correct", "weighed again on admission")


@on_both_databases
def test_an_archived_patient_takes_no_new_records_until_restored(
    services: Services, patient: PatientInfo
) -> None:
    services.patients.archive(patient.id, "discharged after delivery")
    assert [s.patient.mrn for s in services.patients.summaries()] == []
    assert [s.patient.mrn for s in services.patients.summaries(include_archived=True)] == ["A1001"]
    with pytest.raises(InvalidEntry, match="A1001 is archived; restore her"):
        services.records.record(patient.id, count(42))
    services.patients.restore(patient.id, "readmitted")
    services.records.record(patient.id, count(42))
    actions = [e.action for e in services.patients.history(patient.id)]
    assert actions == ["create", "archive", "restore", "create"]


def test_applying_what_a_save_returned_gives_what_is_stored(
    services: Services, patient: PatientInfo, kind: type
) -> None:
    """The app shows its own saves from what they return; that must be what was stored."""
    original, corrected = SAMPLES[kind]
    shown = services.patients.records(patient.id)
    saved = services.records.record(patient.id, original)
    shown = shown.applying(saved)
    assert shown == services.patients.records(patient.id)
    fixed = services.records.correct(saved.id, corrected, "typo")
    shown = shown.applying(fixed)
    assert shown == services.patients.records(patient.id)
    voided = services.records.void(kind, fixed.id, "wrong patient")
    shown = shown.applying(voided)
    assert shown == services.patients.records(patient.id)
