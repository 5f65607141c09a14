"""Bad entries are refused, naming field, value and what is accepted; nothing is saved."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import NOW, audit_total, count, hours_ago

from itp_monitor.domain.records import (
    AdverseEvent,
    BleedingAssessment,
    ClinicalRecord,
    Delivery,
    Injection,
    NeonatalCount,
    PatientDetails,
    PlateletCount,
    Treatment,
)
from itp_monitor.services.container import Services
from itp_monitor.services.errors import InvalidEntry, NeedsConfirmation
from itp_monitor.services.lab_import import LabOptions
from itp_monitor.services.record_file import FileRefused
from itp_monitor.services.results import PatientInfo

ACCEPTED: list[ClinicalRecord] = [
    count(0.1),  # the lowest counts are real (0 itself needs a confirmation)
    count(1500),
    count(0.5),
    count(42, hours=0),  # collected this very second
    Injection(hours_ago(1), 13600, 68.0),  # 200 U/kg
    Injection(hours_ago(1), 27200, 68.0),  # 400 U/kg
    Injection(hours_ago(1), 7500, 30.0),  # lightest plausible weight, 250 U/kg
    Injection(hours_ago(1), 75000, 250.0),  # heaviest, 300 U/kg
    BleedingAssessment(hours_ago(1), 0),
    BleedingAssessment(hours_ago(1), 4),
    AdverseEvent(hours_ago(1), "rash", 5, True),
]

REFUSED: list[tuple[ClinicalRecord, str]] = [
    (count(1500.1), r"value: 1,500.1 is above 1,500; a count is a number from 0 to 1,500 ×10⁹/L"),
    (count(-1), r"value: -1 is below 0; a count is a number from 0 to 1,500"),
    (count(45000), r"value: 45,000 is above 1,500.*per-µL value: 45,000/µL is 45 ×10⁹/L"),
    (count(float("nan")), r"value: nan is not a number"),
    (
        PlateletCount(NOW + timedelta(seconds=1), 42.0),
        r"collected_at: 2026-11-25 12:00:01 is in the future \(it is now 2026-11-25 12:00\)",
    ),
    (
        PlateletCount(datetime(1, 1, 1), 42.0),
        r"collected_at: 0001-01-01 00:00 is before 1900-01-01; a time from 1900-01-01 up to now",
    ),
    (
        PlateletCount(datetime(1899, 12, 31, 23, 59), 42.0),
        r"collected_at: 1899-12-31 23:59 is before 1900-01-01",
    ),
    (Injection(datetime(1, 1, 1), 20400, 68.0), r"given_at: 0001-01-01 00:00 is before 1900"),
    (Treatment("ivig", datetime(1000, 5, 1)), r"started_at: 1000-05-01 00:00 is before 1900"),
    (Injection(hours_ago(1), 0, 68.0), r"dose_units: 0 is not a positive whole number of units"),
    (Injection(hours_ago(1), -300, 68.0), r"dose_units: -300 is not a positive whole number"),
    (Injection(hours_ago(1), 20400.5, 68.0), r"dose_units: 20400.5 is not a positive whole number"),  # type: ignore[arg-type]
    (Injection(hours_ago(1), 9000, 29.9), r"weight_kg: 29.9 kg is outside 30–250 kg"),
    (Injection(hours_ago(1), 9000, 250.1), r"weight_kg: 250.1 kg is outside 30–250 kg"),
    (
        Injection(hours_ago(1), 20400, 68.0, site="buttock"),
        r"site: 'buttock' is not one of abdomen-left",
    ),
    (
        Injection(NOW + timedelta(days=1), 20400, 68.0),
        r"given_at: 2026-11-26 12:00 is in the future",
    ),
    (BleedingAssessment(hours_ago(1), 5), r"who_grade: 5 is not a WHO grade \(0 to 4\)"),
    (BleedingAssessment(hours_ago(1), -1), r"who_grade: -1 is not a WHO grade"),
    (
        Treatment("steroid", hours_ago(5)),
        r"kind: 'steroid' is not one of prednisone, dexamethasone",
    ),
    (Treatment("ivig", hours_ago(5), hours_ago(6)), r"ended_at: .* is before the start"),
    (Delivery(hours_ago(5), "forceps"), r"mode: 'forceps' is not one of vaginal, assisted_vaginal"),
    (Delivery(hours_ago(5), "vaginal", "epidural"), r"anaesthesia: 'epidural' is not one of none"),
    (Delivery(hours_ago(5), "vaginal", None, 25000), r"blood_loss_ml: 25000 is not a blood loss"),
    (AdverseEvent(hours_ago(1), " ", 2), r"description: is empty"),
    (AdverseEvent(hours_ago(1), "rash", 6), r"grade: 6 is not a CTCAE grade \(1 to 5\)"),
    (
        NeonatalCount(hours_ago(1), 150.0),
        r"collected_at: no delivery is recorded; record the delivery first",
    ),
]


@pytest.mark.parametrize("record", ACCEPTED, ids=repr)
def test_plausible_values_at_the_limits_are_saved(
    services: Services, patient: PatientInfo, record: ClinicalRecord
) -> None:
    saved = services.records.record(patient.id, record)
    assert saved.record == record


@pytest.mark.parametrize(("record", "message"), REFUSED, ids=lambda x: str(x)[:60])
def test_a_bad_entry_is_refused_clearly_and_nothing_is_saved(
    services: Services, patient: PatientInfo, record: ClinicalRecord, message: str
) -> None:
    before = (services.patients.records(patient.id), audit_total(services.db))
    with pytest.raises(InvalidEntry, match=message):
        services.records.record(patient.id, record)
    assert (services.patients.records(patient.id), audit_total(services.db)) == before


def test_every_problem_of_an_entry_is_reported_at_once(
    services: Services, patient: PatientInfo
) -> None:
    with pytest.raises(InvalidEntry) as refused:
        services.records.record(patient.id, Injection(NOW + timedelta(hours=1), 0, 20.0, "leg"))
    assert [p.field for p in refused.value.problems] == [
        "given_at",
        "dose_units",
        "weight_kg",
        "site",
    ]


@pytest.mark.parametrize("dose", [13500, 27300, 5000, 60000])
def test_a_dose_outside_200_to_400_u_per_kg_needs_confirmation(
    services: Services, patient: PatientInfo, dose: int
) -> None:
    injection = Injection(hours_ago(1), dose, 68.0)
    with pytest.raises(
        NeedsConfirmation, match=r"dose_units: .* U/kg at 68 kg, outside 200–400 U/kg"
    ):
        services.records.record(patient.id, injection)
    assert services.patients.records(patient.id).injections == ()
    saved = services.records.record(patient.id, injection, confirmed=True)
    assert saved.record.dose_units == dose


def test_the_same_count_entered_twice_is_refused(services: Services, patient: PatientInfo) -> None:
    services.records.record(patient.id, count(42))
    with pytest.raises(
        InvalidEntry, match=r"collected_at: a count of 42 at .* is already recorded"
    ):
        services.records.record(patient.id, count(42))
    services.records.record(patient.id, count(43))  # same time, another value: two samples
    services.records.record(patient.id, count(42, hours=3))  # same value, another time


def test_the_same_count_for_another_patient_is_not_a_duplicate(
    services: Services, patient: PatientInfo
) -> None:
    other = services.patients.add(PatientDetails("A1002", "Mary Roe", date(2027, 2, 1)))
    services.records.record(patient.id, count(42))
    services.records.record(other.id, count(42))


def test_a_newborn_count_before_the_delivery_is_refused(
    services: Services, patient: PatientInfo
) -> None:
    services.records.record(patient.id, Delivery(hours_ago(5), "vaginal"))
    with pytest.raises(InvalidEntry, match=r"collected_at: .* is before the delivery"):
        services.records.record(patient.id, NeonatalCount(hours_ago(6), 150.0))
    services.records.record(patient.id, NeonatalCount(hours_ago(5), 150.0))  # cord blood at birth


def test_a_second_delivery_is_refused(services: Services, patient: PatientInfo) -> None:
    services.records.record(patient.id, Delivery(hours_ago(5), "vaginal"))
    with pytest.raises(InvalidEntry, match=r"a delivery is already recorded .* correct that one"):
        services.records.record(patient.id, Delivery(hours_ago(4), "caesarean"))


PATIENT_REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"mrn": " "}, r"mrn: is empty"),
    ({"mrn": " A1 "}, r"mrn: ' A1 ' has spaces at the start or end"),
    ({"name": ""}, r"name: is empty"),
    ({"weight_kg": 25.0}, r"weight_kg: 25 kg is outside 30–250 kg"),
    ({"date_of_birth": date(2027, 1, 1)}, r"date_of_birth: 2027-01-01 is in the future"),
    (
        {"date_of_birth": date(1899, 12, 31)},
        r"date_of_birth: 1899-12-31 is before 1900-01-01; a date of birth from 1900-01-01",
    ),
    (
        {"edd": date(1, 1, 1)},
        r"edd: 0001-01-01 is before 1900-01-01; an EDD from 1900-01-01 to 2027-09-21 "
        r"\(300 days from today\) is accepted",
    ),
    ({"edd": date(1899, 12, 31)}, r"edd: 1899-12-31 is before 1900-01-01"),
    (
        {"edd": date(9999, 12, 31)},
        r"edd: 9999-12-31 is more than 300 days after today \(2026-11-25\); an EDD from "
        r"1900-01-01 to 2027-09-21",
    ),
    ({"edd": date(2027, 9, 22)}, r"edd: 2027-09-22 is more than 300 days after today"),
]


@pytest.mark.parametrize(("change", "message"), PATIENT_REFUSED)
def test_bad_patient_details_are_refused(
    services: Services, change: dict[str, Any], message: str
) -> None:
    details = PatientDetails(**{"mrn": "B1", "name": "Ann", "edd": date(2027, 1, 1), **change})
    with pytest.raises(InvalidEntry, match=message):
        services.patients.add(details)
    assert services.patients.summaries(include_archived=True) == []


def test_dates_at_the_edges_of_what_is_accepted_are_saved(services: Services) -> None:
    # The EDD 300 days ahead, a birth on 1900-01-01: accepted (the EDD asks first: 0+0 is
    # under 4+0 today, a likely slip, confirmed here).
    details = PatientDetails("C1", "Cat", date(2027, 9, 21), date_of_birth=date(1900, 1, 1))
    saved = services.patients.add(details, confirmed=True)
    assert services.patients.get(saved.id).details == details
    first = PlateletCount(datetime(1900, 1, 1), 42.0)
    assert services.records.record(saved.id, first, confirmed=True).record == first


def test_an_edd_out_of_range_is_refused_on_a_correction_too(
    services: Services, patient: PatientInfo
) -> None:
    with pytest.raises(InvalidEntry, match=r"edd: 9999-12-31 is more than 300 days after"):
        services.patients.correct(
            patient.id, replace(patient.details, edd=date(9999, 12, 31)), "typed EDD"
        )
    assert services.patients.get(patient.id) == patient


def test_the_same_injection_twice_is_refused_naming_the_one_stored(
    services: Services, patient: PatientInfo
) -> None:
    first = services.records.record(patient.id, Injection(hours_ago(3), 20400, 68.0))
    again = Injection(hours_ago(3), 20000, 68.0, lot="TP2")  # other values, the same time
    before = (services.patients.records(patient.id), audit_total(services.db))
    with pytest.raises(
        InvalidEntry,
        match=r"given_at: an injection of 20,400 U at 2026-11-25 09:00 \(entered by nurse.test\) "
        r"is already recorded for this patient; correct that one",
    ):
        services.records.record(patient.id, again, confirmed=True)  # confirming does not help
    assert (services.patients.records(patient.id), audit_total(services.db)) == before
    # Correcting the stored one at its own time is not a duplicate of itself.
    services.records.correct(first.id, again, "dose drawn up was 20,000 U")


def test_a_correction_onto_the_time_of_another_injection_is_refused(
    services: Services, patient: PatientInfo
) -> None:
    services.records.record(patient.id, Injection(hours_ago(30), 20400, 68.0))
    second = services.records.record(patient.id, Injection(hours_ago(6), 20400, 68.0))
    with pytest.raises(
        InvalidEntry, match=r"given_at: an injection of 20,400 U at 2026-11-24 06:00"
    ):
        services.records.correct(
            second.id, replace(second.record, given_at=hours_ago(30)), "wrong day", confirmed=True
        )


def test_an_mrn_is_unique_whatever_its_case(services: Services, patient: PatientInfo) -> None:
    with pytest.raises(InvalidEntry, match="mrn: a1001 is already used by Jane Doe"):
        services.patients.add(PatientDetails("a1001", "Janet Dee", date(2027, 3, 1)))


def test_a_time_before_1900_is_refused_by_every_way_in(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    early = PlateletCount(datetime(1899, 12, 31, 8), 42.0, "lab")
    with pytest.raises(InvalidEntry, match=r"collected_at: 1899-12-31 08:00 is before 1900-01-01"):
        services.records.record(patient.id, early, confirmed=True)
    record_file = {
        "format": "itp-monitor/1",
        "patients": [
            {
                "mrn": "B2",
                "name": "Bea",
                "edd": "2027-01-10",
                "platelet_counts": [{"collected_at": "1899-12-31T08:00:00", "value": 42.0}],
            }
        ],
    }
    with pytest.raises(FileRefused, match=r"platelet_counts #1, collected_at: 1899-12-31 08:00"):
        services.exchange.import_data(record_file)
    labs = tmp_path / "labs.csv"
    labs.write_text("MRN,Collected at,Platelets,Unit\nA1001,1899-12-31 08:00,42,G/L\n")
    [row] = services.labs.save(labs, LabOptions()).rows
    assert row.status == "invalid" and "1899-12-31" in (row.reason or "")
    assert services.patients.records(patient.id).counts == ()
    assert services.patients.find("B2") is None
