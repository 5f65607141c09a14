"""Reading laboratory files, CSV and HL7 v2 ORU^R01 (docs/command-line.md), into LabResults."""

# Each platelet result becomes a LabResult: where it is in the file, what it says, its
# value in ×10⁹/L, or why it cannot be taken. Matching it against the database is
# services/lab_judge.py's business. Values are read by domain/reading.py, as in record
# files. HL7 is read in lab_hl7.py; this module reads CSV and is where callers import from.

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from itp_monitor.domain.reading import (
    NumberReader,
    Unreadable,
    check_time_format,
    formatted_time,
    iso_time,
    not_text,
    quoted,
)
from itp_monitor.services.lab_hl7 import is_hl7, read_hl7
from itp_monitor.services.lab_results import (
    UNITS,
    LabResult,
    UnreadableFile,
    check_code,
    convert,
    factor_of,
    normal_unit,
)

__all__ = [
    "FIELDS",
    "UNITS",
    "CsvLayout",
    "LabResult",
    "UnreadableFile",
    "csv_layout",
    "decode",
    "factor_of",
    "header_key",
    "header_keys",
    "is_hl7",
    "normal_header",
    "normal_unit",
    "read_csv",
    "read_hl7",
    "split_header",
]

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
_LINES = re.compile(r"\r\n|\r|\n")


def normal_header(text: str) -> str:
    """Header text compared ignoring case, spaces and punctuation."""
    return re.sub(r"[\W_]+", "", text.casefold())


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


def _first_line(text: str) -> str:
    """The first line that is not blank: the header (lines end as read_csv ends them)."""
    for found in re.finditer(r"[^\r\n]*", text):
        if found.group().strip():
            return found.group()
    return ""


def _cells(line: str, delimiter: str) -> list[str]:
    """The cells of one line; csv.Error (a cell over csv's field limit) is the caller's."""
    return next(csv.reader([line], delimiter=delimiter), [])


def _header_cells(text: str) -> dict[str, list[str]]:
    """The header's cells under each delimiter it can be split by."""
    first = _first_line(text)
    cells = {}
    for delimiter in DELIMITERS:
        try:
            cells[delimiter] = _cells(first, delimiter)
        except csv.Error:
            continue
    return cells


def split_header(text: str) -> tuple[str, tuple[str, ...]]:
    """The delimiter that splits the first line into the most cells, and those cells:
    what a person maps by hand when the header is not recognised."""
    cells = _header_cells(text)
    if not cells:
        raise UnreadableFile("line 1: the header cannot be read (a cell is too long)")
    best = max(cells, key=lambda d: len(cells[d]))
    return best, tuple(cells[best])


def header_keys(text: str) -> list[str]:
    """The header key the file's first line would have under each delimiter."""
    return [header_key(cells) for cells in _header_cells(text).values()]


def decode(data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (with or without BOM), UTF-16 with BOM, else
    Windows-1252, which is what spreadsheets on a ward PC save. A file that is not
    text (a spreadsheet, a picture) is UnreadableFile, its bytes never shown."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = data.decode("utf-16", errors="replace"), "utf-16"
    else:
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("cp1252", errors="replace"), "windows-1252"
    binary = not_text(text)
    if binary:
        raise UnreadableFile(
            f"the file does not look like a text laboratory file ({binary}); "
            "save the results as CSV or HL7"
        )
    return text, encoding


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
    first = _first_line(text)
    if not first:
        raise UnreadableFile("the file is empty")
    best: tuple[int, str, list[str], dict[str, list[int]]] | None = None
    for delimiter, header in _header_cells(text).items():
        found = _recognise(header, mapping)
        score = sum(1 for f in REQUIRED if found[f])
        if best is None or score > best[0]:
            best = (score, delimiter, header, found)
    if best is None:
        raise UnreadableFile("line 1: the header cannot be read (a cell is too long)")
    _, delimiter, header, found = best
    missing = [f for f in REQUIRED if not found[f]]
    if missing:
        raise UnreadableFile(
            f"the header {quoted(first, 80)} has no column for {', '.join(missing)}; "
            "name them (see --map HEADER=FIELD)"
        )
    twice = [f for f, cols in found.items() if len(cols) > 1]
    if twice:
        raise UnreadableFile(
            "two columns for "
            + ", ".join(
                f"{f} ({', '.join(quoted(header[i])[1:-1] for i in found[f])})" for f in twice
            )
        )
    return CsvLayout(delimiter, encoding, tuple(header), {f: c[0] for f, c in found.items() if c})


def parse_time(text: str, time_format: str | None) -> datetime:
    """A CSV time: ISO 8601, or the layout `time_format`; Unreadable says why not."""
    return formatted_time(text, time_format) if time_format else iso_time(text)


def read_csv(
    text: str, layout: CsvLayout, *, unit: str | None, time_format: str | None
) -> Iterator[LabResult]:
    """One LabResult per data line; `line` counts physical lines, the header being line 1.

    Each line is read on its own: a stray quote mark then spoils its own line only,
    never the rest of the file (laboratory exports put one result on a line). A line
    with more or fewer cells than the header is invalid: its cells are never shifted.
    """
    if time_format:
        try:
            check_time_format(time_format)
        except Unreadable as e:
            raise UnreadableFile(str(e)) from None
    hint = f"; expected {time_format}" if time_format else " (use --time-format for other layouts)"
    numbers = NumberReader(decimal_comma=layout.delimiter != ",")
    cols, width = layout.columns, len(layout.header)
    header_seen = False
    for line, physical in enumerate(_LINES.split(text), start=1):
        try:
            row = _cells(physical, layout.delimiter)
        except csv.Error as e:  # a cell longer than csv's field limit
            if header_seen:
                yield LabResult(line, problem=f"the line cannot be read as CSV ({e})")
            header_seen = True
            continue
        if not header_seen:
            if any(cell.strip() for cell in row):
                header_seen = True
            continue
        if not any(cell.strip() for cell in row):
            continue  # a blank line is no result
        result = LabResult(line)
        if len(row) != width:
            result.problem = (
                f"the line has {len(row)} cell{'' if len(row) == 1 else 's'}, "
                f"the header has {width}"
            )
            yield result
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = cols.get(name)
            return row[i] if i is not None else ""

        mrn = check_code(result, "mrn", cell("mrn").strip())
        result.mrn = mrn
        result.accession = check_code(result, "accession", cell("accession").strip())
        if result.problem:
            pass
        elif not mrn:
            result.problem = "mrn: empty"
        else:
            try:
                result.collected_at = parse_time(cell("collected_at"), time_format)
            except Unreadable as e:
                tail = hint if str(e).endswith("is not a date and time") else ""
                result.problem = f"collected_at: {e}{tail}"
                yield result
                continue
            unit_text = cell("unit") if "unit" in cols else None
            convert(result, cell("value"), unit_text, unit, numbers)
        yield result
