"""Damaged files fed to every importer: only the documented refusals come out, never a crash.

A seeded generator (the same files on every run) builds record files, lab CSV and
HL7 from the kinds of damage seen on wards and in issue 8: nesting far too deep,
numbers of hundreds or thousands of digits, cells over the csv field limit, times
given to the year or at the ends of the calendar, cells shifted by a stray
delimiter, truncated segments and files, binary junk. Whatever comes in, the
services' read, preview and import calls either answer or refuse with FileRefused
(record files) or UnreadableFile (lab files); messages are short and printable;
and a refused record file leaves the database exactly as it was.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from itp_monitor.domain.records import PatientDetails
from itp_monitor.services.container import Services
from itp_monitor.services.lab_files import UnreadableFile
from itp_monitor.services.record_file import FileRefused
from itp_monitor.storage.models import AuditEntry, InjectionRow, Patient, PlateletCountRow

SEEDS = (1, 2, 3)
FILES = 40  # of each kind per seed: enough kinds of damage, a few seconds in all
LONGEST_MESSAGE = 400

# --- what damaged files hold ----------------------------------------------------------

HUGE_DIGITS = ("1" * 400, "9" * 5_000, "1" * 400 + ".5", "1e400", "-1e400", "1" * 33)
BAD_NUMBERS = ("1_000", "１２", "١٢", "1e2", "-5", "+5", "<10", "", " ", "NaN", "4,5,6", "1..2")
PER_UL = ("150.000", "150,000", "150 000", "150\u00a0000", "150'000", "150.5", "1.500,000")
BAD_ISO = (
    "2026",
    "2026-11",
    "0001-01-01T00:00:00",
    "0000-01-01",
    "1899-12-31T23:59:59",
    "9999-12-31T23:59:59",
    "2026-11-24T08:00+24:00",
    "2026-02-30T08:00",
    "２０２６-11-20T08:00",
    "2026-11-24T08",
)
BAD_HL7_TIMES = (
    "2026",
    "202611",
    "00010101",
    "00010101+1400",
    "00010101-1200",
    "99991231235959-1200",
    "99991231235959+1400",
    "202611240815+2400",
    "202611240815+0099",
    "20261324",
    "2026112408151",
    "",
)
JUNK = (
    b"\x00",
    b"\xff\xfe",
    b"\x89PNG\r\n\x1a\n",
    bytes(range(32)),
    b"\x1c\x0b",
    "é".encode("cp1252"),
)
UNITS = ("10^9/L", "G/L", "/uL", "cells/uL", "K/uL", "mmol/L", "", "x" * 300)


def _long_text(rng: random.Random) -> str:
    return rng.choice(("x", "\x1b", "é", ",", '"', "|")) * rng.choice((300, 131_073, 200_000))


def _anything(rng: random.Random) -> str:
    """A raw JSON token that a damaged record file might hold where a value should be."""
    depth = rng.choice((5, 1_500, 100_000))
    return rng.choice(
        (
            *HUGE_DIGITS,
            *(json.dumps(t) for t in BAD_ISO),
            *(json.dumps(n) for n in BAD_NUMBERS),
            "[" * depth + "]" * depth,
            '{"a":' * depth + "1" + "}" * depth,
            json.dumps(_long_text(rng)),
            "true",
            "null",
            "{}",
            "[]",
            "NaN",
            "Infinity",
            "-0",
            "0.000000000000000000000000000001",
        )
    )


def _mutilated(rng: random.Random, data: bytes) -> bytes:
    """Truncated, with junk inserted, or with bytes dropped: what a copy gone wrong holds."""
    for _ in range(rng.choice((0, 0, 1, 2))):
        at = rng.randrange(len(data) + 1)
        match rng.randrange(3):
            case 0:
                data = data[:at]
            case 1:
                data = data[:at] + rng.choice(JUNK) + data[at:]
            case _:
                data = data[:at] + data[at + rng.randint(1, 8) :]
    return data


# --- record files ---------------------------------------------------------------------


def _record_file(rng: random.Random, n: int) -> bytes:
    patient: dict[str, Any] = {
        "mrn": f"Z{n:04d}",
        "name": "Fuzz Patient",
        "edd": "2027-01-10",
        "weight_kg": 68.0,
        "platelet_counts": [
            {"collected_at": "2026-11-20T08:00:00", "value": 18.0, "accession": f"F{n}"}
        ],
        "injections": [{"given_at": "2026-11-21T09:00:00", "dose_units": 20400}],
        "bleeding_assessments": [{"assessed_at": "2026-11-21T09:00:00", "who_grade": 1}],
        "delivery": None,
    }
    places: list[tuple[dict[str, Any], str]] = [
        (patient, key) for key in ("mrn", "name", "edd", "weight_kg", "date_of_birth", "notes")
    ]
    places += [(patient["platelet_counts"][0], k) for k in ("collected_at", "value", "source")]
    places += [(patient["injections"][0], k) for k in ("given_at", "dose_units", "site")]
    places += [(patient["bleeding_assessments"][0], "who_grade"), (patient, "delivery")]
    tokens: dict[str, str] = {}
    for i in range(rng.choice((0, 1, 1, 2, 3))):
        target, key = rng.choice(places)
        target[key] = f"@@{i}@@"
        tokens[f'"@@{i}@@"'] = _anything(rng)
    text = json.dumps({"format": "itp-monitor/1", "patients": [patient]})
    for placeholder, token in tokens.items():
        text = text.replace(placeholder, token)
    return _mutilated(rng, text.encode("utf-8"))


def _rows(services: Services) -> tuple[int, ...]:
    with services.db.reading() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Patient, PlateletCountRow, InjectionRow, AuditEntry)
        )


def _short_and_printable(messages: list[str], where: str) -> None:
    for message in messages:
        assert message.isprintable() and len(message) <= LONGEST_MESSAGE, (where, message[:200])


@pytest.mark.parametrize("seed", SEEDS)
def test_damaged_record_files_are_imported_or_refused_and_a_refusal_changes_nothing(
    services: Services, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    refused = 0
    for n in range(FILES):
        path = tmp_path / f"record-{n}.json"
        path.write_bytes(_record_file(rng, n))
        before = _rows(services)
        try:
            services.exchange.import_file(path)
        except FileRefused as e:
            refused += 1
            assert _rows(services) == before, f"file {n} was refused but changed the database"
            _short_and_printable(e.problems, f"record file {n}")
    assert 0 < refused < FILES  # the generator makes both kinds


# --- laboratory files -----------------------------------------------------------------


def _csv(rng: random.Random) -> bytes:
    delimiter = rng.choice((",", ";", "\t"))
    header = ["MRN", "Collected at", "Platelets", "Unit", "Accession"]
    lines = [delimiter.join(header)]
    for i in range(rng.randint(1, 6)):
        cells = [
            rng.choice(("A1001", "a1001 ", "Z999", "", "A" * 70, "A10\x0701")),
            rng.choice(("2026-11-24 08:00", "2026-11-24", *BAD_ISO, "24/11/2026 08:00")),
            rng.choice(("42", "38.5", "31,5", "45000", *PER_UL, *BAD_NUMBERS, *HUGE_DIGITS)),
            rng.choice(UNITS),
            f"C{rng.randrange(10**6)}-{i}",
        ]
        if rng.random() < 0.3:
            cells[rng.randrange(5)] = _long_text(rng)
        if rng.random() < 0.2:
            cells.insert(rng.randrange(6), "000")  # a stray delimiter shifts the cells
        if rng.random() < 0.1:
            cells.pop()
        if rng.random() < 0.2:
            cells = [f'"{c}"' for c in cells]
        lines.append(delimiter.join(cells))
    return _mutilated(
        rng, "\n".join(lines).encode(rng.choice(("utf-8", "cp1252", "utf-16")), "replace")
    )


def _hl7(rng: random.Random) -> bytes:
    segments = []
    for n in range(rng.randint(1, 3)):
        value = rng.choice(("42", "150000", *PER_UL, *BAD_NUMBERS, *HUGE_DIGITS))
        when = rng.choice(("202611240815", "20261124", *BAD_HL7_TIMES))
        segments += [
            f"MSH|^~\\&|LIS|LAB|ITP|WARD|202611241000||ORU^R01^ORU_R01|M{n}|P|2.5.1",
            rng.choice(
                (
                    "PID|1||A1001^^^HOSP^MR||DOE^JANE",
                    "PID|1||",
                    f"PID|1||{'9' * 300}^^^HOSP^MR",
                    "PID",
                )
            ),
            f"OBR|1||ACC{rng.randrange(10**6)}|58410-2^CBC^LN|||{rng.choice(BAD_HL7_TIMES)}",
            f"OBX|1|NM|777-3^Platelets^LN||{value}|{rng.choice(UNITS)}|||||"
            f"{rng.choice('FCP')}|||{when}",
        ]
    for _ in range(rng.choice((0, 1, 2))):  # damaged separators, truncated segments
        i = rng.randrange(len(segments))
        segment = list(segments[i])
        at = rng.randrange(len(segment) + 1)
        if rng.random() < 0.5:
            segment[at:at] = rng.choice("|^~\\&\r\nMSH")
        else:
            del segment[at:]
        segments[i] = "".join(segment)
    ending = rng.choice(("\r", "\n", "\r\n"))
    return _mutilated(rng, ending.join(segments).encode("utf-8"))


def _junk(rng: random.Random) -> bytes:
    return rng.choice(
        (
            bytes(rng.randrange(256) for _ in range(rng.randint(0, 2_000))),
            rng.choice(JUNK) * rng.randint(1, 100),
            b"MSH" + bytes(rng.randrange(256) for _ in range(50)),
            b"",
            b"\n\n",
        )
    )


LAB_FILES: dict[str, Callable[[random.Random], bytes]] = {"csv": _csv, "hl7": _hl7, "junk": _junk}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", sorted(LAB_FILES))
def test_damaged_lab_files_are_read_or_refused(
    services: Services, tmp_path: Path, seed: int, kind: str
) -> None:
    services.patients.add(PatientDetails("A1001", "Jane Doe", date(2027, 1, 10), weight_kg=68))
    rng = random.Random(seed)
    path = tmp_path / "results.txt"
    answered = 0
    for n in range(FILES):
        path.write_bytes(LAB_FILES[kind](rng))
        where = f"{kind} file {n} (seed {seed})"
        try:
            services.labs.columns(path)
            preview = services.labs.preview(path)
            saved = services.labs.save(path) if n % 4 == 0 else preview
        except UnreadableFile as e:
            _short_and_printable([str(e)], where)
            continue
        answered += 1
        _short_and_printable([r.reason for r in saved.rows if r.reason], where)
        assert all(r.status in saved.summary for r in saved.rows)
    if kind != "junk":
        assert answered > 0  # the generator also makes files that can be read
