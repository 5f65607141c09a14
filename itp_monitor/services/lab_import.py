"""Importing laboratory results: a preview with a status for every row, then one transaction.

The file is read by services/lab_files.py and each result judged by
services/lab_judge.py (statuses, docs/command-line.md). Saving judges the file
again under the write lock and adds the new rows as counts from the laboratory
through the Recorder's batch mode, and corrects the stored counts the
corrections name, all or nothing, each with its audit entry.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from itp_monitor.domain.protocol import limits
from itp_monitor.domain.records import PlateletCount
from itp_monitor.domain.validation import Checker
from itp_monitor.domain.vocab import Role
from itp_monitor.domain.wording import counted
from itp_monitor.services import preferences
from itp_monitor.services.accounts import require_role
from itp_monitor.services.context import to_utc
from itp_monitor.services.kinds import kind_of
from itp_monitor.services.lab_files import (
    CsvLayout,
    LabResult,
    UnreadableFile,
    csv_layout,
    decode,
    header_keys,
    is_hl7,
    read_csv,
    read_hl7,
    split_header,
)
from itp_monitor.services.lab_judge import LabJudge, LabRow, LabStatus
from itp_monitor.services.preferences import IGNORED
from itp_monitor.services.protocol_store import protocol_in_force
from itp_monitor.services.results import Changes
from itp_monitor.services.unit import ServiceBase

__all__ = [
    "CORRECTED_BY_LAB",
    "IGNORED",
    "LabImportService",
    "LabOptions",
    "LabPreview",
    "LabRow",
    "LabStatus",
]

CORRECTED_BY_LAB = "corrected by the laboratory"


@dataclass(frozen=True)
class LabPreview:
    source: str  # the file's name
    kind: str  # "csv" or "hl7"
    rows: tuple[LabRow, ...]
    saved: bool = False
    layout: CsvLayout | None = None
    patient_ids: frozenset[int] = frozenset()  # saved: the women whose counts were written

    @property
    def changes(self) -> Changes:
        """Saved: her counts, for each woman whose counts were written."""
        return Changes(patients=self.patient_ids, kinds=frozenset({kind_of(PlateletCount).entity}))

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
                codes = set(preferences.local_codes(session))
                return "hl7", list(read_hl7(text, unit=options.unit, local_codes=codes)), None
            remembered = preferences.remembered_mapping(session, header_keys(text))
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

    def preview(self, path: Path, options: LabOptions | None = None) -> LabPreview:
        """What would be added, row by row; nothing is saved."""
        options = options or LabOptions()
        with self.db.reading() as session:
            kind, results, layout = self.read(path, options, session)
            checker = Checker(limits(), protocol_in_force(session).values, self.clock())
            judge = LabJudge(session, results, checker)
            rows = tuple(judge.row(r) for r in results)
        return LabPreview(path.name, kind, rows, saved=False, layout=layout)

    def save(self, path: Path, options: LabOptions | None = None) -> LabPreview:
        """Judges the file again under the write lock and saves its new rows and corrections;
        `patient_ids` of the result names the women whose counts were written."""
        options = options or LabOptions()
        with self.recording() as recorder:
            kind, results, layout = self.read(path, options, recorder.session)
            judge = LabJudge(recorder.session, results, recorder.checker)
            rows = tuple(judge.row(r) for r in results)  # one judge: it remembers the file's rows
            recorder.add_many(
                PlateletCount,
                (
                    (r.patient_id, r.count())
                    for r in rows
                    if r.status is LabStatus.NEW and r.patient_id is not None
                ),
                reason=f"laboratory file {path.name}",
            )
            for r in rows:
                if r.status is LabStatus.CORRECTION:
                    assert r.corrects is not None
                    recorder.correct(
                        r.corrects,
                        r.count(),
                        CORRECTED_BY_LAB,
                        confirmed=True,  # the laboratory's own correction: never asked
                    )
        written = frozenset(r.patient_id for r in rows if r.status.saved and r.patient_id)
        return LabPreview(path.name, kind, rows, saved=True, layout=layout, patient_ids=written)

    def columns(self, path: Path) -> tuple[str, ...] | None:
        """The header cells of a CSV file (None for HL7), for mapping them by hand."""
        text, _ = decode(self._bytes(path))
        if is_hl7(text):
            return None
        return split_header(text)[1]

    def remember_mapping(self, header: Sequence[str], mapping: Mapping[str, str]) -> None:
        """Remembers a mapping made in the app for files with this header."""
        key, value = preferences.mapping_entry(header, mapping)
        with self.db.writing() as session:
            preferences.remember(session, key, value, user=self.user, at_utc=to_utc(self.clock()))

    def local_codes(self) -> list[str]:
        """The local codes of the laboratory's platelet count in HL7 results."""
        with self.db.reading() as session:
            return preferences.local_codes(session)

    def set_local_codes(self, codes: Sequence[str]) -> list[str]:
        """Sets them (spaces trimmed, each once); returns what was kept."""
        kept = preferences.checked_codes(codes)
        with self.db.writing() as session:
            require_role(session, self.user, Role.DOCTOR, "changing the laboratory codes")
            preferences.remember(
                session,
                preferences.LOCAL_CODES_KEY,
                kept,
                user=self.user,
                at_utc=to_utc(self.clock()),
            )
        return kept
