"""Reading laboratory files: CSV exports and HL7 v2 ORU^R01 messages (docs/command-line.md).

Each platelet result becomes a LabResult: where it is in the file, what it says,
its value converted to ×10⁹/L, or what could not be read. Matching against the
database is the import's business (services/lab_import.py), not this module's.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

import hl7

from itp_monitor.domain.units import PER_MICROLITRE

FIELDS = ("mrn", "collected_at", "value", "unit", "accession")
REQUIRED = ("mrn", "collected_at", "value")
HEADER_NAMES = {
    "mrn": ("mrn", "patient id", "hospital number"),
    "collected_at": ("collected at", "collected", "collection time", "specimen time"),
    "value": ("platelets", "plt", "platelet count", "value", "result"),
    "unit": ("unit", "units"),
    "accession": ("accession", "accession number", "specimen id", "lab number"),
}
DELIMITERS = (",", ";", "\t")
# Units matched after normalising (see normal_unit): factor to ×10⁹/L.
UNITS = {
    "10^9/l": 1.0,
    "g/l": 1.0,
    "10^3/ul": 1.0,
    "k/ul": 1.0,
    "/ul": 1 / PER_MICROLITRE,
    "cells/ul": 1 / PER_MICROLITRE,
}
PLATELET_LOINC = ("777-3", "26515-7")


class UnreadableFile(ValueError):
    """The file cannot be read as a laboratory file at all; the message says why."""


@dataclass(slots=True)
class LabResult:
    line: int
    mrn: str | None = None
    collected_at: datetime | None = None
    value: float | None = None  # ×10⁹/L, after the unit
    accession: str | None = None
    problem: str | None = None  # why it is invalid, if it is
    corrected: bool = False  # an HL7 result with status C


def normal_header(text: str) -> str:
    """Header text compared ignoring case, spaces and punctuation."""
    return re.sub(r"[\W_]+", "", text.casefold())


def normal_unit(text: str) -> str:
    s = (
        text.strip()
        .casefold()
        .replace(" ", "")
        .replace("×", "x")
        .replace("µ", "u")
        .replace("μ", "u")
    )
    s = re.sub(r"^x?10[\^*e]?([39])", r"10^\1", s)
    return s


def factor_of(unit: str) -> float | None:
    return UNITS.get(normal_unit(unit))


def _number(text: str, decimal_comma: bool) -> float | None:
    text = text.strip()
    if decimal_comma and re.fullmatch(r"-?\d+,\d+", text):
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def convert(
    result: LabResult,
    value_text: str,
    unit_text: str | None,
    default_unit: str | None,
    decimal_comma: bool,
) -> None:
    """Sets result.value in ×10⁹/L from what the file says, or result.problem."""
    number = _number(value_text, decimal_comma)
    if number is None:
        result.problem = f"value: {value_text.strip()!r} is not a plain number"
        return
    unit = unit_text.strip() if unit_text and unit_text.strip() else default_unit
    if not unit:
        result.problem = "unit: none given (give the file's unit with --unit)"
        return
    factor = factor_of(unit)
    if factor is None:
        result.problem = f"unit: {unit!r} is not a platelet unit (10^9/L, G/L, 10^3/uL, K/uL, /uL)"
        return
    result.value = number * factor


# --- CSV ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvLayout:
    delimiter: str
    encoding: str
    header: tuple[str, ...]
    columns: Mapping[str, int]  # field -> column index

    @property
    def header_key(self) -> str:
        """What identifies files of the same layout, for remembering a mapping."""
        return header_key(self.header)


def header_key(header: Iterable[str]) -> str:
    return "|".join(normal_header(h) for h in header)


def split_header(text: str) -> tuple[str, tuple[str, ...]]:
    """The delimiter that splits the first line into the most cells, and those cells:
    what a person maps by hand when the header is not recognised."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    cells = {d: next(csv.reader([first], delimiter=d)) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: len(cells[d]))
    return best, tuple(cells[best])


