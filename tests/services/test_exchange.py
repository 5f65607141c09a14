"""Patient record files: all-or-nothing import, lossless export, merge, and clear refusals."""

from __future__ import annotations

import copy
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers import NOW, audit_total

from itp_monitor.domain.records import PlateletCount
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.errors import NotFound
from itp_monitor.services.record_file import FileRefused
from itp_monitor.storage.database import Database, resolve_location


def sample() -> dict[str, Any]:
    """A small, valid record file, every time before the tests' now (2026-11-25 12:00)."""
    return {
        "format": "itp-monitor/1",
        "patients": [
            {
                "mrn": "A1001",
                "name": "Jane Doe",
                "date_of_birth": "1993-04-02",
                "edd": "2026-12-20",
                "weight_kg": 68.0,
                "notes": "optional",
                "platelet_counts": [
                    {
                        "collected_at": "2026-10-01T08:00:00",
                        "value": 18.0,
                        "source": "lab",
                        "accession": "L100",
                    },
                    {"collected_at": "2026-10-15T08:00:00", "value": 52.5, "source": "lab"},
                ],
                "injections": [
                    {
                        "given_at": "2026-10-02T09:00:00",
                        "dose_units": 20400,
                        "site": "abdomen-left",
                        "lot": "TP1",
                        "given_by": "RN Smith",
                    },
                ],
                "bleeding_assessments": [{"assessed_at": "2026-10-01T08:00:00", "who_grade": 1}],
                "treatments": [
                    {
                        "kind": "prednisone",
                        "started_at": "2026-09-01",
                        "ended_at": "2026-09-20",
                        "dose": "20 mg daily",
                    }
                ],
                "delivery": {
                    "delivered_at": "2026-11-18T14:00:00",
                    "mode": "caesarean",
                    "anaesthesia": "neuraxial",
                    "blood_loss_ml": 600,
                },
                "neonatal_counts": [{"collected_at": "2026-11-18T15:00:00", "value": 160.0}],
                "adverse_events": [
                    {
                        "onset_at": "2026-10-05T10:00:00",
                        "description": "headache",
                        "grade": 1,
                        "related_to_rhtpo": None,
                    }
                ],
            },
            {"mrn": "A1002", "name": "Mary Roe", "edd": "2027-02-01"},
        ],
    }


def empty_database_unchanged(services: Services) -> None:
    assert services.patients.summaries(include_archived=True) == []
    assert audit_total(services.db) == 0


def test_import_then_export_gives_back_the_same_records(services: Services) -> None:
    outcome = services.exchange.import_data(sample())
    assert outcome.created == ("A1001", "A1002")
    assert outcome.records_added == 8
    exported = services.exchange.export_data()
    jane = exported["patients"][0]
    assert jane["platelet_counts"][0] == {
        "collected_at": "2026-10-01T08:00:00",
        "value": 18.0,
        "source": "lab",
        "accession": "L100",
    }
    assert jane["injections"][0]["weight_kg"] == 68.0  # the weight the dose was based on
    assert jane["treatments"][0]["started_at"] == "2026-09-01T00:00:00"  # a bare date is 00:00


def test_export_import_export_into_an_empty_database_loses_nothing(
    services: Services, tmp_path: Path, template_db: Path
) -> None:
    services.demo.load()
    first = tmp_path / "first.json"
    services.exchange.export_file(first)
    shutil.copy(template_db, tmp_path / "empty.sqlite")
    other_db = Database(resolve_location(str(tmp_path / "empty.sqlite")))
    other = build_services(other_db, user="x", clock=lambda: NOW)
    other.exchange.import_file(first)
    second = tmp_path / "second.json"
    other.exchange.export_file(second)
    other_db.dispose()
    assert json.loads(first.read_text()) == json.loads(second.read_text())
    assert first.read_text() == second.read_text()


