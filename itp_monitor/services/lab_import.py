"""Importing laboratory results: a preview with a status for every row, then one transaction.

Statuses, the first that applies (docs/command-line.md): invalid (and why),
unknown_patient, correction (an HL7 corrected result for a stored accession
with another value), duplicate (accession already stored, or the same patient,
time and value, or an earlier new row of the file), new; a new row the app
would ask about (a likely slip) has a note, and is saved all the same. Saving
adds the new rows as counts from the laboratory and corrects the stored counts
the corrections name, all or nothing, each with its audit entry.
"""

from __future__ import annotations

import dataclasses
import math
import re
from bisect import bisect_left, bisect_right, insort
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from itp_monitor.domain.protocol import limits
from itp_monitor.domain.records import PlateletCount
from itp_monitor.domain.slips import Nearby, count_span, likely_slips
from itp_monitor.domain.validation import Checker
from itp_monitor.domain.vocab import AuditAction, RecordStatus
from itp_monitor.domain.wording import counted
from itp_monitor.services import audit
from itp_monitor.services.context import to_utc
from itp_monitor.services.lab_files import (
    FIELDS,
    CsvLayout,
    LabResult,
    UnreadableFile,
    csv_layout,
    decode,
    header_key,
    header_keys,
    is_hl7,
    read_csv,
    read_hl7,
    split_header,
)
from itp_monitor.services.preferences import preference
from itp_monitor.services.protocol_store import protocol_in_force
from itp_monitor.services.recorder import Recorder
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.models import AuditEntry, Patient, PlateletCountRow, PreferenceRow


class LabStatus(StrEnum):
    """What saving would do with a result (interfaces.md, "Statuses"); the value is the code
    in `--json`, `label` the ward's words."""

    NEW = "new"
    DUPLICATE = "duplicate"
    UNKNOWN_PATIENT = "unknown_patient"
    INVALID = "invalid"
    CORRECTION = "correction"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def saved(self) -> bool:
        """Saving adds it: a new count, or a correction of a stored one."""
        return self in (LabStatus.NEW, LabStatus.CORRECTION)


SOURCE = "lab"
CORRECTED_BY_LAB = "corrected by the laboratory"
MAPPING_KEY = "lab_csv_mapping:"
IGNORED = ""  # a column mapped to nothing: not read, even if its name is known
LOCAL_CODES_KEY = "hl7_platelet_codes"
CHUNK = 500  # values per IN (...) list
SAVE_BATCH = 2_000  # new counts per insert


@dataclass(frozen=True, slots=True)
class LabRow:
    """One result as the preview shows it."""

    line: int
    mrn: str | None
    collected_at: datetime | None
    value: float | None
    accession: str | None
    status: LabStatus
    reason: str | None
    patient_id: int | None = None
    corrects: int | None = None  # the stored count a correction replaces
    note: str | None = None  # what is unusual about a new row (saved all the same)


@dataclass(frozen=True)
class LabPreview:
    source: str  # the file's name
    kind: str  # "csv" or "hl7"
    rows: tuple[LabRow, ...]
    saved: bool = False
    layout: CsvLayout | None = None

    @property
    def summary(self) -> dict[LabStatus, int]:
        """How many rows have each status, every status named (0 where none)."""
        found = Counter(r.status for r in self.rows)
        return {status: found.get(status, 0) for status in LabStatus}

    @property
    def to_save(self) -> str:
        """'3 new results and 1 correction': what saving adds, or added."""
        summary = self.summary
        return (
            f"{counted(summary[LabStatus.NEW], 'new result')} and "
            f"{counted(summary[LabStatus.CORRECTION], 'correction')}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": [
                {
                    "line": r.line,
                    "mrn": r.mrn,
                    "collected_at": r.collected_at.isoformat() if r.collected_at else None,
                    "value": r.value,
                    "status": r.status,
                    "reason": r.reason,
                    "note": r.note,
                }
                for r in self.rows
            ],
            "summary": self.summary,
            "saved": self.saved,
        }


