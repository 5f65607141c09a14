"""The patient record file (docs/record-file.md): reading it into records, writing records out.

Reading checks the form of every field and reports every problem it finds,
each named by patient (MRN and position), record and field. Values are never
converted or guessed: a count of 45000 is refused, not divided. Numbers and times
are read by domain/reading.py, as in laboratory files; a file that is damaged
(too deep, a number of thousands of digits, not text) is refused, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from itp_monitor.domain.kinds import (
    KINDS,
    MAX_CODE,
    MAX_TEXT,
    FieldInfo,
    FieldKind,
    RecordKind,
    kind_of,
)
from itp_monitor.domain.problems import Problem
from itp_monitor.domain.reading import (
    Unreadable,
    iso_date,
    iso_time,
    json_float,
    json_int,
    json_number,
    json_whole,
    quoted,
    shown,
)
from itp_monitor.domain.records import ClinicalRecord, Injection, PatientDetails, PlateletCount
from itp_monitor.services.results import PatientRecords

FORMAT = "itp-monitor/1"
UNSPECIFIED_SOURCE = "unspecified"


class FileRefused(ValueError):
    """The file cannot be imported; `problems` lists every place and what is wrong there."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class FileRecord:
    record: ClinicalRecord | None  # None when a field could not be read
    where: str  # "platelet_counts #3"


@dataclass
class FilePatient:
    position: int
    details: PatientDetails | None  # None when a detail could not be read
    archived: bool
    records: list[FileRecord] = field(default_factory=list)
    mrn: str | None = None

    @property
    def readable(self) -> bool:
        return self.details is not None and all(r.record is not None for r in self.records)

    @property
    def label(self) -> str:
        mrn = f"patient {_name(self.mrn)}" if self.mrn else "patient with no MRN"
        return f"{mrn} (#{self.position} in the file)"


def _name(text: str) -> str:
    """A name from the file in a message: as it is when short and printable, else quoted."""
    return text if len(text) <= MAX_CODE and text.isprintable() else quoted(text)


# --- the file itself --------------------------------------------------------------


def load(path: Path) -> Any:
    """The parsed JSON of a record file; FileRefused says why a file is not one at all."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileRefused([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise FileRefused([f"{path}: a folder, not a file"]) from None
    except OSError as e:
        raise FileRefused([f"{path}: cannot be read ({e.strerror or e})"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FileRefused([f"{path}: not UTF-8 text ({e.reason} at byte {e.start})"]) from None
    if not text.strip():
        raise FileRefused([f"{path}: the file is empty"])
    try:
        # parse_int and parse_float keep numbers of hundreds of digits as OutOfReach, to be
        # refused by field name, instead of Python's ValueError or an infinite float.
        return json.loads(text, parse_int=json_int, parse_float=json_float)
    except json.JSONDecodeError as e:
        raise FileRefused(
            [f"{path}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"]
        ) from None
    except RecursionError:
        raise FileRefused(
            [
                f"{path}: not a record file: its lists and fields are nested far deeper than any "
                "record file's (the file is damaged or is something else)"
            ]
        ) from None


# --- reading fields -------------------------------------------------------------


class _Fields:
    """Reads the fields of one JSON object, noting problems instead of stopping."""

    def __init__(
        self, obj: dict[str, Any], problems: list[Problem], allowed: Iterable[str]
    ) -> None:
        self.obj = obj
        self.problems = problems
        for key in obj:
            if key not in allowed:
                problems.append(
                    Problem(
                        _name(key), f"is not a field of this record (known: {', '.join(allowed)})"
                    )
                )

    def _get(self, key: str, required: bool) -> Any:
        value = self.obj.get(key)
        if value is None and required:
            self.problems.append(Problem(key, "is missing"))
        return value

    def _read(self, key: str, value: Any, reader: Callable[[Any], Any]) -> Any:
        try:
            return reader(value)
        except Unreadable as e:
            self.problems.append(Problem(key, str(e)))
            return None

    def time(self, key: str, *, required: bool = True) -> Any:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problems.append(
                Problem(key, f"{shown(value)} is not a date and time (2026-10-01T08:00:00)")
            )
            return None
        return self._read(key, value, iso_time)

    def date(self, key: str, *, required: bool = True) -> Any:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problems.append(Problem(key, f"{shown(value)} is not a date (2026-10-01)"))
            return None
        return self._read(key, value, iso_date)

    def number(self, key: str, *, required: bool = True) -> Any:
        value = self._get(key, required)
        return None if value is None else self._read(key, value, json_number)

    def whole(self, key: str, *, required: bool = True) -> Any:
        value = self._get(key, required)
        return None if value is None else self._read(key, value, json_whole)

    def text(self, key: str, *, required: bool = False, longest: int = MAX_TEXT) -> Any:
        """Text; longer than `longest` is refused here, so no message ever quotes it."""
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problems.append(Problem(key, f"{shown(value)} is not text"))
            return None
        if len(value) > longest:
            self.problems.append(
                Problem(key, f"is {len(value):,} characters long; at most {longest:,}")
            )
            return None
        return value

    def code(self, key: str, *, required: bool = False) -> Any:
        """An MRN, an accession or a word from a list: short text."""
        return self.text(key, required=required, longest=MAX_CODE)

    def flag(self, key: str, *, required: bool = False) -> Any:
        value = self._get(key, required)
        if value is not None and not isinstance(value, bool):
            self.problems.append(Problem(key, f"{shown(value)} is not true, false or null"))
            return None
        return value


_READERS: dict[FieldKind, Callable[..., Any]] = {
    FieldKind.MOMENT: _Fields.time,
    FieldKind.DATE: _Fields.date,
    FieldKind.NUMBER: _Fields.number,
    FieldKind.WHOLE: _Fields.whole,
    FieldKind.TEXT: _Fields.text,
    FieldKind.CODE: _Fields.code,
    FieldKind.FLAG: _Fields.flag,
}

# The fields a file may leave out although the record needs them, and what they are then
# (given: what the file says; weight: the patient's): a count's source is `unspecified`,
# the weight an injection's dose was based on is her weight.
_LEFT_OUT: dict[tuple[type[Any], str], Callable[[Any, float | None], Any]] = {
    (PlateletCount, "source"): lambda given, weight: given or UNSPECIFIED_SOURCE,
    (Injection, "weight_kg"): lambda given, weight: weight if given is None else given,
}


def _reader(info: FieldInfo) -> Callable[..., Any]:
    if info.kind is FieldKind.CHOICE:  # a scale's grade is a number, a list's word a code
        return _Fields.whole if isinstance(info.choices[0][0], int) else _Fields.code
    return _READERS[info.kind]


def _record(kind: RecordKind, f: _Fields, weight: float | None) -> ClinicalRecord:
    """A record read field by field, as its description says; `weight` is the patient's."""
    values: dict[str, Any] = {}
    for name in kind.field_names:  # the record's order, as its problems are listed
        info, fill = kind.field_named(name), _LEFT_OUT.get((kind.record, name))
        given = _reader(info)(f, name, required=info.required and fill is None)
        values[name] = given if fill is None else fill(given, weight)
    record: ClinicalRecord = kind.make(values)
    return record


