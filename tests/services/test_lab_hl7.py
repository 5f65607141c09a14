"""HL7 v2 ORU^R01 results: which OBX are platelets, where the MRN and time come from,
what is refused, and laboratory corrections."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from itp_monitor.domain.records import PlateletCount
from itp_monitor.services.container import Services
from itp_monitor.services.lab_files import UnreadableFile
from itp_monitor.services.lab_import import CORRECTED_BY_LAB, LabPreview
from itp_monitor.services.results import PatientInfo

MSH = "MSH|^~\\&|LIS|LAB|ITP|WARD|202611241000||ORU^R01^ORU_R01|MSG{n}|P|2.5.1"
PID = "PID|1||998877^^^HOSP^PI~A1001^^^HOSP^MR||DOE^JANE||19930402|F"
OBR = "OBR|1||{acc}|58410-2^CBC panel^LN|||202611240800"
PLT = "OBX|{i}|NM|777-3^Platelets^LN||{value}|10*9/L|150-400||||{status}|||{when}"
HGB = "OBX|{i}|NM|718-7^Hemoglobin^LN||112|g/L|115-165|L|||F"


def message(
    n: int = 1,
    acc: str = "ACC1",
    value: str = "42",
    status: str = "F",
    when: str = "202611240815",
    pid: str = PID,
) -> list[str]:
    return [
        MSH.format(n=n),
        pid,
        OBR.format(acc=acc),
        HGB.format(i=1),
        PLT.format(i=2, value=value, status=status, when=when),
    ]


def write(tmp_path: Path, segments: list[str], ending: str = "\r", name: str = "oru.hl7") -> Path:
    path = tmp_path / name
    path.write_bytes(ending.join(segments).encode() + ending.encode())
    return path


def only(p: LabPreview) -> tuple[str, float | None, str | None]:
    assert len(p.rows) == 1, p.rows
    r = p.rows[0]
    return r.status, r.value, r.reason


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
def test_a_platelet_result_under_any_line_ending(
    services: Services, patient: PatientInfo, tmp_path: Path, ending: str
) -> None:
    p = services.labs.preview(write(tmp_path, message(), ending))
    assert p.kind == "hl7"
    assert only(p) == ("new", 42.0, None)
    r = p.rows[0]
    assert (r.mrn, r.accession, r.collected_at) == ("A1001", "ACC1", datetime(2026, 11, 24, 8, 15))
    assert r.line == 5  # the OBX is the fifth segment of the file


def test_batch_headers_and_mllp_framing_are_passed_over(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    segments = [
        "FHS|^~\\&|LIS",
        "BHS|^~\\&|LIS",
        "\x0b" + MSH.format(n=1),
        *message(n=1)[1:],
        "\x1c",
        *message(n=2, acc="ACC2", value="55", when="202611241015"),
        "BTS|2",
        "FTS|1",
    ]
    p = services.labs.preview(write(tmp_path, segments))
    assert [(r.line, r.accession, r.value, r.status) for r in p.rows] == [
        (7, "ACC1", 42.0, "new"),
        (13, "ACC2", 55.0, "new"),
    ]


def test_messages_other_than_oru_r01_and_other_tests_are_ignored(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    adt = ["MSH|^~\\&|PAS|HOSP|ITP|WARD|202611241000||ADT^A01|X1|P|2.5.1", PID]
    p = services.labs.preview(write(tmp_path, adt + message(n=2)[:4]))
    assert p.rows == ()  # an admission, and a result with only a haemoglobin


@pytest.mark.parametrize(
    "observation",
    [
        "26515-7^Platelets [#/volume] in Blood^LN",
        "PLT^Platelet count^L^777-3^Platelets^LN",  # the LOINC as the alternate code
    ],
)
def test_other_platelet_codes(
    services: Services, patient: PatientInfo, tmp_path: Path, observation: str
) -> None:
    segments = message()
    segments[-1] = segments[-1].replace("777-3^Platelets^LN", observation)
    assert only(services.labs.preview(write(tmp_path, segments)))[0] == "new"


def test_a_local_code_counts_once_it_is_mapped_in_settings(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    segments = message()
    segments[-1] = segments[-1].replace("777-3^Platelets^LN", "PLTC^Platelet count^99LAB")
    path = write(tmp_path, segments)
    assert services.labs.preview(path).rows == ()
    assert services.labs.set_local_codes([" PLTC ", "PLTC", ""]) == ["PLTC"]
    assert services.labs.local_codes() == ["PLTC"]
    assert only(services.labs.preview(path))[0] == "new"


def test_a_local_code_must_look_like_one(services: Services) -> None:
    with pytest.raises(ValueError, match="not a laboratory code: 'PLT count'"):
        services.labs.set_local_codes(["PLT count"])
    assert services.labs.local_codes() == []


def test_the_mrn_is_the_pid_3_identifier_of_type_mr(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    without_type = "PID|1||A1001^^^HOSP||DOE^JANE"
    other_first = "PID|1||X5^^^HOSP^PI~A1001^^^HOSP^MR||DOE^JANE"
    assert only(services.labs.preview(write(tmp_path, message(pid=without_type))))[0] == "new"
    assert services.labs.preview(write(tmp_path, message(pid=other_first))).rows[0].mrn == "A1001"
    unknown = services.labs.preview(write(tmp_path, message(pid="PID|1||Z999^^^HOSP^MR")))
    assert only(unknown)[0] == "unknown_patient"


def test_the_time_is_obx_14_else_obr_7_and_an_offset_becomes_local_time(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    from_obr = services.labs.preview(write(tmp_path, message(when="")))
    assert from_obr.rows[0].collected_at == datetime(2026, 11, 24, 8, 0)
    offset = services.labs.preview(write(tmp_path, message(when="202611240815+0200")))
    stated = datetime(2026, 11, 24, 8, 15, tzinfo=timezone(timedelta(hours=2)))
    assert offset.rows[0].collected_at == stated.astimezone().replace(tzinfo=None)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "P"}, "OBX-11: result status 'P' is not final (F) or corrected (C)"),
        ({"value": "<10"}, "OBX-5: '<10' is not a plain number"),
        ({"value": "1600"}, "value: 1,600 is above 1,500"),
        ({"when": "garbage"}, "OBX-14/OBR-7: 'garbage' is not a date and time"),
        ({"pid": "PID|1||"}, "PID-3: no MRN"),
    ],
)
def test_results_that_cannot_be_taken_say_why(
    services: Services, patient: PatientInfo, tmp_path: Path, change: dict[str, str], reason: str
) -> None:
    segments = message(**change) + message(n=2, acc="ACC2", when="202611241015")  # type: ignore[arg-type]
    p = services.labs.preview(write(tmp_path, segments))
    assert [r.status for r in p.rows] == ["invalid", "new"]
    assert (p.rows[0].reason or "").startswith(reason)


def test_a_unit_the_file_does_not_give_is_not_guessed(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    segments = message()
    segments[-1] = segments[-1].replace("|10*9/L|", "||")
    assert only(services.labs.preview(write(tmp_path, segments)))[0] == "invalid"
    segments[-1] = segments[-1].replace("||150-400", "|mmol/L|150-400")
    assert "not a platelet unit" in (
        only(services.labs.preview(write(tmp_path, segments)))[2] or ""
    )


def test_a_second_platelet_result_under_one_order_is_refused(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    segments = [*message(), PLT.format(i=3, value="45", status="F", when="202611240815")]
    p = services.labs.preview(write(tmp_path, segments))
    assert [r.status for r in p.rows] == ["new", "invalid"]
    assert p.rows[1].reason == "a second platelet result under the same OBR"


def test_the_same_message_twice_adds_once(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    path = write(tmp_path, message())
    assert services.labs.save(path).summary["new"] == 1
    assert only(services.labs.preview(path))[0] == "duplicate"
    assert len(services.patients.records(patient.id).counts) == 1


def test_a_laboratory_correction_replaces_the_stored_count_and_keeps_the_original(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    services.labs.save(write(tmp_path, message(value="42"), name="first.hl7"))
    fixed = write(tmp_path, message(value="24", status="C"), name="fixed.hl7")
    p = services.labs.preview(fixed)
    assert only(p) == ("correction", 24.0, "the laboratory corrected 42 to 24")
    assert services.labs.save(fixed).patient_ids == {patient.id}
    counts = services.patients.records(patient.id).counts
    assert [c.record.value for c in counts] == [24.0]
    history = services.patients.history(patient.id)
    assert history[-1].reason == CORRECTED_BY_LAB
    assert history[-1].before is not None and history[-1].before["value"] == 42.0
    # the same corrected value again is a duplicate, not a second correction
    assert only(services.labs.preview(fixed))[0] == "duplicate"


def test_a_correction_of_a_result_never_received_is_new(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    p = services.labs.preview(write(tmp_path, message(status="C")))
    assert only(p)[0] == "new"


def test_a_correction_finds_the_stored_count_by_accession_wherever_it_was_typed(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    services.records.record(
        patient.id, PlateletCount(datetime(2026, 11, 24, 8, 15), 40.0, "ward", "ACC1")
    )
    p = services.labs.preview(write(tmp_path, message(value="24", status="C")))
    assert only(p)[0] == "correction"  # the accession names it, whoever typed it


def test_a_message_that_cannot_be_parsed_is_refused(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "bad.hl7"
    path.write_bytes(b"MSH|^~\\&|LIS\rPID|1||A1001\r")  # no message type
    assert services.labs.preview(path).rows == ()
    path.write_bytes(b"MSH|\r")
    with pytest.raises(UnreadableFile, match="segment 1"):
        services.labs.preview(path)


# --- every value read as meant or refused (issue 8) ----------------------------------


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ("2026", "OBX-14/OBR-7: '2026' gives only the year; a time needs at least a day"),
        ("202611", "OBX-14/OBR-7: '202611' gives only the year and month"),
        ("18991231", "is before 1900-01-01"),
        ("00010101", "is before 1900-01-01"),
        ("202611240815+2400", "OBX-14/OBR-7: '202611240815+2400' has an offset no time zone"),
        ("20261124+0099", "has an offset no time zone has"),
    ],
)
def test_times_need_a_day_a_real_offset_and_nothing_before_1900(
    services: Services, patient: PatientInfo, tmp_path: Path, when: str, reason: str
) -> None:
    p = services.labs.preview(write(tmp_path, message(when=when)))
    status, _, why = only(p)
    assert status == "invalid" and reason in (why or "")


@pytest.mark.parametrize("when", ["00010101+1400", "00010101-1200", "99991231235959-1200"])
def test_offsets_at_the_ends_of_the_calendar_give_an_invalid_row_not_a_crash(
    services: Services, patient: PatientInfo, tmp_path: Path, when: str
) -> None:
    # Whether local time leaves the calendar depends on this computer's zone; either way
    # the result is invalid: out of the calendar, before 1900, or in the future.
    status, _, why = only(services.labs.preview(write(tmp_path, message(when=when))))
    assert status == "invalid" and why and len(why) < 200


def test_a_date_alone_means_midnight(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    p = services.labs.preview(write(tmp_path, message(when="20261124")))
    assert only(p)[0] == "new" and p.rows[0].collected_at == datetime(2026, 11, 24)


@pytest.mark.parametrize("value", ["1_000", "１２", "١٢", "1e2", "-5", "+5", "4" * 400, "31,5"])
def test_numbers_are_refused_for_the_same_reason_as_in_a_csv_file(
    services: Services, patient: PatientInfo, tmp_path: Path, value: str
) -> None:
    hl7_row = only(services.labs.preview(write(tmp_path, message(value=value))))
    csv_path = tmp_path / "same.csv"
    csv_path.write_text(
        f'mrn,collected,plt,unit\nA1001,2026-11-24 08:15,"{value}",10*9/L\n', encoding="utf-8"
    )
    (csv_row,) = services.labs.preview(csv_path).rows
    assert hl7_row[0] == csv_row.status == "invalid"
    assert (hl7_row[2] or "").removeprefix("OBX-5: ") == (csv_row.reason or "").removeprefix(
        "value: "
    )


@pytest.mark.parametrize(("value", "read"), [("150000", 150.0), ("150.000", 150.0)])
def test_a_per_microlitre_result_is_a_whole_number(
    services: Services, patient: PatientInfo, tmp_path: Path, value: str, read: float
) -> None:
    segments = message(value=value)
    segments[-1] = segments[-1].replace("|10*9/L|", "|/uL|")
    assert only(services.labs.preview(write(tmp_path, segments)))[:2] == ("new", read)
    segments[-1] = segments[-1].replace(f"|{value}|", "|150.5|")
    status, _, why = only(services.labs.preview(write(tmp_path, segments)))
    assert status == "invalid" and "is not a whole number" in (why or "")


def test_an_mrn_no_record_could_hold_is_invalid(
    services: Services, patient: PatientInfo, tmp_path: Path
) -> None:
    pid = f"PID|1||{'9' * 500}^^^HOSP^MR||DOE^JANE"
    status, _, why = only(services.labs.preview(write(tmp_path, message(pid=pid))))
    assert (status, why) == ("invalid", "PID-3: 500 characters, at most 64")


@pytest.mark.parametrize(
    ("damaged", "segment"),
    [
        ("MSH&^~\\&|LIS|LAB|ITP|WARD|202611241000||ORU^R01|MSG1|P|2.5.1", 1),
        ("MSH|^^\\&|LIS|LAB|ITP|WARD|202611241000||ORU^R01|MSG1|P|2.5.1", 1),
        ("MSH|", 1),
        ("MSH|^~\\&", 1),
        ("MSH|||LIS|LAB", 1),  # the field separator again as the component mark
    ],
)
def test_a_damaged_msh_segment_is_refused_naming_it(
    services: Services, tmp_path: Path, damaged: str, segment: int
) -> None:
    segments = [damaged, *message()[1:]]
    with pytest.raises(UnreadableFile, match=f"segment {segment}: ") as refused:
        services.labs.preview(write(tmp_path, segments))
    assert len(str(refused.value)) < 200


def test_a_damaged_msh_segment_later_in_the_file_is_named_by_its_number(
    services: Services, tmp_path: Path
) -> None:
    segments = [*message(), "MSH&^~\\&|LIS|LAB", PID]
    with pytest.raises(UnreadableFile, match="segment 6: the MSH segment is damaged"):
        services.labs.preview(write(tmp_path, segments))