def test_corrected_records_are_exported_with_their_new_values_and_voided_ones_left_out(
    services: Services,
) -> None:
    services.exchange.import_data(sample())
    jane = services.patients.find("A1001")
    assert jane is not None
    counts = services.patients.records(jane.id).counts
    services.records.correct(counts[0].id, replace(counts[0].record, value=19.0), "lab correction")
    services.records.void(PlateletCount, counts[1].id, "wrong patient")
    exported = services.exchange.export_data(["A1001"])
    assert [c["value"] for c in exported["patients"][0]["platelet_counts"]] == [19.0]


BAD_RECORDS: list[tuple[str, Any, str]] = [
    (
        "platelet_counts.0.value",
        45000,
        r"patient A1001 \(#1 in the file\), platelet_counts #1, "
        r"value: 45,000 is above 1,500.*per-µL",
    ),
    ("platelet_counts.0.value", "18", r"platelet_counts #1, value: '18' is not a number"),
    (
        "platelet_counts.1.collected_at",
        "2026-10-15T08:00:00+02:00",
        r"platelet_counts #2, collected_at: .* has a time-zone offset",
    ),
    (
        "platelet_counts.1.collected_at",
        "2026-02-30T08:00:00",
        r"platelet_counts #2, collected_at: '2026-02-30T08:00:00' is not a real date",
    ),
    (
        "platelet_counts.1.collected_at",
        "2027-01-01T08:00:00",
        r"collected_at: 2027-01-01 08:00 is in the future",
    ),
    (
        "injections.0.dose_units",
        20400.5,
        r"injections #1, dose_units: 20400.5 is not a whole number",
    ),
    (
        "injections.0.dose_units",
        -1,
        r"injections #1, dose_units: -1 is not a positive whole number",
    ),
    ("injections.0.site", "buttock", r"injections #1, site: 'buttock' is not one of"),
    (
        "bleeding_assessments.0.who_grade",
        5,
        r"bleeding_assessments #1, who_grade: 5 is not a WHO grade",
    ),
    ("weight_kg", 680, r"patient A1001 \(#1 in the file\), weight_kg: 680 kg is outside 30–250 kg"),
    ("edd", "20/12/2026", r"patient A1001 .*edd: '20/12/2026' is not a date"),
    ("treatments.0.kind", "steroid", r"treatments #1, kind: 'steroid' is not one of"),
    ("delivery.mode", "forceps", r"delivery, mode: 'forceps' is not one of"),
    (
        "delivery.delivered_at",
        "2026-11-18T16:00:00",
        r"neonatal_counts #1, collected_at: .* is before the delivery",
    ),
    (
        "platelet_counts.0.colected_at",
        "2026-10-01T08:00:00",
        r"platelet_counts #1, colected_at: is not a field of this record",
    ),
    ("mrn", None, r"patient with no MRN \(#1 in the file\), mrn: is missing"),
    (
        "platelet_counts.0.collected_at",
        "0001-01-01T00:00:00",
        r"platelet_counts #1, collected_at: 0001-01-01 00:00 is before 1900-01-01; a time from "
        r"1900-01-01 up to now is accepted",
    ),
    (
        "treatments.0.started_at",
        "1899-12-31",
        r"treatments #1, started_at: 1899-12-31 00:00 is before 1900-01-01",
    ),
    (
        "edd",
        "9999-12-31",
        r"patient A1001 \(#1 in the file\), edd: 9999-12-31 is more than 300 days after today "
        r"\(2026-11-25\); an EDD from 1900-01-01 to 2027-09-21",
    ),
    ("edd", "0001-01-01", r"patient A1001 .*edd: 0001-01-01 is before 1900-01-01"),
    (
        "date_of_birth",
        "1899-12-31",
        r"patient A1001 .*date_of_birth: 1899-12-31 is before 1900-01-01; a date of birth from",
    ),
]


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target: Any = data["patients"][0]
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value


