"""Import and export of patient record files: all or nothing in, current values out."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from itp_monitor.domain.kinds import kind_of
from itp_monitor.domain.records import ClinicalRecord, Delivery, Injection
from itp_monitor.domain.validation import InvalidEntry, Problem
from itp_monitor.services import record_file
from itp_monitor.services.files import write_atomically
from itp_monitor.services.kinds import KINDS
from itp_monitor.services.patients import current_records, load_records, patients_named
from itp_monitor.services.record_file import FilePatient, FileRefused
from itp_monitor.services.recorder import Recorder
from itp_monitor.services.results import ImportOutcome
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.models import Patient


def _key(record: ClinicalRecord) -> tuple[Any, ...]:
    """What makes two records the same record when merging: their kind and these values."""
    return (type(record), *(getattr(record, name) for name in kind_of(record).same_record))


def _same_person(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class ExchangeService(ServiceBase):
    # --- import -------------------------------------------------------------

    def import_file(self, path: Path, *, merge: bool = False) -> ImportOutcome:
        """Imports a record file; FileRefused (nothing saved) lists every problem."""
        data = record_file.load(path)  # FileRefused when it is not a readable JSON file
        return self.import_data(data, merge=merge, source=path.name)

    def import_data(
        self, data: Any, *, merge: bool = False, source: str = "a record file"
    ) -> ImportOutcome:
        patients, problems = record_file.read(data)
        outcome = ImportOutcome()
        with self.recording() as recorder:
            for patient in patients:
                if patient.readable:
                    outcome = self._import_patient(
                        recorder, patient, merge, source, problems, outcome
                    )
                else:
                    problems += self._value_problems(recorder, patient)
            if problems:
                raise FileRefused(problems)  # leaving the transaction rolls everything back
        return outcome

    @staticmethod
    def _value_problems(recorder: Recorder, patient: FilePatient) -> list[str]:
        """For a patient with unreadable fields: the value problems of what could be read,
        so that one pass reports everything (nothing of hers is saved)."""
        found: list[str] = []
        if patient.details is not None:
            found += [
                f"{patient.label}, {p}"
                for p in recorder.checker.check_patient(patient.details).errors
            ]
        for entry in patient.records:
            if entry.record is not None:
                errors = recorder.checker.check(entry.record).errors
                found += [f"{patient.label}, {entry.where}, {p}" for p in errors]
        return found

    def _import_patient(
        self,
        recorder: Recorder,
        patient: FilePatient,
        merge: bool,
        source: str,
        problems: list[str],
        outcome: ImportOutcome,
    ) -> ImportOutcome:
        assert patient.details is not None and patient.mrn is not None  # patient.readable
        reason = f"imported from {source}"
        existing = recorder.find_mrn(patient.mrn)
        present: dict[tuple[Any, ...], ClinicalRecord] = {}
        notes = list(outcome.notes)
        if existing is None:
            unusual: list[Problem] = []
            try:
                info = recorder.add_patient(
                    patient.details,
                    archived=patient.archived,
                    reason=reason,
                    confirmed=True,  # a file records what happened: noted, never refused
                    accepted=unusual,
                    delivered=any(isinstance(r.record, Delivery) for r in patient.records),
                )
            except InvalidEntry as e:
                problems.append(f"{patient.label}, {e}")
                return outcome
            notes += [f"{patient.label}, {w} (accepted)" for w in unusual]
            patient_id, created, merged = info.id, (*outcome.created, patient.mrn), outcome.merged
        elif not merge:
            problems.append(
                f"{patient.label}, mrn: {patient.mrn} is already in the database "
                f"({existing.name}); import with --merge to add this file's records to her"
            )
            return outcome
        else:
            if not self._same_patient(existing, patient, problems):
                return outcome
            notes += self._differences(existing, patient)
            patient_id, created, merged = (
                existing.id,
                outcome.created,
                (*outcome.merged, patient.mrn),
            )
            for kind in KINDS:
                for s in current_records(recorder.session, kind, [patient_id]).get(patient_id, []):
                    present[_key(s.record)] = s.record
        added = skipped = 0
        for entry in patient.records:
            record = entry.record
            assert record is not None  # patient.readable
            if isinstance(record, Injection) and record.weight_kg is None and existing is not None:
                record = dataclasses.replace(record, weight_kg=existing.weight_kg)
            where = f"{patient.label}, {entry.where}"
            if _key(record) in present:
                if present[_key(record)] == record:
                    skipped += 1
                else:
                    described = kind_of(record)
                    stored = described.summary(present[_key(record)])
                    problems.append(
                        f"{where}: the database already has this {described.label} with other "
                        f"values ({stored}; the file: {described.summary(record)}); correct it "
                        "in the app rather than by import"
                    )
                continue
            unusual = []
            try:
                # `present` holds what was stored before this import only: the file's own
                # repeats meet the recorder's duplicate rule like any other entry. Likely
                # slips are judged against her records so far, this file's included.
                recorder.add(
                    patient_id,
                    record,
                    confirmed=True,
                    reason=reason,
                    allow_archived=True,
                    accepted=unusual,
                )
            except InvalidEntry as e:
                problems.append(f"{where}, {e}")
                continue
            notes += [f"{where}, {w} (accepted)" for w in unusual]
            added += 1
        return ImportOutcome(
            created=created,
            merged=merged,
            records_added=outcome.records_added + added,
            records_already_present=outcome.records_already_present + skipped,
            notes=tuple(notes),
        )

    @staticmethod
    def _same_patient(existing: Patient, patient: FilePatient, problems: list[str]) -> bool:
        d = patient.details
        assert d is not None
        if not _same_person(existing.name, d.name):
            problems.append(
                f"{patient.label}, name: {d.name!r} is not the name stored for {existing.mrn} "
                f"({existing.name!r}); is it another woman? Nothing was merged"
            )
            return False
        if d.date_of_birth and existing.date_of_birth and d.date_of_birth != existing.date_of_birth:
            problems.append(
                f"{patient.label}, date_of_birth: {d.date_of_birth} is not the date stored for "
                f"{existing.mrn} ({existing.date_of_birth}); is it another woman? "
                "Nothing was merged"
            )
            return False
        return True

    @staticmethod
    def _differences(existing: Patient, patient: FilePatient) -> list[str]:
        d = patient.details
        assert d is not None
        notes = []
        for field in ("edd", "weight_kg", "notes", "date_of_birth"):
            theirs, ours = getattr(d, field), getattr(existing, field)
            if theirs is not None and theirs != ours:
                notes.append(
                    f"{patient.label}, {field}: the file says {theirs}, the database {ours}; "
                    "the database's value is kept"
                )
        return notes

    # --- export -------------------------------------------------------------

    def export_data(self, mrns: list[str] | None = None) -> dict[str, Any]:
        """A record file of the named patients, or of all (archived ones included)."""
        with self.db.reading() as session:
            patients = patients_named(session, mrns)
            return record_file.write(load_records(session, patients))

    def export_file(self, path: Path, mrns: list[str] | None = None) -> int:
        """Writes the record file whole or not at all; returns the number of patients."""
        data = self.export_data(mrns)
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        write_atomically(path, text.encode("utf-8"))
        return len(data["patients"])
