"""What saving would do with each result of a laboratory file, judged against the database.

Statuses, the first that applies (docs/command-line.md): invalid (and why),
unknown_patient, correction (an HL7 corrected result for a stored accession
with another value), duplicate (accession already stored, or the same patient,
time and value, or an earlier new row of the file), new; a new row the app
would ask about (a likely slip) has a note, and is saved all the same. The
database is asked one query per kind of fact, in chunks, whatever the file's size.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from itp_monitor.domain.records import PlateletCount
from itp_monitor.domain.slips import Nearby, count_span, likely_slips
from itp_monitor.domain.validation import Checker
from itp_monitor.domain.vocab import CountSource, RecordStatus
from itp_monitor.services.lab_results import LabResult
from itp_monitor.storage.models import Patient, PlateletCountRow

SOURCE = CountSource.LAB.value
CHUNK = 500  # values per IN (...) list


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

    def count(self) -> PlateletCount:
        """The count a new row or a correction saves."""
        assert self.collected_at is not None and self.value is not None  # judged valid
        return PlateletCount(self.collected_at, self.value, SOURCE, self.accession)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


class LabJudge:
    """Gives each result its status against the database as it is in `session`; one judge
    for a whole file, as it remembers the file's new rows."""

    def __init__(self, session: Session, results: list[LabResult], checker: Checker) -> None:
        self.session = session
        self.checker = checker
        wanted = {r.mrn.strip().upper() for r in results if r.mrn}
        self.patients: dict[str, int] = {}
        self.edd: dict[int, date] = {}
        for chunk in _chunks(sorted(wanted)):
            named = session.execute(
                select(Patient.id, Patient.mrn, Patient.edd).where(
                    _upper_in(chunk),
                    Patient.linked_into.is_(None),  # not a closed one
                )
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