# The lists in the file are the kinds of record in the order they are saved in (a delivery
# before the newborn counts that need it). A record's fields in the file are the fields of
# its domain record, no more and no fewer.
_PATIENT_FIELDS = (
    *("mrn", "name", "date_of_birth", "edd", "weight_kg", "notes", "archived"),
    *(kind.file_list for kind in KINDS),
)


def _read_patient(position: int, obj: Any, out: list[str]) -> FilePatient:
    if not isinstance(obj, dict):
        out.append(f"patient #{position} in the file: is not an object with fields")
        return FilePatient(position, None, False)
    problems: list[Problem] = []
    f = _Fields(obj, problems, _PATIENT_FIELDS)
    mrn = f.code("mrn", required=True)
    patient = FilePatient(
        position, None, bool(f.flag("archived")), mrn=None if mrn is None else mrn.strip()
    )
    name, edd = f.text("name", required=True), f.date("edd")
    dob, weight, notes = (
        f.date("date_of_birth", required=False),
        f.number("weight_kg", required=False),
        f.text("notes"),
    )
    if not problems:
        patient.details = PatientDetails(mrn, name, edd, dob, weight, notes)
    out.extend(f"{patient.label}, {p}" for p in problems)
    for kind in KINDS:
        list_name = kind.file_list
        entries = obj.get(list_name)
        if entries is None:
            continue
        if kind.single:
            entries = [entries]
        if not isinstance(entries, list):
            out.append(f"{patient.label}, {list_name}: is not a list")
            continue
        for index, entry in enumerate(entries, start=1):
            where = list_name if kind.single else f"{list_name} #{index}"
            if not isinstance(entry, dict):
                out.append(f"{patient.label}, {where}: is not an object with fields")
                continue
            rec_problems: list[Problem] = []
            record = _record(kind, _Fields(entry, rec_problems, kind.field_names), weight)
            out.extend(f"{patient.label}, {where}, {p}" for p in rec_problems)
            patient.records.append(FileRecord(None if rec_problems else record, where))
    return patient


def read(data: Any) -> tuple[list[FilePatient], list[str]]:
    """The patients of a parsed record file, and every problem of form found in it.

    A record or patient with a problem is kept with `record`/`details` None, so
    that the caller can go on checking the rest and report everything at once.
    FileRefused is raised only when the file is not a record file at all.
    """
    if not isinstance(data, dict):
        raise FileRefused(["the file is not a record file: it holds no JSON object"])
    if data.get("format") != FORMAT:
        raise FileRefused([f"format: {shown(data.get('format'))} is not {FORMAT!r}"])
    unknown = set(data) - {"format", "patients"}
    if unknown:
        raise FileRefused(
            [f"{_name(key)}: is not a field of a record file" for key in sorted(unknown)]
        )
    listed = data.get("patients", [])
    if not isinstance(listed, list):
        raise FileRefused(["patients: is not a list"])
    problems: list[str] = []
    patients = [_read_patient(i, obj, problems) for i, obj in enumerate(listed, start=1)]
    seen: dict[str, int] = {}
    for p in patients:
        if p.mrn:
            key = p.mrn.upper()
            if key in seen:
                problems.append(f"{p.label}, mrn: the same MRN as patient #{seen[key]}")
                p.details = None
            seen.setdefault(key, p.position)
    return patients, problems


# --- writing --------------------------------------------------------------------


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _entry(record: ClinicalRecord) -> dict[str, Any]:
    return {name: _iso(value) for name, value in kind_of(record).values(record).items()}


def write(records: Iterable[PatientRecords]) -> dict[str, Any]:
    """A record file holding the current values of each patient's records."""
    out = []
    for r in records:
        d = r.patient.details
        patient: dict[str, Any] = {
            "mrn": d.mrn,
            "name": d.name,
            "date_of_birth": _iso(d.date_of_birth),
            "edd": _iso(d.edd),
            "weight_kg": d.weight_kg,
            "notes": d.notes,
            "archived": r.patient.archived,
        }
        for kind in KINDS:
            entries = [_entry(s.record) for s in r.of(kind)]
            patient[kind.file_list] = (entries[0] if entries else None) if kind.single else entries
        out.append(patient)
    return {"format": FORMAT, "patients": out}