@pytest.mark.parametrize(("path", "value", "message"), BAD_RECORDS)
def test_one_bad_record_refuses_the_whole_file_and_names_patient_and_field(
    services: Services, path: str, value: Any, message: str
) -> None:
    data = sample()
    _set(data, path, value)
    with pytest.raises(FileRefused) as refused:
        services.exchange.import_data(data)
    assert any(re.search(message, p) for p in refused.value.problems), refused.value.problems
    empty_database_unchanged(services)


def test_the_same_count_twice_in_a_file_is_refused(services: Services) -> None:
    data = sample()
    counts = data["patients"][0]["platelet_counts"]
    counts.append(copy.deepcopy(counts[0]))
    with pytest.raises(
        FileRefused, match=r"platelet_counts #3, collected_at: a count of 18 .* already"
    ):
        services.exchange.import_data(data)
    empty_database_unchanged(services)


def test_the_same_injection_twice_in_a_file_is_refused(services: Services) -> None:
    data = sample()
    injections = data["patients"][0]["injections"]
    injections.append({**injections[0], "dose_units": 20000})  # the same time, another dose
    with pytest.raises(
        FileRefused,
        match=r"injections #2, given_at: an injection of 20,400 U at 2026-10-02 09:00 "
        r"\(entered by nurse.test\) is already recorded for this patient",
    ):
        services.exchange.import_data(data)
    empty_database_unchanged(services)


def test_merge_skips_an_injection_already_stored_as_a_duplicate(services: Services) -> None:
    services.exchange.import_data(sample())
    again = sample()
    injections = again["patients"][0]["injections"]
    injections.append({**injections[0], "given_at": "2026-10-03T09:00:00"})  # the next day's
    outcome = services.exchange.import_data(again, merge=True)
    assert (outcome.records_added, outcome.records_already_present) == (1, 8)
    stored = services.exchange.export_data(["A1001"])["patients"][0]["injections"]
    assert [i["given_at"] for i in stored] == ["2026-10-02T09:00:00", "2026-10-03T09:00:00"]


def test_a_newborn_count_without_a_delivery_is_refused(services: Services) -> None:
    data = sample()
    del data["patients"][0]["delivery"]
    with pytest.raises(
        FileRefused, match="neonatal_counts #1, collected_at: no delivery is recorded"
    ):
        services.exchange.import_data(data)
    empty_database_unchanged(services)


def test_an_injection_with_no_weight_to_base_it_on_is_refused(services: Services) -> None:
    data = sample()
    del data["patients"][0]["weight_kg"]
    with pytest.raises(
        FileRefused, match="injections #1, weight_kg: is missing; the dose in U/kg needs"
    ):
        services.exchange.import_data(data)
    empty_database_unchanged(services)


def test_all_problems_of_a_file_are_listed_in_one_go(services: Services) -> None:
    data = sample()
    _set(data, "platelet_counts.0.value", 45000)
    _set(data, "injections.0.given_at", "2026-13-01T09:00:00")
    data["patients"][1]["weight_kg"] = "heavy"
    with pytest.raises(FileRefused) as refused:
        services.exchange.import_data(data)
    text = "\n".join(refused.value.problems)
    assert "platelet_counts #1, value: 45,000" in text
    assert "injections #1, given_at: '2026-13-01T09:00:00' is not a real date" in text
    assert "patient A1002 (#2 in the file), weight_kg: 'heavy' is not a number" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "holds no JSON object"),
        (
            {"format": "itp-monitor/2", "patients": []},
            "format: 'itp-monitor/2' is not 'itp-monitor/1'",
        ),
        ({"format": "itp-monitor/1", "patients": {}}, "patients: is not a list"),
        ({"format": "itp-monitor/1", "patients": [], "extra": 1}, "extra: is not a field"),
        (
            {
                "format": "itp-monitor/1",
                "patients": [
                    {"mrn": "A", "name": "B", "edd": "2027-01-01"},
                    {"mrn": "a", "name": "C", "edd": "2027-01-01"},
                ],
            },
            r"patient a \(#2 in the file\), mrn: the same MRN as patient #1",
        ),
    ],
)
def test_a_file_that_is_not_a_record_file_is_refused(
    services: Services, data: Any, message: str
) -> None:
    with pytest.raises(FileRefused, match=message):
        services.exchange.import_data(data)
    empty_database_unchanged(services)


