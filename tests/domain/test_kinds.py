"""Each kind of record is described once (domain/kinds.py), and what is built from that
description agrees with the record, its table and the record file."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Any

import pytest

from itp_monitor.domain import records as rec
from itp_monitor.domain.kinds import KINDS, FieldInfo, FieldKind, kind_named, kind_of
from itp_monitor.domain.vocab import RecordStatus
from itp_monitor.services import kinds as stored_kinds
from itp_monitor.services import record_file
from itp_monitor.services.results import PatientInfo, PatientRecords, Stored, assemble

# the columns every clinical table adds to its record's fields: identity (here and where it
# travels) and version
VERSIONING = {
    "id",
    "patient_id",
    "status",
    "supersedes_id",
    "entered_at_utc",
    "entered_by",
    "uid",
    "device",
}


@pytest.mark.parametrize("kind", stored_kinds.KINDS, ids=lambda k: k.entity)
def test_a_kind_describes_exactly_its_records_fields_and_its_tables_columns(
    kind: stored_kinds.Kind[Any],
) -> None:
    described = sorted(f.name for f in kind.info.fields)
    assert described == sorted(f.name for f in dataclasses.fields(kind.record))
    assert described == sorted(set(kind.row.__table__.columns.keys()) - VERSIONING)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.entity)
def test_a_kinds_time_and_what_makes_two_the_same_are_among_its_fields(kind: Any) -> None:
    names = {f.name for f in kind.fields}
    assert kind.time_field in names
    assert set(kind.same_record) <= names
    assert kind.same_record or kind.single  # only a kind she has once is the same by kind alone


@pytest.mark.parametrize(
    "unchecked",
    [
        FieldInfo("value", "Count", FieldKind.NUMBER),  # a number with no range to check
        FieldInfo("value", "Day", FieldKind.DATE),  # a date the checks do not know
    ],
)
def test_a_field_the_checks_cannot_judge_is_refused_when_the_kind_is_described(
    unchecked: FieldInfo,
) -> None:
    count = kind_named("neonatal_count")
    fields = tuple(unchecked if f.name == "value" else f for f in count.fields)
    with pytest.raises(TypeError, match=r"neonatal_count: no check for \['value'\]"):
        dataclasses.replace(count, fields=fields)


def test_a_delivery_comes_before_the_newborn_counts_that_need_it() -> None:
    # The record file's lists are read, and saved, in the order of KINDS.
    assert KINDS.index(kind_named("delivery")) < KINDS.index(kind_named("neonatal_count"))


AT = datetime(2026, 10, 1, 8, 30)

# one record of each kind with every field given, in the order of KINDS
EVERY_FIELD = [
    rec.PlateletCount(AT, 42.5, "lab", "L100"),
    rec.Injection(AT, 20400, 68.0, "thigh-left", "TP1", "RN Smith", "first dose"),
    rec.BleedingAssessment(AT, 1, "petechiae"),
    rec.Treatment("prednisone", AT, datetime(2026, 10, 20, 9), "20 mg daily", "tapered"),
    rec.Delivery(AT, "caesarean", "neuraxial", 600, "uneventful"),
    rec.NeonatalCount(datetime(2026, 10, 1, 9), 160.0, "cord blood"),
    rec.AdverseEvent(AT, "headache", 2, False, "resolved"),
]


def _required_only(record: Any) -> Any:
    kind = kind_of(record)
    return dataclasses.replace(record, **{f.name: None for f in kind.fields if not f.required})


def _patient(id: int, records: list[Any]) -> PatientRecords:
    details = rec.PatientDetails(f"A{id}", "Jane Doe", date(2026, 12, 20), weight_kg=68.0)
    per_kind = {
        kind_of(r).entity: [Stored(i, id, r, RecordStatus.CURRENT, None, AT, "nurse")]
        for i, r in enumerate(records)
    }
    return assemble(PatientInfo(id, details, False), per_kind)


def test_every_kind_is_written_to_a_record_file_and_read_back_the_same() -> None:
    assert [type(r) for r in EVERY_FIELD] == [k.record for k in KINDS]
    sparse = [_required_only(r) for r in EVERY_FIELD]
    assert all(s != r for s, r in zip(sparse, EVERY_FIELD, strict=True))  # each leaves some out

    written = record_file.write([_patient(1, EVERY_FIELD), _patient(2, sparse)])
    patients, problems = record_file.read(json.loads(json.dumps(written)))

    assert problems == []
    assert [[r.record for r in p.records] for p in patients] == [EVERY_FIELD, sparse]