@dataclass(frozen=True)
class LabOptions:
    mapping: Mapping[str, str] = dataclasses.field(default_factory=dict)  # header -> field
    unit: str | None = None
    time_format: str | None = None


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


class _RowJudge:
    """Gives each result its status against the database as it is in `session`."""

    def __init__(self, session: Session, results: list[LabResult], now: datetime) -> None:
        self.session = session
        self.checker = Checker(limits(), protocol_in_force(session).values, now)
        wanted = {r.mrn.strip().upper() for r in results if r.mrn}
        self.patients: dict[str, int] = {}
        self.edd: dict[int, date] = {}
        for chunk in _chunks(sorted(wanted)):
            named = session.execute(
                select(Patient.id, Patient.mrn, Patient.edd).where(_upper_in(chunk))
            )
            for pid, mrn, edd in named:
                self.patients[mrn.strip().upper()] = pid
                self.edd[pid] = edd
        accessions = sorted({r.accession for r in results if r.accession})
        self.by_accession: dict[str, tuple[int, float, int]] = {}  # accession -> patient, value, id
        c = PlateletCountRow
        for accession, patient_id, value, count_id in _current_counts(
            session, (c.accession, c.patient_id, c.value, c.id), c.accession, accessions
        ):
            if accession is not None:  # the query asked for named accessions only
                self.by_accession[accession] = (patient_id, value, count_id)
        self.stored: set[tuple[int, datetime, float]] = set()
        # Her counts in time order, stored and this file's new ones so far: each new row
        # is compared with those within a day of it (once per pair, on the later line).
        self.times: defaultdict[int, list[tuple[datetime, float]]] = defaultdict(list)
        for patient_id, at, value in _current_counts(
            session,
            (c.patient_id, c.collected_at, c.value),
            c.patient_id,
            sorted(set(self.patients.values())),
        ):
            self.stored.add((patient_id, at, value))
            self.times[patient_id].append((at, value))
        for counts in self.times.values():
            counts.sort()
        self.new_accessions: set[str] = set()
        self.new_keys: set[tuple[int, datetime, float]] = set()

    def row(self, r: LabResult) -> LabRow:
        def made(status: LabStatus, reason: str | None = None, **more: Any) -> LabRow:
            return LabRow(
                r.line, r.mrn, r.collected_at, r.value, r.accession, status, reason, **more
            )

        if r.problem:
            return made(LabStatus.INVALID, r.problem)
        assert r.collected_at is not None and r.value is not None and r.mrn is not None
        count = PlateletCount(r.collected_at, r.value, SOURCE, r.accession)
        errors = self.checker.check(count).errors
        if errors:
            return made(LabStatus.INVALID, str(errors[0]))
        patient = self.patients.get(r.mrn.strip().upper())
        if patient is None:
            return made(LabStatus.UNKNOWN_PATIENT, f"no patient with MRN {r.mrn}")
        stored = self.by_accession.get(r.accession) if r.accession else None
        if r.corrected and stored is not None and stored[0] == patient and stored[1] != r.value:
            return made(
                LabStatus.CORRECTION,
                f"the laboratory corrected {stored[1]:g} to {r.value:g}",
                patient_id=patient,
                corrects=stored[2],
            )
        key = (patient, r.collected_at, r.value)
        if stored is not None:
            return made(
                LabStatus.DUPLICATE,
                f"accession {r.accession} is already stored",
                patient_id=patient,
            )
        if key in self.stored:
            return made(
                LabStatus.DUPLICATE, "the same count is already stored for her", patient_id=patient
            )
        if (r.accession and r.accession in self.new_accessions) or key in self.new_keys:
            return made(
                LabStatus.DUPLICATE, "the same result is earlier in this file", patient_id=patient
            )
        if r.accession:
            self.new_accessions.add(r.accession)
        self.new_keys.add(key)
        note = self._note(patient, count)
        insort(self.times[patient], (r.collected_at, r.value))
        return made(LabStatus.NEW, patient_id=patient, note=note)

    def _note(self, patient: int, count: PlateletCount) -> str | None:
        """The likely slips of a new count against her counts less than a day from it."""
        span = count_span(self.checker.protocol)
        counts = self.times.get(patient, [])
        after = bisect_right(counts, (count.collected_at - span, math.inf))
        before = bisect_left(counts, (count.collected_at + span, -math.inf))
        nearby = Nearby(self.edd.get(patient), counts=counts[after:before])
        slips = likely_slips(count, nearby, self.checker.protocol)
        return "; ".join(str(s) for s in slips) or None