def header_keys(text: str) -> list[str]:
    """The header key the file's first line would have under each delimiter."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return [header_key(next(csv.reader([first], delimiter=d))) for d in DELIMITERS]


def decode(data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (with or without BOM), UTF-16 with BOM, else
    Windows-1252, which is what spreadsheets on a ward PC save."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "windows-1252"


def _recognise(header: list[str], mapping: Mapping[str, str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {f: [] for f in FIELDS}
    wanted = {normal_header(k): v for k, v in mapping.items()}
    names = {normal_header(n): f for f, ns in HEADER_NAMES.items() for n in ns}
    for i, cell in enumerate(header):
        key = normal_header(cell)
        target = wanted.get(key) or (names.get(key) if key not in wanted else None)
        if target:
            found[target].append(i)
    return found


def csv_layout(text: str, encoding: str, mapping: Mapping[str, str]) -> CsvLayout:
    """Finds the delimiter under which the header is recognised, and the columns."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise UnreadableFile("the file is empty")
    best: tuple[int, str, list[str], dict[str, list[int]]] | None = None
    for delimiter in DELIMITERS:
        header = next(csv.reader([first], delimiter=delimiter))
        found = _recognise(header, mapping)
        score = sum(1 for f in REQUIRED if found[f])
        if best is None or score > best[0]:
            best = (score, delimiter, header, found)
    assert best is not None
    _, delimiter, header, found = best
    missing = [f for f in REQUIRED if not found[f]]
    if missing:
        raise UnreadableFile(
            f"the header {header!r} has no column for {', '.join(missing)}; "
            "name them (see --map HEADER=FIELD)"
        )
    twice = [f for f, cols in found.items() if len(cols) > 1]
    if twice:
        raise UnreadableFile(
            "two columns for "
            + ", ".join(f"{f} ({', '.join(header[i] for i in found[f])})" for f in twice)
        )
    return CsvLayout(delimiter, encoding, tuple(header), {f: c[0] for f, c in found.items() if c})


def parse_time(text: str, time_format: str | None) -> datetime | None:
    text = text.strip()
    if time_format:
        try:
            return datetime.strptime(text, time_format)
        except ValueError:
            return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", text):
        return None
    try:
        return datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        return None


def read_csv(
    text: str, layout: CsvLayout, *, unit: str | None, time_format: str | None
) -> Iterator[LabResult]:
    """One LabResult per data line; `line` counts physical lines, the header being line 1.

    Each line is read on its own: a stray quote mark then spoils its own line only,
    never the rest of the file (laboratory exports put one result on a line).
    """
    decimal_comma = layout.delimiter != ","
    cols = layout.columns
    header_seen = False
    for line, physical in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        row = next(csv.reader([physical], delimiter=layout.delimiter), [])
        if not header_seen:
            if any(cell.strip() for cell in row):
                header_seen = True
            continue
        if not any(cell.strip() for cell in row):
            continue  # a blank line is no result

        def cell(name: str, row: list[str] = row) -> str | None:
            i = cols.get(name)
            return row[i] if i is not None and i < len(row) else None

        result = LabResult(line)
        mrn = (cell("mrn") or "").strip()
        result.mrn = mrn or None
        result.accession = (cell("accession") or "").strip() or None
        time_text = cell("collected_at") or ""
        result.collected_at = parse_time(time_text, time_format)
        if not mrn:
            result.problem = "mrn: empty"
        elif result.collected_at is None:
            shown = time_text.strip()
            hint = (
                f"; expected {time_format}"
                if time_format
                else " (use --time-format for other layouts)"
            )
            result.problem = f"collected_at: {shown!r} is not a date and time{hint}"
        else:
            convert(result, cell("value") or "", cell("unit"), unit, decimal_comma)
        yield result


# --- HL7 v2 ---------------------------------------------------------------------------

SKIPPED_SEGMENTS = ("FHS", "BHS", "BTS", "FTS")


def is_hl7(text: str) -> bool:
    """HL7 when the first non-blank text is MSH, FHS or BHS followed by a field separator."""
    start = text.lstrip("\x0b \t\r\n\ufeff")
    return bool(re.match(r"(MSH|FHS|BHS)[^A-Za-z0-9\s]", start))


def _segments(text: str) -> list[str]:
    """Segments in file order; CR, LF or CRLF end them; MLLP framing is dropped."""
    text = text.replace("\x0b", "").replace("\x1c", "")
    return [s for s in re.split(r"\r\n|\r|\n", text)]


