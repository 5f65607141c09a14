"""Laboratory CSV files: layouts, units, times, statuses, and saving only what is new."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import audit_total
from postgres import on_both_databases

from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.services.container import Services
from itp_monitor.services.lab_files import UnreadableFile
from itp_monitor.services.lab_import import LabOptions, LabPreview
from itp_monitor.services.results import PatientInfo


@pytest.fixture
def jane(services: Services, patient: PatientInfo) -> PatientInfo:
    return patient  # A1001, Jane Doe


def write(tmp_path: Path, text: str, name: str = "labs.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def preview(services: Services, path: Path, **options: object) -> LabPreview:
    return services.labs.preview(path, LabOptions(**options))  # type: ignore[arg-type]


def statuses(p: LabPreview) -> list[tuple[int, str]]:
    return [(r.line, r.status) for r in p.rows]


def test_a_plain_file_with_new_results(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "MRN,Collected at,Platelets,Unit,Accession\n"
        "A1001,2026-11-24T08:00,42,10^9/L,L1\n"
        "a1001 ,2026-11-24 20:15:30,38.5,G/L,L2\n",
    )
    p = preview(services, path)
    assert statuses(p) == [(2, "new"), (3, "new")]
    assert [(r.value, r.collected_at) for r in p.rows] == [
        (42.0, datetime(2026, 11, 24, 8)),
        (38.5, datetime(2026, 11, 24, 20, 15, 30)),
    ]
    assert p.summary == {
        "new": 2,
        "duplicate": 0,
        "unknown_patient": 0,
        "invalid": 0,
        "correction": 0,
    }
    assert services.patients.records(jane.id).counts == ()  # a preview saves nothing


@pytest.mark.parametrize(
    ("delimiter", "header"),
    [
        (",", "mrn,collected,plt,units,lab number"),
        (";", "Patient ID;Specimen time;Platelet count;Unit;Specimen ID"),
        ("\t", "Hospital Number\tCollection Time\tResult\tUNITS\tAccession Number"),
    ],
)
def test_delimiters_and_header_spellings(
    services: Services, jane: PatientInfo, tmp_path: Path, delimiter: str, header: str
) -> None:
    row = delimiter.join(["A1001", "2026-11-24 08:00", "42", "10^9/L", "L9"])
    p = preview(services, write(tmp_path, f"{header}\n{row}\n"))
    assert statuses(p) == [(2, "new")]
    assert p.layout is not None and p.layout.delimiter == delimiter


@pytest.mark.parametrize(
    ("unit", "written", "value"),
    [
        ("10^9/L", "42", 42),
        ("G/L", "42", 42),
        ("10^3/uL", "42", 42),
        ("K/uL", "42", 42),
        ("x10E9/L", "42", 42),
        ("×10⁹/L".replace("⁹", "^9"), "42", 42),
        ("10*9/L", "42", 42),
        ("10^3/µL", "42", 42),
        ("10^3/μL", "42", 42),
        ("/uL", "42000", 42),
        ("cells/µL", "42000", 42),
        (" k / ul ", "42", 42),
    ],
)
def test_units_are_converted_explicitly(
    services: Services, jane: PatientInfo, tmp_path: Path, unit: str, written: str, value: float
) -> None:
    p = preview(
        services,
        write(tmp_path, f"mrn,collected,plt,unit\nA1001,2026-11-24 08:00,{written},{unit}\n"),
    )
    assert (p.rows[0].status, p.rows[0].value) == ("new", value)


def test_an_unknown_unit_or_no_unit_is_invalid_and_never_guessed(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "mrn,collected,plt,unit\nA1001,2026-11-24 08:00,42,mmol/L\nA1001,2026-11-24 09:00,42,\n",
    )
    p = preview(services, path)
    assert [r.status for r in p.rows] == ["invalid", "invalid"]
    assert "unit: 'mmol/L' is not a platelet unit" in (p.rows[0].reason or "")
    assert "unit: none given" in (p.rows[1].reason or "")


def test_the_unit_option_fills_only_rows_without_one(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "mrn,collected,plt,unit\nA1001,2026-11-24 08:00,42000,/uL\nA1001,2026-11-24 09:00,43,\n",
    )
    p = preview(services, path, unit="10^9/L")
    assert [(r.status, r.value) for r in p.rows] == [("new", 42), ("new", 43)]


def test_a_file_without_a_unit_column_takes_the_unit_option(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(tmp_path, "mrn,collected,plt\nA1001,2026-11-24 08:00,42\n")
    assert preview(services, path).rows[0].status == "invalid"
    assert preview(services, path, unit="K/uL").rows[0].value == 42


def test_a_decimal_comma_is_read_only_when_comma_is_not_the_delimiter(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    semi = write(tmp_path, "mrn;collected;plt;unit\nA1001;2026-11-24 08:00;31,5;G/L\n", "semi.csv")
    comma = write(
        tmp_path, 'mrn,collected,plt,unit\nA1001,2026-11-24 08:00,"31,5",G/L\n', "comma.csv"
    )
    assert preview(services, semi).rows[0].value == 31.5
    assert preview(services, comma).rows[0].status == "invalid"


def test_other_time_layouts_need_a_time_format(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "mrn,collected,plt,unit\nA1001,24/11/2026 08:00,42,G/L\nA1001,2026-11-24 09:00,43,G/L\n",
    )
    p = preview(services, path)
    assert [r.status for r in p.rows] == ["invalid", "new"]
    assert "use --time-format" in (p.rows[0].reason or "")
    p = preview(services, path, time_format="%d/%m/%Y %H:%M")
    assert (p.rows[0].status, p.rows[0].collected_at) == ("new", datetime(2026, 11, 24, 8))
    assert p.rows[1].status == "invalid"  # the layout given is the layout of every row


def test_a_date_alone_means_midnight_as_in_record_files(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    p = preview(services, write(tmp_path, "mrn,collected,plt,unit\nA1001,2026-11-24,43,G/L\n"))
    assert (p.rows[0].status, p.rows[0].collected_at) == ("new", datetime(2026, 11, 24))


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("A1001,2026-11-24 08:00,1501,G/L", "value: 1,501 is above 1,500"),
        ("A1001,2026-11-24 08:00,-3,G/L", "value: '-3' is not a plain number (no sign)"),
        ("A1001,2026-11-24 08:00,<10,G/L", "value: '<10' is not a plain number"),
        ("A1001,2026-11-26 08:00,42,G/L", "is in the future"),
        (",2026-11-24 08:00,42,G/L", "mrn: empty"),
        ("A1001,2026-13-24 08:00,42,G/L", "'2026-13-24 08:00' is not a real date and time"),
        ("A1001,,42,G/L", "collected_at: '' is not a date and time"),
        ("A1001", "the line has 1 cell, the header has 4"),
    ],
)
def test_invalid_rows_say_why_and_the_others_still_show(
    services: Services, jane: PatientInfo, tmp_path: Path, row: str, reason: str
) -> None:
    path = write(tmp_path, f"mrn,collected,plt,unit\n{row}\nA1001,2026-11-24 09:00,40,G/L\n")
    p = preview(services, path)
    assert [r.status for r in p.rows] == ["invalid", "new"]
    assert reason in (p.rows[0].reason or "")


@on_both_databases
def test_statuses_against_what_is_stored(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    other = services.patients.add(
        PatientDetails("B2002", "Mary Roe", date(2027, 2, 1), weight_kg=60)
    )
    services.records.record(
        other.id, PlateletCount(datetime(2026, 11, 20, 8), 50.0, "lab", "TAKEN")
    )
    services.records.record(jane.id, PlateletCount(datetime(2026, 11, 21, 8), 30.0, "lab"))
    path = write(
        tmp_path,
        "mrn,collected,plt,unit,accession\n"
        "A1001,2026-11-24 08:00,42,G/L,TAKEN\n"  # accession of another patient
        "A1001,2026-11-21 08:00,30,G/L,\n"  # same time and value stored
        "  a1001,2026-11-22 08:00,31,G/L,N1\n"  # new (MRN trimmed, any case)
        "A1001,2026-11-23 08:00,32,G/L,N1\n"  # same accession earlier in file
        "Z999,2026-11-23 08:00,32,G/L,N2\n",
    )  # unknown patient
    p = preview(services, path)
    assert [r.status for r in p.rows] == [
        "duplicate",
        "duplicate",
        "new",
        "duplicate",
        "unknown_patient",
    ]
    assert "accession TAKEN is already stored" in (p.rows[0].reason or "")


@on_both_databases
def test_saving_adds_only_the_new_rows_in_one_go_with_their_audit(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "mrn,collected,plt,unit,accession\n"
        "A1001,2026-11-22 08:00,31,G/L,N1\n"
        "A1001,2026-11-23 08:00,abc,G/L,N2\n"
        "A1001,2026-11-24 08:00,42,G/L,N3\n",
    )
    before = audit_total(services.db)
    saved = services.labs.save(path)
    assert saved.saved and saved.summary["new"] == 2
    counts = services.patients.records(jane.id).counts
    assert [(c.record.value, c.record.source, c.record.accession) for c in counts] == [
        (31.0, "lab", "N1"),
        (42.0, "lab", "N3"),
    ]
    assert audit_total(services.db) == before + 2
    assert services.patients.history(jane.id)[-1].reason == "laboratory file labs.csv"
    assert saved.patient_ids == {jane.id}  # whose board rows change
    again = services.labs.preview(path)  # the same file a second time
    assert [r.status for r in again.rows] == ["duplicate", "invalid", "duplicate"]
    assert again.patient_ids == frozenset()  # a preview writes nothing
    assert services.labs.save(path).patient_ids == frozenset()  # nor does a save of nothing new


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("name,when,count\nA,b,c\n", "has no column for mrn, collected_at, value"),
        (
            "mrn,collected,plt,result\nA1001,2026-11-24 08:00,1,2\n",
            "two columns for value (plt, result)",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused(
    services: Services, tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(UnreadableFile, match=message.replace("(", r"\(").replace(")", r"\)")):
        services.labs.preview(write(tmp_path, text))


def test_a_mapping_names_the_columns_and_is_remembered_for_the_same_header(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(tmp_path, "Pt No;Drawn;Count;U\nA1001;2026-11-24 08:00;42;G/L\n")
    with pytest.raises(UnreadableFile):
        services.labs.preview(path)
    assert services.labs.columns(path) == ("Pt No", "Drawn", "Count", "U")
    mapping = {"Pt No": "mrn", "Drawn": "collected_at", "Count": "value", "U": "unit"}
    p = preview(services, path, mapping=mapping)
    assert statuses(p) == [(2, "new")]
    assert p.layout is not None
    services.labs.remember_mapping(p.layout.header, mapping)
    later = write(tmp_path, "Pt No;Drawn;Count;U\nA1001;2026-11-25 08:00;43;G/L\n", "later.csv")
    assert statuses(services.labs.preview(later)) == [(2, "new")]
    # --map wins over what was remembered
    swapped = preview(services, later, mapping={"Count": "accession", "U": "value"})
    assert swapped.rows[0].status == "invalid"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16"])
def test_encodings_spreadsheets_save(
    services: Services, jane: PatientInfo, tmp_path: Path, encoding: str
) -> None:
    path = write(
        tmp_path,
        "mrn,collected,plt,unit\nA1001,2026-11-24 08:00,42000,cells/µL\n",
        encoding=encoding,
    )
    p = services.labs.preview(path)
    assert (p.rows[0].status, p.rows[0].value) == ("new", 42)


def test_line_numbers_are_physical_lines(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "mrn,collected,plt,unit\n\nA1001,2026-11-24 08:00,42,G/L\n\n\n"
        "A1001,2026-11-24 09:00,43,G/L\n",
    )
    assert [r.line for r in preview(services, path).rows] == [3, 6]


@on_both_databases
def test_saving_a_file_that_repeats_a_result_saves_it_once(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "mrn,collected,plt,unit,accession\n"
        "A1001,2026-11-22 08:00,31,G/L,N1\n"
        "A1001,2026-11-22 08:00,31,G/L,N1\n"
        "A1001,2026-11-22 08:00,31,G/L,\n",
    )
    saved = services.labs.save(path)
    assert [r.status for r in saved.rows] == ["new", "duplicate", "duplicate"]
    assert [c.record.value for c in services.patients.records(jane.id).counts] == [31.0]


def test_garbage_rows_are_invalid_and_the_good_ones_still_show(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "mrn,collected,plt,unit\n"
        "%%%% printer test page %%%%\n"
        "A1001,2026-11-24 08:00,42,G/L\n"
        '"unterminated,quote\n'
        "A1001,2026-11-24 09:00,43,G/L,extra,cells\n",
    )
    p = preview(services, path)
    assert [r.status for r in p.rows] == ["invalid", "new", "invalid", "invalid"]
    assert p.rows[0].reason == "the line has 1 cell, the header has 4"
    assert p.rows[3].reason == "the line has 6 cells, the header has 4"


def test_a_count_in_the_wrong_unit_is_refused_with_a_hint(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(tmp_path, "mrn,collected,plt,unit\nA1001,2026-11-24 08:00,45000,10^9/L\n")
    (row,) = preview(services, path).rows
    assert row.status == "invalid"
    assert "it looks like a per-µL value: 45,000/µL is 45 ×10⁹/L" in (row.reason or "")


# --- every value read as meant or refused (issue 8) ----------------------------------


def test_a_line_with_more_or_fewer_cells_than_the_header_is_never_shifted(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "MRN,Collected,Unit,Platelets,Accession\n"
        "A1001,2026-11-24 08:00,/uL,45,000,TS-1\n"  # an unquoted thousands comma: 6 cells
        "A1001,2026-11-24 09:00,/uL,45000\n"
        'A1001,2026-11-24 10:00,/uL,"45,000",TS-2\n',
    )
    saved = services.labs.save(path)
    assert [(r.status, r.reason) for r in saved.rows] == [
        ("invalid", "the line has 6 cells, the header has 5"),
        ("invalid", "the line has 4 cells, the header has 5"),
        ("new", None),
    ]
    assert saved.rows[0].value is None and saved.rows[0].accession is None
    counts = services.patients.records(jane.id).counts
    assert [(c.record.value, c.record.accession) for c in counts] == [(45.0, "TS-2")]


@pytest.mark.parametrize(
    ("delimiter", "written"),
    [
        (";", "150.000"),
        (";", "150,000"),
        (";", "150 000"),
        (";", "150\u00a0000"),
        (";", "150'000"),
        (",", '"150,000"'),
        (",", "150.000"),
        ("\t", "150 000"),
    ],
)
def test_per_microlitre_counts_read_thousands_separators(
    services: Services, jane: PatientInfo, tmp_path: Path, delimiter: str, written: str
) -> None:
    header = delimiter.join(["mrn", "collected", "plt", "unit"])
    row = delimiter.join(["A1001", "2026-11-24 08:00", written, "cells/uL"])
    (r,) = preview(services, write(tmp_path, f"{header}\n{row}\n")).rows
    assert (r.status, r.value) == ("new", 150.0)


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("150.5", "value: '150.5' is not a whole number"),
        ("45000,5", "value: '45000,5' is not a whole number"),
        ("1500.000", "value: '1500.000' is not a whole number"),
        ("1.500,000", "value: '1.500,000' is not a plain number"),
    ],
)
def test_per_microlitre_counts_with_another_fraction_are_invalid(
    services: Services, jane: PatientInfo, tmp_path: Path, written: str, reason: str
) -> None:
    path = write(tmp_path, f"mrn;collected;plt;unit\nA1001;2026-11-24 08:00;{written};/uL\n")
    (r,) = preview(services, path).rows
    assert r.status == "invalid" and (r.reason or "").startswith(reason)


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("1_000", "value: '1_000' is not a plain number (no underscores)"),
        ("１２", "value: '１２' is not a plain number (digits 0–9 only)"),
        ("١٢", "value: '١٢' is not a plain number (digits 0–9 only)"),
        ("1e2", "value: '1e2' is not a plain number (no exponent)"),
        ("+42", "value: '+42' is not a plain number (no sign)"),
        ("4" * 400, "value: '4444444444"),
    ],
)
def test_numbers_are_ascii_digits_only(
    services: Services, jane: PatientInfo, tmp_path: Path, written: str, reason: str
) -> None:
    path = write(tmp_path, f"mrn,collected,plt,unit\nA1001,2026-11-24 08:00,{written},G/L\n")
    (r,) = preview(services, path).rows
    assert r.status == "invalid" and (r.reason or "").startswith(reason)
    assert len(r.reason or "") < 120


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("0001-01-01 00:00", "is before 1900-01-01"),
        ("1899-12-31 23:59", "is before 1900-01-01"),
        ("2026-11", "collected_at: '2026-11' gives only the year and month"),
        ("2026", "collected_at: '2026' gives only the year"),
        ("2026-11-24T08:00+01:00", "has a time-zone offset"),
    ],
)
def test_times_need_a_day_and_nothing_before_1900(
    services: Services, jane: PatientInfo, tmp_path: Path, written: str, reason: str
) -> None:
    path = write(tmp_path, f"mrn,collected,plt,unit\nA1001,{written},42,G/L\n")
    (r,) = preview(services, path).rows
    assert r.status == "invalid" and reason in (r.reason or "")


@pytest.mark.parametrize(
    ("written", "layout", "message"),
    [("11/2026", "%m/%Y", "gives no day"), ("24/11 08:00", "%d/%m %H:%M", "gives no year")],
)
def test_a_time_format_without_a_whole_date_cannot_read_the_file(
    services: Services, jane: PatientInfo, tmp_path: Path, written: str, layout: str, message: str
) -> None:
    path = write(tmp_path, f"mrn,collected,plt,unit\nA1001,{written},42,G/L\n")
    with pytest.raises(UnreadableFile, match=message):
        preview(services, path, time_format=layout)


def test_a_cell_over_the_csv_field_limit_spoils_its_own_line_only(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    huge = "x" * 200_000
    path = write(
        tmp_path,
        f"mrn,collected,plt,unit\nA1001,2026-11-24 08:00,{huge},G/L\n"
        f'A1001,2026-11-24 08:00,"{huge}",G/L\nA1001,2026-11-24 09:00,40,G/L\n',
    )
    p = preview(services, path)
    assert [r.status for r in p.rows] == ["invalid", "invalid", "new"]
    assert all(len(r.reason or "") < 200 for r in p.rows)
    assert "the line cannot be read as CSV" in (p.rows[0].reason or "")


def test_a_header_too_long_to_read_or_unrecognised_is_quoted_short(
    services: Services, tmp_path: Path
) -> None:
    with pytest.raises(UnreadableFile, match="the header cannot be read") as refused:
        preview(services, write(tmp_path, "mrn," + "y" * 200_000 + "\nA1001,1\n"))
    assert len(str(refused.value)) < 200
    long_header = ",".join(f"column {i}" for i in range(5_000))
    with pytest.raises(UnreadableFile, match="has no column for") as refused:
        preview(services, write(tmp_path, long_header + "\n", "wide.csv"))
    assert len(str(refused.value)) < 300


@pytest.mark.parametrize(
    ("mrn", "reason"),
    [
        ("A" * 65, "mrn: 65 characters, at most 64"),
        ("A10\x0701", r"mrn: 'A10\x0701' holds unprintable characters"),
    ],
)
def test_an_mrn_no_record_could_hold_is_invalid_and_not_echoed(
    services: Services, jane: PatientInfo, tmp_path: Path, mrn: str, reason: str
) -> None:
    path = write(tmp_path, f"mrn,collected,plt,unit\n{mrn},2026-11-24 08:00,42,G/L\n")
    (r,) = preview(services, path).rows
    assert (r.status, r.reason, r.mrn) == ("invalid", reason, None)


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,  # every byte: NUL among them
        b"\x89PNG\r\n\x1a\n" + bytes(range(1, 200)) * 20,
        b"PK\x03\x04" + b"\x14\x00\x06\x00" + b"mrn,collected,plt" * 3,  # a spreadsheet (zip)
        "mrn,collected,plt\n".encode("utf-16-le"),  # UTF-16 without its byte-order mark
        bytes(range(1, 32)) * 50 + b"mrn,collected,plt\n",  # control characters, no NUL
    ],
)
def test_a_binary_file_is_refused_without_echoing_its_bytes(
    services: Services, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "results.csv"
    path.write_bytes(data)
    for read in (services.labs.preview, services.labs.columns):
        with pytest.raises(UnreadableFile) as refused:
            read(path)
        message = str(refused.value)
        assert "does not look like a text laboratory file" in message
        assert message.isprintable() and len(message) < 200
        assert "PNG" not in message and "mrn" not in message
