"""From files a likely slip is never refused: a file records what happened. A record file and
a laboratory file save it and report it as a note naming patient, record and what is unusual."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import hours_ago
from slip_cases import CASES, EDD, WEIGHT, at, lab

from itp_monitor.domain.records import (
    BleedingAssessment,
    ClinicalRecord,
    Injection,
    PlateletCount,
)
from itp_monitor.services.container import Services
from itp_monitor.services.lab_import import LabOptions, LabPreview
from itp_monitor.services.results import PatientInfo

# --- from a record file: saved, with a note ----------------------------------------------

LISTS: dict[type[Any], str] = {
    PlateletCount: "platelet_counts",
    Injection: "injections",
    BleedingAssessment: "bleeding_assessments",
}


def entry(record: ClinicalRecord) -> dict[str, Any]:
    values = dataclasses.asdict(record)
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def record_file(records: list[ClinicalRecord], edd: date = EDD) -> dict[str, Any]:
    her: dict[str, Any] = {"mrn": "A1001", "name": "Jane Doe", "edd": edd.isoformat()}
    her["weight_kg"] = WEIGHT  # the injections' doses are based on it
    for record in records:
        her.setdefault(LISTS[type(record)], []).append(entry(record))
    return {"format": "itp-monitor/1", "patients": [her]}


@pytest.mark.parametrize(("what", "before", "record", "question"), CASES, ids=[c[0] for c in CASES])
def test_a_record_file_saves_a_likely_slip_and_notes_it(
    services: Services,
    what: str,
    before: list[ClinicalRecord],
    record: ClinicalRecord,
    question: str | None,
) -> None:
    outcome = services.exchange.import_data(record_file([*before, record]))
    assert outcome.records_added == len(before) + 1
    her = services.patients.find("A1001")
    assert her is not None
    saved = services.patients.records(her.id)
    assert record in [s.record for s in (*saved.counts, *saved.injections, *saved.bleeding)]
    if question is None:
        assert outcome.notes == ()
    else:
        [note] = outcome.notes
        kind = LISTS[type(record)]
        position = 1 + sum(LISTS[type(b)] == kind for b in before)
        assert note.startswith(f"patient A1001 (#1 in the file), {kind} #{position}, "), note
        assert note.endswith(" (accepted)"), note
        assert re.search(question, note), note


def test_a_record_file_notes_a_gestation_past_42_weeks_and_admits_her(services: Services) -> None:
    outcome = services.exchange.import_data(record_file([], edd=date(2026, 10, 14)))
    assert outcome.created == ("A1001",)
    assert outcome.notes == (
        "patient A1001 (#1 in the file), edd: 2026-10-14 makes her 46+0 today (2026-11-25), "
        "over 42+0; is the EDD right? An EDD in the past is usually a slip (accepted)",
    )


def test_a_record_file_of_a_delivered_woman_is_not_asked_about_her_gestation_today(
    services: Services,
) -> None:
    data = record_file([lab(42, at("2026-06-01 08:00"))], edd=date(2026, 6, 10))
    data["patients"][0]["delivery"] = {"delivered_at": "2026-06-05T10:00:00", "mode": "vaginal"}
    outcome = services.exchange.import_data(data)
    assert (outcome.created, outcome.records_added, outcome.notes) == (("A1001",), 2, ())


def test_a_record_file_follows_the_units_thresholds(services: Services) -> None:
    services.protocol.change("count_confirm_at_most", 2, "the analyser reports <2 as 2")
    outcome = services.exchange.import_data(record_file([lab(2, hours_ago(1))]))
    assert outcome.records_added == 1
    [note] = outcome.notes
    assert "value: a count of 2 ×10⁹/L is at or below 2 ×10⁹/L" in note


# --- from a laboratory file: saved, with a note ------------------------------------------


def lab_file(tmp_path: Path, *lines: tuple[float, str]) -> Path:
    path = tmp_path / "labs.csv"
    rows = "".join(f"A1001,{when},{value},G/L\n" for value, when in lines)
    path.write_text("MRN,Collected at,Platelets,Unit\n" + rows, encoding="utf-8")
    return path


def save_labs(services: Services, path: Path) -> LabPreview:
    preview = services.labs.preview(path, LabOptions())
    saved = services.labs.save(path, LabOptions())
    assert [r.note for r in saved.rows] == [r.note for r in preview.rows]
    assert all(r.status == "new" for r in saved.rows)
    return saved


COUNT_CASES = [c for c in CASES if isinstance(c[2], PlateletCount)]


@pytest.mark.parametrize(
    ("what", "before", "record", "question"), COUNT_CASES, ids=[c[0] for c in COUNT_CASES]
)
def test_a_laboratory_file_saves_a_likely_slip_and_notes_it(
    services: Services,
    patient: PatientInfo,
    tmp_path: Path,
    what: str,
    before: list[PlateletCount],
    record: PlateletCount,
    question: str | None,
) -> None:
    for earlier in before:
        services.records.record(patient.id, earlier)
    saved = save_labs(services, lab_file(tmp_path, (record.value, f"{record.collected_at}")))
    [row] = saved.rows
    assert record in [c.record for c in services.patients.records(patient.id).counts]
    if question is None:
        assert row.note is None
    else:
        assert row.note is not None and re.search(question, row.note), row.note
    assert saved.as_json()["rows"][0]["note"] == row.note


def test_two_lines_of_one_laboratory_file_are_compared_once(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    path = lab_file(
        tmp_path, (120, "2026-11-25 06:00"), (39, "2026-11-24 20:00"), (41, "2026-11-23 08:00")
    )
    saved = save_labs(services, path)
    assert [r.note for r in saved.rows] == [
        None,  # the first line: nothing of hers before it
        "value: her count at 2026-11-25 06:00, 10 hours later, 120, is more than three times "
        "this 39; a count seldom changes so much within 24 hours",
        None,  # more than a day from both
    ]
    assert len(services.patients.records(patient.id).counts) == 3


def test_a_laboratory_file_follows_the_units_thresholds(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    path = lab_file(tmp_path, (1.5, "2026-11-25 08:00"))
    assert services.labs.preview(path, LabOptions()).rows[0].note is None
    services.protocol.change("count_confirm_at_most", 2, "the analyser reports <2 as 2")
    [row] = save_labs(services, path).rows
    assert row.note == (
        "value: a count of 1.5 ×10⁹/L is at or below 2 ×10⁹/L; is it the count, not a slip?"
    )


def test_a_laboratory_correction_to_0_is_saved_without_a_question(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    msh = "MSH|^~\\&|LIS|LAB|ITP|WARD|202611241000||ORU^R01^ORU_R01|MSG1|P|2.5.1"
    pid = "PID|1||A1001^^^HOSP^MR||DOE^JANE||19930402|F"
    obr = "OBR|1||ACC1|58410-2^CBC panel^LN|||202611240800"
    obx = "OBX|1|NM|777-3^Platelets^LN||{v}|10*9/L|150-400||||{s}|||202611240815"
    first, second = tmp_path / "a.hl7", tmp_path / "b.hl7"
    first.write_text("\r".join([msh, pid, obr, obx.format(v=42, s="F")]) + "\r")
    second.write_text("\r".join([msh, pid, obr, obx.format(v=0, s="C")]) + "\r")
    services.labs.save(first, LabOptions())
    [row] = services.labs.save(second, LabOptions()).rows
    assert row.status == "correction"
    assert [c.record.value for c in services.patients.records(patient.id).counts] == [0]