def _component(field_value: object, component: int = 1, repetition: int = 0) -> str:
    """The text of one component of a field (1-based), '' when absent."""
    try:
        rep = field_value[repetition]  # type: ignore[index]
        if isinstance(rep, str):
            return rep if component == 1 else ""
        value = rep[component - 1]
        return str(value) if value is not None else ""
    except (IndexError, TypeError):
        return ""


def _field(segment: hl7.Segment, number: int) -> object:
    return segment[number] if len(segment) > number else ""


def _hl7_time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment: datetime | None = hl7.parse_datetime(text)
    except (ValueError, TypeError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is not None:  # an offset: converted to local time
        moment = moment.astimezone().replace(tzinfo=None)
    return moment


def _is_platelet(obx: hl7.Segment, local_codes: set[str]) -> bool:
    observation = _field(obx, 3)
    for code_at, system_at in ((1, 3), (4, 6)):  # identifier, then alternate identifier
        code = _component(observation, code_at)
        system = _component(observation, system_at)
        if (system == "LN" and code in PLATELET_LOINC) or (code and code in local_codes):
            return True
    return False


def _mrn(pid: hl7.Segment | None) -> str | None:
    if pid is None:
        return None
    ids = _field(pid, 3)
    try:
        repetitions = list(ids)  # type: ignore[call-overload]
    except TypeError:
        return None
    for i in range(len(repetitions)):
        if _component(ids, 5, i) == "MR":
            return _component(ids, 1, i).strip() or None
    return _component(ids, 1, 0).strip() or None


def read_hl7(text: str, *, unit: str | None, local_codes: set[str]) -> Iterator[LabResult]:
    """A LabResult per platelet OBX of ORU^R01 messages; `line`: the OBX's segment number."""
    segments = _segments(text)
    starts = [i for i, s in enumerate(segments) if s.startswith("MSH")]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(segments)
        body = [
            (i, s)
            for i, s in enumerate(segments[start:end], start)
            if s.strip() and not s.startswith(SKIPPED_SEGMENTS)
        ]
        try:
            message = hl7.parse("\r".join(s for _, s in body))
        except (hl7.ParseException, ValueError, IndexError) as e:
            raise UnreadableFile(f"segment {start + 1}: not a readable HL7 message ({e})") from None
        msh = message.segment("MSH")
        kind = _field(msh, 9)
        if (_component(kind, 1), _component(kind, 2)) != ("ORU", "R01"):
            continue
        pid = next((seg for seg in message if str(seg[0]) == "PID"), None)
        mrn = _mrn(pid)
        obr: hl7.Segment | None = None
        platelets_under_obr = 0
        for (index, _), segment in zip(body, message, strict=True):
            name = str(segment[0])
            if name == "PID":
                pid, mrn = segment, _mrn(segment)
            if name == "OBR":
                obr, platelets_under_obr = segment, 0
                continue
            if name != "OBX" or not _is_platelet(segment, local_codes):
                continue
            platelets_under_obr += 1
            result = LabResult(index + 1, mrn=mrn)
            if obr is not None:
                result.accession = _component(_field(obr, 3)).strip() or None
            status = str(_field(segment, 11)).strip()
            result.corrected = status == "C"
            when = str(_field(segment, 14)).strip() or (
                str(_field(obr, 7)).strip() if obr is not None else ""
            )
            result.collected_at = _hl7_time(when)
            value_text = str(_field(segment, 5)).strip()
            if platelets_under_obr > 1:
                result.problem = "a second platelet result under the same OBR"
            elif status not in ("F", "C"):
                result.problem = (
                    f"OBX-11: result status {status!r} is not final (F) or corrected (C)"
                )
            elif not mrn:
                result.problem = "PID-3: no MRN"
            elif result.collected_at is None:
                result.problem = f"OBX-14/OBR-7: {when!r} is not a date and time"
            elif not re.fullmatch(r"-?\d+(\.\d+)?", value_text):
                result.problem = f"OBX-5: {value_text!r} is not a plain number"
            else:
                convert(
                    result, value_text, _component(_field(segment, 6)), unit, decimal_comma=False
                )
            yield result