def _current_counts(
    session: Session, columns: Sequence[Any], key: Any, values: Sequence[Any]
) -> Iterable[Any]:
    """`columns` of the current counts whose `key` is one of `values`, a chunk at a time."""
    for chunk in _chunks(values):
        yield from session.execute(
            select(*columns).where(
                key.in_(chunk), PlateletCountRow.status == RecordStatus.CURRENT.value
            )
        )


def _upper_in(values: Sequence[str]) -> Any:
    return func.upper(func.trim(Patient.mrn)).in_(values)


class LabImportService(ServiceBase):
    def read(
        self, path: Path, options: LabOptions, session: Session
    ) -> tuple[str, list[LabResult], CsvLayout | None]:
        """The results of a file; UnreadableFile says why a file cannot be read at all."""
        text, encoding = decode(self._bytes(path))
        if not text.strip():
            raise UnreadableFile(f"{path.name}: the file is empty")
        try:
            if is_hl7(text):
                codes = set(preference(session, LOCAL_CODES_KEY, []))
                return "hl7", list(read_hl7(text, unit=options.unit, local_codes=codes)), None
            remembered = self._remembered(session, text)
            layout = csv_layout(text, encoding, {**remembered, **options.mapping})
            results = list(
                read_csv(text, layout, unit=options.unit, time_format=options.time_format)
            )
        except UnreadableFile as e:  # the readers say what; here is which file
            raise UnreadableFile(f"{path.name}: {e}") from None
        return "csv", results, layout

    @staticmethod
    def _bytes(path: Path) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise UnreadableFile(f"{path}: no such file") from None
        except IsADirectoryError:
            raise UnreadableFile(f"{path}: a folder, not a file") from None
        except OSError as e:  # permission denied, a disk that cannot be read
            raise UnreadableFile(f"{path}: cannot be read ({e.strerror or e})") from None

    @staticmethod
    def _remembered(session: Session, text: str) -> dict[str, str]:
        """A mapping made in the app for files with this header, if any."""
        for key in header_keys(text):
            found = preference(session, MAPPING_KEY + key)
            if found:
                return dict(found)
        return {}

    def preview(self, path: Path, options: LabOptions | None = None) -> LabPreview:
        """What would be added, row by row; nothing is saved."""
        options = options or LabOptions()
        with self.db.reading() as session:
            kind, results, layout = self.read(path, options, session)
            judge = _RowJudge(session, results, self.clock())
            rows = tuple(judge.row(r) for r in results)
        return LabPreview(path.name, kind, rows, saved=False, layout=layout)

    def save(self, path: Path, options: LabOptions | None = None) -> LabPreview:
        """Judges the file again under the write lock and saves its new rows and corrections."""
        options = options or LabOptions()
        now = self.clock()
        with self.db.writing() as session:
            kind, results, layout = self.read(path, options, session)
            judge = _RowJudge(session, results, now)  # one judge: it remembers the file's rows
            rows = tuple(judge.row(r) for r in results)
            self._add(session, [r for r in rows if r.status is LabStatus.NEW], path.name, now)
            recorder = Recorder(
                session,
                user=self.user,
                now=now,
                now_utc=to_utc(now),
                protocol=protocol_in_force(session).values,
                limits=limits(),
            )
            for r in rows:
                if r.status is LabStatus.CORRECTION:
                    assert r.corrects is not None and r.collected_at and r.value is not None
                    recorder.correct(
                        r.corrects,
                        PlateletCount(r.collected_at, r.value, SOURCE, r.accession),
                        CORRECTED_BY_LAB,
                        confirmed=True,  # the laboratory's own correction: never asked
                    )
        return LabPreview(path.name, kind, rows, saved=True, layout=layout)

    def _add(self, session: Session, rows: list[LabRow], source: str, now: datetime) -> None:
        """Many counts at once, a batch at a time so that memory stays flat: each batch one
        insert for the counts and one for their audit entries."""
        stamp = to_utc(now)
        for start in range(0, len(rows), SAVE_BATCH):
            self._add_batch(session, rows[start : start + SAVE_BATCH], source, stamp)

    def _add_batch(
        self, session: Session, rows: list[LabRow], source: str, stamp: datetime
    ) -> None:
        values = [
            {
                "patient_id": r.patient_id,
                "collected_at": r.collected_at,
                "value": r.value,
                "source": SOURCE,
                "accession": r.accession,
                "status": RecordStatus.CURRENT.value,
                "supersedes_id": None,
                "entered_at_utc": stamp,
                "entered_by": self.user,
            }
            for r in rows
        ]
        # A plain executemany (no RETURNING, the driver's fastest path), then one read of
        # the new ids: rows past the highest id before, entered by this import. The judge
        # let through one row per (patient, time, value), so that key names each.
        counts = cast(Table, PlateletCountRow.__table__)
        before = session.scalar(select(func.max(counts.c.id))) or 0
        session.execute(insert(counts), values)
        ids = {
            (p, t, v): record_id
            for record_id, p, t, v in session.execute(
                select(counts.c.id, counts.c.patient_id, counts.c.collected_at, counts.c.value)
                .where(counts.c.id > before)
                .where(counts.c.entered_at_utc == stamp, counts.c.entered_by == self.user)
            )
        }
        session.execute(
            insert(cast(Table, AuditEntry.__table__)),
            [
                {
                    "at_utc": stamp,
                    "user": self.user,
                    "action": AuditAction.CREATE.value,
                    "entity": "platelet_count",
                    "record_id": ids[v["patient_id"], v["collected_at"], v["value"]],
                    "original_id": None,
                    "patient_id": v["patient_id"],
                    "before": None,
                    "after": audit.jsonable(
                        {k: v[k] for k in ("collected_at", "value", "source", "accession")}
                    ),
                    "reason": f"laboratory file {source}",
                }
                for v in values
            ],
        )

    def columns(self, path: Path) -> tuple[str, ...] | None:
        """The header cells of a CSV file (None for HL7), for mapping them by hand."""
        text, _ = decode(self._bytes(path))
        if is_hl7(text):
            return None
        return split_header(text)[1]

    def remember_mapping(self, header: Sequence[str], mapping: Mapping[str, str]) -> None:
        """Remembers a mapping made in the app for files with this header."""
        unknown = set(mapping.values()) - {*FIELDS, IGNORED}
        if unknown:
            raise ValueError(f"not fields of a laboratory file: {', '.join(sorted(unknown))}")
        with self.db.writing() as session:
            session.add(
                PreferenceRow(
                    key=MAPPING_KEY + header_key(header),
                    value=dict(mapping),
                    set_at_utc=to_utc(self.clock()),
                    set_by=self.user,
                )
            )

    def local_codes(self) -> list[str]:
        """The local codes of the laboratory's platelet count in HL7 results."""
        with self.db.reading() as session:
            return list(preference(session, LOCAL_CODES_KEY, []))

    def set_local_codes(self, codes: Sequence[str]) -> list[str]:
        """Sets them (spaces trimmed, each once); returns what was kept."""
        kept = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
        bad = [c for c in kept if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,20}", c)]
        if bad:
            raise ValueError(
                f"not a laboratory code: {', '.join(repr(c) for c in bad)} (letters, digits, "
                "., - and _, at most 20)"
            )
        with self.db.writing() as session:
            session.add(
                PreferenceRow(
                    key=LOCAL_CODES_KEY,
                    value=kept,
                    set_at_utc=to_utc(self.clock()),
                    set_by=self.user,
                )
            )
        return kept