def test_a_file_that_is_not_json_is_refused_with_where(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "itp-monitor/1", "patients": [\n  {"mrn": }\n]}')
    with pytest.raises(
        FileRefused, match=r"broken.json: not valid JSON: Expecting value at line 2"
    ):
        services.exchange.import_file(path)


def test_an_existing_mrn_is_refused_without_merge(services: Services) -> None:
    services.exchange.import_data(sample())
    before = services.exchange.export_data()
    with pytest.raises(
        FileRefused, match=r"mrn: A1001 is already in the database \(Jane Doe\); .*--merge"
    ):
        services.exchange.import_data(sample())
    assert services.exchange.export_data() == before


def test_merge_adds_only_the_records_that_are_missing(services: Services) -> None:
    first = sample()
    del first["patients"][0]["platelet_counts"][1]
    services.exchange.import_data(first)
    outcome = services.exchange.import_data(sample(), merge=True)
    assert outcome.merged == ("A1001", "A1002") and outcome.created == ()
    assert (outcome.records_added, outcome.records_already_present) == (1, 7)
    jane = services.exchange.export_data(["A1001"])["patients"][0]
    assert [c["value"] for c in jane["platelet_counts"]] == [18.0, 52.5]


def test_merge_keeps_stored_details_and_says_where_the_file_differs(services: Services) -> None:
    services.exchange.import_data(sample())
    later = sample()
    later["patients"][0]["edd"] = "2026-12-27"
    outcome = services.exchange.import_data(later, merge=True)
    assert any("edd: the file says 2026-12-27, the database 2026-12-20" in n for n in outcome.notes)
    assert services.exchange.export_data(["A1001"])["patients"][0]["edd"] == "2026-12-20"


def test_merge_refuses_another_woman_with_the_same_mrn(services: Services) -> None:
    services.exchange.import_data(sample())
    other = sample()
    other["patients"][0]["name"] = "Joan Smith"
    with pytest.raises(FileRefused, match=r"name: 'Joan Smith' is not the name stored for A1001"):
        services.exchange.import_data(other, merge=True)


def test_merge_refuses_a_record_that_conflicts_with_the_stored_one(services: Services) -> None:
    services.exchange.import_data(sample())
    other = sample()
    other["patients"][0]["injections"][0]["dose_units"] = 19000
    before = services.exchange.export_data()
    with pytest.raises(
        FileRefused, match="injections #1: the database already has this rhTPO injection"
    ):
        services.exchange.import_data(other, merge=True)
    assert services.exchange.export_data() == before


def test_merge_refuses_a_count_at_a_time_where_the_database_holds_another_value(
    services: Services,
) -> None:
    """Never a second current count beside the first (interfaces.md, the record file)."""
    services.exchange.import_data(sample())
    other = sample()
    stored = other["patients"][0]["platelet_counts"][0]["value"]
    other["patients"][0]["platelet_counts"][0]["value"] = stored + 40
    before = services.exchange.export_data()
    with pytest.raises(
        FileRefused,
        match=(
            r"platelet_counts #1: the database already has this platelet count with other "
            rf"values \({stored:g} ×10⁹/L; the file: {stored + 40:g} ×10⁹/L\)"
        ),
    ):
        services.exchange.import_data(other, merge=True)
    assert services.exchange.export_data() == before


def test_an_unusual_dose_in_a_file_is_accepted_with_a_note(services: Services) -> None:
    data = sample()
    _set(data, "injections.0.dose_units", 9000)
    outcome = services.exchange.import_data(data)
    assert any("132 U/kg at 68 kg, outside 200–400 U/kg" in n for n in outcome.notes)


def test_export_of_an_unknown_mrn_is_refused(services: Services) -> None:
    with pytest.raises(NotFound, match="mrn: Z999 is not in the database"):
        services.exchange.export_data(["Z999"])
