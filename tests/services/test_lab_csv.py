"""Laboratory CSV files: layouts, units, times, statuses, and saving only what is new."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import audit_total

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
        tmp_path, "mrn,collected,plt,unit\nA1001,24/11/2026 08:00,42,G/L\nA1001,2026-11-24,43,G/L\n"
    )
    p = preview(services, path)
    assert [r.status for r in p.rows] == ["invalid", "invalid"]
    assert "use --time-format" in (p.rows[0].reason or "")
    p = preview(services, path, time_format="%d/%m/%Y %H:%M")
    assert (p.rows[0].status, p.rows[0].collected_at) == ("new", datetime(2026, 11, 24, 8))


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("A1001,2026-11-24 08:00,1501,G/L", "value: 1,501 is above 1,500"),
        ("A1001,2026-11-24 08:00,-3,G/L", "value: -3 is below 0"),
        ("A1001,2026-11-24 08:00,<10,G/L", "value: '<10' is not a plain number"),
        ("A1001,2026-11-26 08:00,42,G/L", "is in the future"),
        (",2026-11-24 08:00,42,G/L", "mrn: empty"),
        ("A1001,2026-13-24 08:00,42,G/L", "is not a date and time"),
        ("A1001", "collected_at: '' is not a date and time"),
    ],
)
def test_invalid_rows_say_why_and_the_others_still_show(
    services: Services, jane: PatientInfo, tmp_path: Path, row: str, reason: str
) -> None:
    path = write(tmp_path, f"mrn,collected,plt,unit\n{row}\nA1001,2026-11-24 09:00,40,G/L\n")
    p = preview(services, path)
    assert [r.status for r in p.rows] == ["invalid", "new"]
    assert reason in (p.rows[0].reason or "")


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
    again = services.labs.preview(path)  # the same file a second time
    assert [r.status for r in again.rows] == ["duplicate", "invalid", "duplicate"]


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
    assert [r.status for r in p.rows] == ["invalid", "new", "invalid", "new"]
    assert "collected_at: '' is not a date and time" in (p.rows[0].reason or "")


def test_a_count_in_the_wrong_unit_is_refused_with_a_hint(
    services: Services, jane: PatientInfo, tmp_path: Path
) -> None:
    path = write(tmp_path, "mrn,collected,plt,unit\nA1001,2026-11-24 08:00,45000,10^9/L\n")
    (row,) = preview(services, path).rows
    assert row.status == "invalid"
    assert "it looks like a per-µL value: 45,000/µL is 45 ×10⁹/L" in (row.reason or "")
