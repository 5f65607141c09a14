"""Whatever valid records are written to a record file are read back unchanged; what a
damaged or unclear file says is refused by name, with nothing saved."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from itp_monitor.domain.records import (
    AdverseEvent,
    BleedingAssessment,
    Delivery,
    Injection,
    NeonatalCount,
    PatientDetails,
    PlateletCount,
    Treatment,
)
from itp_monitor.domain.vocab import (
    Anaesthesia,
    DeliveryMode,
    InjectionSite,
    RecordStatus,
    TreatmentKind,
    values_of,
)
from itp_monitor.services import record_file
from itp_monitor.services.container import Services
from itp_monitor.services.record_file import FileRefused
from itp_monitor.services.results import PatientInfo, PatientRecords, Stored
from itp_monitor.storage.models import AuditEntry, Patient, PlateletCountRow

times = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 11, 25))
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
optional_text = st.none() | text
counts = st.builds(PlateletCount, times, st.floats(0, 1500), text.filter(str.strip), optional_text)
injections = st.builds(
    Injection,
    times,
    st.integers(1, 200_000),
    st.floats(30, 250),
    st.none() | st.sampled_from(values_of(InjectionSite)),
    optional_text,
    optional_text,
    optional_text,
)
bleeding = st.builds(BleedingAssessment, times, st.integers(0, 4), optional_text)
treatments = st.builds(
    Treatment, st.sampled_from(values_of(TreatmentKind)), times, st.none() | times, optional_text
)
deliveries = st.builds(
    Delivery,
    times,
    st.sampled_from(values_of(DeliveryMode)),
    st.none() | st.sampled_from(values_of(Anaesthesia)),
    st.none() | st.integers(0, 20_000),
    optional_text,
)
neonatal = st.builds(NeonatalCount, times, st.floats(0, 1500), optional_text)
adverse = st.builds(
    AdverseEvent, times, text.filter(str.strip), st.integers(1, 5), st.none() | st.booleans()
)
details = st.builds(
    PatientDetails,
    text.filter(str.strip).map(str.strip).filter(bool),
    text.filter(str.strip),
    st.dates(),
    st.none() | st.dates(),
    st.none() | st.floats(30, 250),
    optional_text,
)


def _stored(records: list) -> tuple:  # type: ignore[type-arg]
    return tuple(
        Stored(i, 1, r, RecordStatus.CURRENT, None, datetime(2026, 1, 1), "x")
        for i, r in enumerate(records)
    )


@settings(max_examples=150, deadline=None)
@given(
    details,
    st.booleans(),
    st.lists(counts, max_size=5),
    st.lists(injections, max_size=5),
    st.lists(bleeding, max_size=3),
    st.lists(treatments, max_size=3),
    st.none() | deliveries,
    st.lists(neonatal, max_size=3),
    st.lists(adverse, max_size=3),
)
def test_written_records_read_back_the_same(
    d,
    archived,
    c,
    i,
    b,
    t,
    delivery,
    n,
    a,  # type: ignore[no-untyped-def]
) -> None:
    original = PatientRecords(
        patient=PatientInfo(1, d, archived),
        counts=_stored(c),
        injections=_stored(i),
        bleeding=_stored(b),
        treatments=_stored(t),
        delivery=_stored([delivery])[0] if delivery else None,
        neonatal_counts=_stored(n),
        adverse_events=_stored(a),
    )
    data = json.loads(json.dumps(record_file.write([original])))
    [patient], problems = record_file.read(data)
    assert problems == []
    assert patient.details == d and patient.archived == archived
    expected = [*c, *i, *b, *t, *([delivery] if delivery else []), *n, *a]
    assert [r.record for r in patient.records] == expected


# --- damaged and unclear files: refused by name, nothing saved (issue 8) --------------


def _file() -> dict[str, Any]:
    return {
        "format": "itp-monitor/1",
        "patients": [
            {
                "mrn": "F1001",
                "name": "Fay File",
                "edd": "2027-01-10",
                "weight_kg": 68.0,
                "platelet_counts": [{"collected_at": "2026-11-20T08:00:00", "value": 18.0}],
                "injections": [
                    {"given_at": "2026-11-21T09:00:00", "dose_units": 20400, "site": "arm-left"}
                ],
            }
        ],
    }


def _rows(services: Services) -> tuple[int, int, int]:
    with services.db.reading() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Patient, PlateletCountRow, AuditEntry)
        )


def _refused(services: Services, path: Path) -> str:
    before = _rows(services)
    with pytest.raises(FileRefused) as refused:
        services.exchange.import_file(path)
    assert _rows(services) == before  # nothing of a refused file is saved
    text = str(refused.value)
    assert len(text) < 400 and all(p.isprintable() for p in refused.value.problems)
    return text


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "records.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_sample_file_imports(services: Services, tmp_path: Path) -> None:
    outcome = services.exchange.import_file(_written(tmp_path, json.dumps(_file())))
    assert outcome.created == ("F1001",) and outcome.records_added == 2


@pytest.mark.parametrize(
    ("where", "number", "message"),
    [
        ("value", "1" * 400, "platelet_counts #1, value: 111111111111… (a number of 400 char"),
        ("value", "1" * 400 + ".5", "is not a number a record can hold"),
        ("value", "1e400", "value: 1e400 is not a number a record can hold"),
        ("dose", "2" * 5000, "injections #1, dose_units: 222222222222… (a number of 5,000"),
        ("dose", "12345678901234567", "is not a number a record can hold"),
    ],
)
def test_numbers_no_record_can_hold_are_refused_by_name(
    services: Services, tmp_path: Path, where: str, number: str, message: str
) -> None:
    text = json.dumps(_file())
    text = (
        text.replace('"value": 18.0', f'"value": {number}')
        if where == "value"
        else (text.replace('"dose_units": 20400', f'"dose_units": {number}'))
    )
    refused = _refused(services, _written(tmp_path, text))
    assert "patient F1001 (#1 in the file)" in refused and message in refused


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("collected_at", "2026", "collected_at: '2026' gives only the year"),
        ("collected_at", "2026-11", "collected_at: '2026-11' gives only the year and month"),
        ("collected_at", "0001-01-01T00:00:00", "collected_at: 0001-01-01 00:00 is before"),
        ("collected_at", "1899-12-31T23:59:00", "is before 1900-01-01"),
        ("collected_at", "2026-11-20T08", "collected_at: '2026-11-20T08' is not a date and time"),
        ("collected_at", "２０２６-11-20T08:00:00", "is not a date and time"),
        ("collected_at", "2026-W47-5", "is not a date and time"),
        ("collected_at", [[[[]]]], "collected_at: a list is not a date and time"),
        ("value", "1_000", "value: '1_000' is not a number"),
        ("value", True, "value: True is not a number"),
        ("source", "x" * 100_000, "source: is 100,000 characters long; at most 64"),
        ("x" * 100_000, 1, "'xxxxxxxx"),
    ],
)
def test_fields_not_read_as_meant_are_refused_by_name(
    services: Services, tmp_path: Path, field: str, value: Any, message: str
) -> None:
    data = _file()
    data["patients"][0]["platelet_counts"][0][field] = value
    refused = _refused(services, _written(tmp_path, json.dumps(data)))
    assert "patient F1001 (#1 in the file), platelet_counts #1, " in refused
    assert message in refused


@pytest.mark.parametrize("mrn", ["", "   "])
def test_an_empty_mrn_is_refused(services: Services, tmp_path: Path, mrn: str) -> None:
    data = _file()
    data["patients"][0]["mrn"] = mrn
    assert "patient with no MRN (#1 in the file), mrn: is empty" in _refused(
        services, _written(tmp_path, json.dumps(data))
    )


def test_a_long_unprintable_mrn_is_named_short_and_printable(
    services: Services, tmp_path: Path
) -> None:
    data = _file()
    data["patients"][0]["mrn"] = "\x1b[2J" + "M" * 5_000
    refused = _refused(services, _written(tmp_path, json.dumps(data)))
    assert "mrn: is 5,004 characters long; at most 64" in refused


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested far deeper than any record file"),
        ('{"format": "itp-monitor/1", "patients": ' + "[" * 100_000, "nested far deeper"),
        ("", "the file is empty"),
        ("  \n", "the file is empty"),
        ('{"format": "itp-monitor/1", "patients": [', "not valid JSON"),
        ("1" * 5_000, "the file is not a record file"),
    ],
)
def test_damaged_files_are_refused_not_a_traceback(
    services: Services, tmp_path: Path, content: str, message: str
) -> None:
    assert message in _refused(services, _written(tmp_path, content))


def test_a_file_that_is_not_utf8_text_or_not_a_file_is_refused(
    services: Services, tmp_path: Path
) -> None:
    binary = tmp_path / "picture.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert "not UTF-8 text" in _refused(services, binary)
    assert "a folder, not a file" in _refused(services, tmp_path)
    assert "no such file" in _refused(services, tmp_path / "absent.json")
    with_bom = tmp_path / "bom.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(_file()).encode())
    assert services.exchange.import_file(with_bom).created == ("F1001",)
