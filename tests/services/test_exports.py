"""What leaves the ward: counts and injections as CSV, the case series, the FHIR Bundle."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from helpers import hours_ago
from older_versions import stored_by_an_older_version

from itp_monitor.domain.records import (
    AdverseEvent,
    Delivery,
    Injection,
    NeonatalCount,
    PatientDetails,
    PlateletCount,
    Treatment,
)
from itp_monitor.services.container import Services
from itp_monitor.services.errors import NotFound
from itp_monitor.services.results import PatientInfo

DAY = timedelta(days=1)


def read_csv(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so that spreadsheets read UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def treated(services: Services, patient: PatientInfo) -> PatientInfo:
    """Jane Doe (A1001, 68 kg): a baseline of 15, a 14-day course, a response, a delivery."""
    start = hours_ago(24 * 40)
    record = services.records.record
    record(patient.id, PlateletCount(start - timedelta(hours=1), 15.0, "lab", "ACC-0"))
    for d in range(14):
        record(patient.id, Injection(start + d * DAY, 20400, 68.0, "abdomen-left", "LOT7"))
    record(patient.id, PlateletCount(start + 6 * DAY, 45.0, "lab"))
    typo = record(patient.id, PlateletCount(start + 13 * DAY, 800.0, "manual"), confirmed=True)
    services.records.correct(
        typo.id, PlateletCount(start + 13 * DAY, 80.0, "manual"), "typed an extra zero"
    )
    record(patient.id, Treatment("prednisone", start - 10 * DAY, start - DAY, "20 mg"))
    record(patient.id, Delivery(hours_ago(48), "caesarean", "neuraxial", 500))
    record(patient.id, NeonatalCount(hours_ago(40), 120.0))
    record(
        patient.id,
        AdverseEvent(start + 3 * DAY, "Jane said A1001 headache, jane doe resting", 1),
    )
    return patient


# --- counts and injections as CSV ---------------------------------------------------------


def test_the_csv_has_counts_and_injections_in_time_order(
    services: Services, treated: PatientInfo, tmp_path: Path
) -> None:
    path = tmp_path / "out.csv"
    assert services.exports.write_records_csv(path) == 1
    rows = read_csv(path)
    assert [r["record"] for r in rows].count("platelet_count") == 3
    assert [r["record"] for r in rows].count("rhtpo_injection") == 14
    times = [datetime.fromisoformat(r["time"]) for r in rows]
    assert times == sorted(times)
    first_dose = next(r for r in rows if r["record"] == "rhtpo_injection")
    assert first_dose["dose_units"] == "20400"
    assert first_dose["dose_u_per_kg"] == "300"
    assert (first_dose["site"], first_dose["lot"]) == ("abdomen-left", "LOT7")
    counts = [r["platelets_10e9_per_l"] for r in rows if r["record"] == "platelet_count"]
    assert counts == ["15", "45", "80"]  # the corrected value, never the typo
    assert rows[0]["accession"] == "ACC-0" and rows[0]["mrn"] == "A1001"


def test_the_csv_of_named_patients_and_an_unknown_mrn(
    services: Services, treated: PatientInfo, tmp_path: Path
) -> None:
    services.patients.add(PatientDetails("B2", "Mary Roe", date(2027, 3, 1)))
    path = tmp_path / "one.csv"
    assert services.exports.write_records_csv(path, ["b2"]) == 1
    assert read_csv(path) == []  # her header, no records yet
    with pytest.raises(NotFound, match="NOPE"):
        services.exports.write_records_csv(tmp_path / "x.csv", ["NOPE"])
    assert not (tmp_path / "x.csv").exists()


# --- the case series -----------------------------------------------------------------------


def test_the_series_is_de_identified_by_default(
    services: Services, treated: PatientInfo, tmp_path: Path
) -> None:
    path = tmp_path / "series.csv"
    series = services.exports.write_series_csv(path)
    text = path.read_text(encoding="utf-8-sig")
    for identifying in ("A1001", "Jane", "Doe", "1993"):
        assert identifying.casefold() not in text.casefold()
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)  # no dates
    (row,) = read_csv(path)
    assert {"mrn", "name", "first_injection", "delivered_on"}.isdisjoint(row)
    assert row["case"] == "1" and row["course"] == "1"
    assert row["adverse_events"] == "[patient] said [patient] headache, [patient] resting (grade 1)"
    assert series.summary.women == 1


def test_the_series_row_holds_the_published_facts(
    services: Services, treated: PatientInfo, tmp_path: Path
) -> None:
    path = tmp_path / "series.csv"
    services.exports.write_series_csv(path)
    (row,) = read_csv(path)
    assert row["baseline"] == "15"
    assert row["peak"] == "80"
    assert row["time_to_response_days"] == "6"
    assert row["response"] == "response"
    assert (row["injections"], row["course_days"]) == ("14", "14")
    assert (row["total_dose_units"], row["total_dose_u_per_kg"]) == ("285600", "4200")
    assert row["other_treatments"] == "prednisone"
    assert (row["delivery_mode"], row["anaesthesia"], row["blood_loss_ml"]) == (
        "caesarean",
        "neuraxial",
        "500",
    )
    assert row["count_before_delivery"] == "80"
    assert row["newborn_lowest"] == "120"
    assert row["age_years"] == "33"


def test_the_identified_series_names_her(
    services: Services, treated: PatientInfo, tmp_path: Path
) -> None:
    path = tmp_path / "series.csv"
    services.exports.write_series_csv(path, identified=True)
    (row,) = read_csv(path)
    assert (row["mrn"], row["name"]) == ("A1001", "Jane Doe")
    assert row["first_injection"] == f"{hours_ago(24 * 40):%Y-%m-%d}"
    assert "Jane said A1001" in row["adverse_events"]


def test_cases_are_numbered_by_first_injection_not_by_mrn(
    services: Services, treated: PatientInfo
) -> None:
    early = services.patients.add(PatientDetails("Z9", "Early Bird", date(2027, 1, 20), None, 60))
    services.records.record(early.id, Injection(hours_ago(24 * 60), 18000, 60.0))
    rows = services.exports.case_series().table()[1]
    assert [r["case"] for r in rows] == [1, 2]
    assert rows[0]["total_dose_units"] == 18000  # Z9 first, though A1001 sorts first


# --- FHIR R4 -------------------------------------------------------------------------------


def bundle_of(services: Services, mrn: str = "A1001") -> dict[str, Any]:
    bundle = services.exports.fhir_bundle(mrn)
    Bundle.model_validate(bundle)  # raises on anything the FHIR models refuse
    return bundle


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_is_valid_fhir_with_every_count_and_injection(
    services: Services, treated: PatientInfo
) -> None:
    bundle = bundle_of(services)
    assert bundle["type"] == "collection"
    (patient,) = resources(bundle, "Patient")
    assert patient["identifier"][0]["value"] == "A1001"
    assert patient["birthDate"] == "1993-04-02"
    observations = resources(bundle, "Observation")
    assert [o["valueQuantity"]["value"] for o in observations] == [15.0, 45.0, 80.0]
    for o in observations:
        assert o["code"]["coding"][0]["system"] == "http://loinc.org"
        assert o["code"]["coding"][0]["code"] == "777-3"
        assert o["valueQuantity"]["system"] == "http://unitsofmeasure.org"
        assert o["valueQuantity"]["code"] == "10*9/L"
        assert o["subject"]["reference"] == bundle["entry"][0]["fullUrl"]
    assert [o["status"] for o in observations] == ["final", "final", "amended"]
    given = resources(bundle, "MedicationAdministration")
    assert len(given) == 14
    assert given[0]["dosage"]["dose"]["value"] == 20400
    assert given[0]["contained"][0]["batch"]["lotNumber"] == "LOT7"


def test_times_carry_the_local_offset(services: Services, treated: PatientInfo) -> None:
    bundle = bundle_of(services)
    first = resources(bundle, "Observation")[0]["effectiveDateTime"]
    collected = hours_ago(24 * 40) - timedelta(hours=1)
    assert datetime.fromisoformat(first) == collected.astimezone()
    assert datetime.fromisoformat(first).utcoffset() is not None


def test_the_same_records_give_the_same_urls(services: Services, treated: PatientInfo) -> None:
    urls = [e["fullUrl"] for e in bundle_of(services)["entry"]]
    assert urls == [e["fullUrl"] for e in bundle_of(services)["entry"]]
    assert len(set(urls)) == len(urls)


def test_a_patient_without_records_and_one_without_a_lot(
    services: Services, patient: PatientInfo
) -> None:
    services.records.record(patient.id, Injection(hours_ago(5), 20400, 68.0))
    bundle = bundle_of(services)
    (given,) = resources(bundle, "MedicationAdministration")
    assert given["medicationCodeableConcept"]["text"].startswith("recombinant human")
    other = services.patients.add(PatientDetails("B2", "Mary Roe", date(2027, 3, 1)))
    assert [e["resource"]["resourceType"] for e in bundle_of(services, other.mrn)["entry"]] == [
        "Patient"
    ]


def test_write_fhir_writes_json(services: Services, treated: PatientInfo, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    assert services.exports.write_fhir(path, "a1001") == 18
    assert json.loads(path.read_text())["resourceType"] == "Bundle"
    with pytest.raises(NotFound):
        services.exports.write_fhir(tmp_path / "b.json", "NOPE")


def test_the_fhir_models_would_catch_a_broken_bundle(
    services: Services, treated: PatientInfo
) -> None:
    bundle = services.exports.fhir_bundle("A1001")
    observation = resources(bundle, "Observation")[0]
    broken = replace_key(observation, "effectiveDateTime", "24/11/2026")
    with pytest.raises(ValueError):
        Bundle.model_validate({**bundle, "entry": [{"resource": broken}]})


def replace_key(d: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**d, key: value}


@pytest.mark.parametrize(
    "change",
    [{"count_at": datetime(1, 1, 1)}, {"edd": date(9999, 12, 31)}],
    ids=["a count in the year 1", "an EDD on 9999-12-31"],
)
def test_every_export_takes_a_woman_an_older_version_stored_with_extreme_dates(
    services: Services, tmp_path: Path, change: dict[str, Any]
) -> None:
    """Such a record must be exported (and so can be seen, corrected or voided), not
    end the export: the FHIR export once failed on 'year 0 is out of range'."""
    stored_by_an_older_version(services, "X1", **change)
    services.exports.write_records_csv(tmp_path / "c.csv", ["X1"])
    assert [r["mrn"] for r in read_csv(tmp_path / "c.csv")] == ["X1"] * (
        2 if "count_at" in change else 1
    )
    services.exports.write_series_csv(tmp_path / "s.csv")
    services.exports.write_fhir(tmp_path / "f.json", "X1")
    bundle = Bundle.model_validate_json((tmp_path / "f.json").read_text(encoding="utf-8"))
    times = [
        e.resource.effectiveDateTime
        for e in bundle.entry
        if e.resource.__resource_type__ == "Observation"
    ]
    assert len(times) == (2 if "count_at" in change else 1)
