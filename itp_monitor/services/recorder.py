"""Validated, audited changes within one write transaction: add, correct, void, archive.

The record services use one Recorder per saved entry; an import uses one for a
whole file, so that one bad record refuses all of it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from itp_monitor.domain.protocol import Limits, Protocol
from itp_monitor.domain.records import (
    ClinicalRecord,
    Delivery,
    NeonatalCount,
    PatientDetails,
    PlateletCount,
)
from itp_monitor.domain.validation import Checker, InvalidEntry, Problem, fmt_number, fmt_time
from itp_monitor.domain.vocab import RecordStatus
from itp_monitor.services import audit
from itp_monitor.services.errors import NotFound
from itp_monitor.services.kinds import Kind, kind_of
from itp_monitor.services.results import PatientInfo, Stored
from itp_monitor.storage.models import (
    ClinicalRow,
    DeliveryRow,
    NeonatalCountRow,
    Patient,
    PlateletCountRow,
)

R = TypeVar("R", bound=ClinicalRecord)

PATIENT_ENTITY = "patient"
MAX_REASON = 2000


def patient_info(row: Patient) -> PatientInfo:
    return PatientInfo(
        id=row.id,
        details=PatientDetails(
            mrn=row.mrn,
            name=row.name,
            edd=row.edd,
            date_of_birth=row.date_of_birth,
            weight_kg=row.weight_kg,
            notes=row.notes,
        ),
        archived=row.archived,
    )


def patient_by_mrn(session: Session, mrn: str) -> Patient | None:
    """The patient with this MRN, matched ignoring case and surrounding spaces."""
    return session.scalar(select(Patient).where(func.upper(Patient.mrn) == mrn.strip().upper()))


def stored(kind: Kind[R], row: Any) -> Stored[R]:
    """A stored record from its row: an ORM object or a plain row with the same columns."""
    return Stored(
        id=row.id,
        patient_id=row.patient_id,
        record=kind.from_row(row),
        status=RecordStatus(row.status),
        supersedes_id=row.supersedes_id,
        entered_at_utc=row.entered_at_utc,
        entered_by=row.entered_by,
    )


def check_reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise InvalidEntry([Problem("reason", "is missing; say why the record is changed")])
    if len(reason) > MAX_REASON:
        raise InvalidEntry(
            [Problem("reason", f"is {len(reason):,} characters; at most {MAX_REASON:,}")]
        )
    return reason.strip()


class Recorder:
    """Makes changes in an open write session, checking each one and writing its audit entry."""

    def __init__(
        self,
        session: Session,
        *,
        user: str,
        now: datetime,
        now_utc: datetime,
        protocol: Protocol,
        limits: Limits,
    ) -> None:
        self.session = session
        self.user = user
        self.now_utc = now_utc
        self.checker = Checker(limits, protocol, now)

    # --- patients ------------------------------------------------------------

    def patient_row(self, patient_id: int) -> Patient:
        row = self.session.get(Patient, patient_id)
        if row is None:
            raise NotFound(f"no patient with id {patient_id}")
        return row

    def find_mrn(self, mrn: str) -> Patient | None:
        return patient_by_mrn(self.session, mrn)

    def _check_mrn_free(self, mrn: str, except_id: int | None = None) -> None:
        other = self.find_mrn(mrn)
        if other is not None and other.id != except_id:
            raise InvalidEntry([Problem("mrn", f"{mrn} is already used by {other.name}")])

    def add_patient(
        self, details: PatientDetails, *, archived: bool = False, reason: str | None = None
    ) -> PatientInfo:
        self.checker.check_patient(details).raise_if_any()
        self._check_mrn_free(details.mrn)
        row = Patient(
            **asdict(details),
            archived=archived,
            created_at_utc=self.now_utc,
            created_by=self.user,
        )
        self.session.add(row)
        self.session.flush()
        info = patient_info(row)
        self._audit(
            "create",
            PATIENT_ENTITY,
            record_id=row.id,
            patient_id=row.id,
            before=None,
            after=_patient_values(info),
            reason=reason,
        )
        return info

    def correct_patient(self, patient_id: int, details: PatientDetails, reason: str) -> PatientInfo:
        reason = check_reason(reason)
        row = self.patient_row(patient_id)
        before = patient_info(row)
        if before.details == details:
            raise InvalidEntry([Problem("patient", "nothing to correct: the details are the same")])
        self.checker.check_patient(details).raise_if_any()
        self._check_mrn_free(details.mrn, except_id=row.id)
        for key, value in asdict(details).items():
            setattr(row, key, value)
        self.session.flush()
        after = patient_info(row)
        self._audit(
            "correct",
            PATIENT_ENTITY,
            record_id=row.id,
            patient_id=row.id,
            before=_patient_values(before),
            after=_patient_values(after),
            reason=reason,
            original_id=row.id,
        )
        return after

    def set_archived(self, patient_id: int, archived: bool, reason: str) -> PatientInfo:
        reason = check_reason(reason)
        row = self.patient_row(patient_id)
        if row.archived == archived:
            state = "archived" if archived else "on the ward"
            raise InvalidEntry([Problem("patient", f"{row.mrn} is already {state}")])
        before = _patient_values(patient_info(row))
        row.archived = archived
        self.session.flush()
        action = "archive" if archived else "restore"
        self._audit(
            action,
            PATIENT_ENTITY,
            record_id=row.id,
            patient_id=row.id,
            before=before,
            after=_patient_values(patient_info(row)),
            reason=reason,
        )
        return patient_info(row)

    # --- clinical records ----------------------------------------------------

    def add(
        self,
        patient_id: int,
        record: R,
        *,
        confirmed: bool = False,
        reason: str | None = None,
        allow_archived: bool = False,
    ) -> Stored[R]:
        """Saves a new record for a patient."""
        kind = kind_of(type(record))
        patient = self.patient_row(patient_id)
        if patient.archived and not allow_archived:
            raise InvalidEntry(
                [Problem("patient", f"{patient.mrn} is archived; restore her to the ward first")]
            )
        self.checker.check(record).raise_if_any(confirmed=confirmed)
        self._check_in_context(patient.id, record, replacing=None)
        row = self._new_row(kind, patient.id, record, supersedes=None)
        self._audit(
            "create",
            kind.entity,
            record_id=row.id,
            patient_id=patient.id,
            before=None,
            after=kind.values(record),
            reason=reason,
        )
        return stored(kind, row)

    def correct(
        self, record_id: int, record: R, reason: str, *, confirmed: bool = False
    ) -> Stored[R]:
        """Replaces a record's values by a new version; the original is kept, marked corrected."""
        reason = check_reason(reason)
        kind = kind_of(type(record))
        old = self._current_row(kind, record_id)
        before = kind.from_row(old)
        if before == record:
            raise InvalidEntry(
                [Problem(kind.entity, "nothing to correct: the values are the same")]
            )
        self.checker.check(record).raise_if_any(confirmed=confirmed)
        self._check_in_context(old.patient_id, record, replacing=old.id)
        old.status = RecordStatus.CORRECTED.value
        self.session.flush()  # frees the current-only unique indexes for the new version
        row = self._new_row(kind, old.patient_id, record, supersedes=old.id)
        self._audit(
            "correct",
            kind.entity,
            record_id=row.id,
            patient_id=old.patient_id,
            before=kind.values(before),
            after=kind.values(record),
            reason=reason,
            original_id=old.id,
        )
        return stored(kind, row)

    def void(self, record_type: type[R], record_id: int, reason: str) -> Stored[R]:
        """Marks a record as entered in error; it stays in the database and stops counting."""
        reason = check_reason(reason)
        kind = kind_of(record_type)
        row = self._current_row(kind, record_id)
        newborn = self._current_query(NeonatalCountRow, row.patient_id)
        if record_type is Delivery and self.session.scalar(select(exists(newborn))):
            raise InvalidEntry(
                [Problem("delivery", "newborn counts are recorded after it; void them first")]
            )
        values = kind.values(kind.from_row(row))
        row.status = RecordStatus.VOIDED.value
        self.session.flush()
        self._audit(
            "void",
            kind.entity,
            record_id=row.id,
            patient_id=row.patient_id,
            before=values,
            after=None,
            reason=reason,
            original_id=row.id,
        )
        return stored(kind, row)

    # --- helpers ------------------------------------------------------------

    def _new_row(
        self, kind: Kind[R], patient_id: int, record: R, supersedes: int | None
    ) -> ClinicalRow:
        row = kind.row(
            **kind.values(record),
            patient_id=patient_id,
            status=RecordStatus.CURRENT.value,
            supersedes_id=supersedes,
            entered_at_utc=self.now_utc,
            entered_by=self.user,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def _current_row(self, kind: Kind[Any], record_id: int) -> ClinicalRow:
        row = self.session.get(kind.row, record_id)
        if row is None:
            raise NotFound(f"no {kind.label} with id {record_id}")
        if row.status != RecordStatus.CURRENT.value:
            raise InvalidEntry(
                [
                    Problem(
                        kind.entity,
                        f"this version was already {row.status}; change the current one",
                    )
                ]
            )
        return row

    def _current_query(self, table: type[ClinicalRow], patient_id: int) -> Select[Any]:
        return select(table).where(
            table.patient_id == patient_id, table.status == RecordStatus.CURRENT.value
        )

    def _check_in_context(
        self, patient_id: int, record: ClinicalRecord, replacing: int | None
    ) -> None:
        """Rules that need the patient's other records: duplicates and the delivery.

        Each is asked of the database directly, so a woman with hundreds of counts
        costs no more to add to than one with none.
        """
        problems: list[Problem] = []
        if isinstance(record, PlateletCount | NeonatalCount):
            table = PlateletCountRow if isinstance(record, PlateletCount) else NeonatalCountRow
            twin = self._current_query(table, patient_id).where(
                table.collected_at == record.collected_at,
                table.value == record.value,
                table.id != (replacing or 0),
            )
            if self.session.scalar(select(exists(twin))):
                problems.append(
                    Problem(
                        "collected_at",
                        f"a count of {fmt_number(record.value)} at "
                        f"{fmt_time(record.collected_at)} is already recorded for this patient",
                    )
                )
        if isinstance(record, Delivery | NeonatalCount):
            # `replacing` is an id in the table of `record`; only a delivery replaces a delivery.
            other = self._current_query(DeliveryRow, patient_id)
            if isinstance(record, Delivery):
                other = other.where(DeliveryRow.id != (replacing or 0))
            delivery = self.session.scalar(other)
            problems += self._delivery_problems(patient_id, record, delivery)
        if problems:
            raise InvalidEntry(problems)

    def _delivery_problems(
        self, patient_id: int, record: ClinicalRecord, delivery: DeliveryRow | None
    ) -> list[Problem]:
        problems = []
        if isinstance(record, Delivery):
            if delivery is not None:
                problems.append(
                    Problem(
                        "delivered_at",
                        f"a delivery is already recorded ({fmt_time(delivery.delivered_at)}); "
                        "correct that one instead",
                    )
                )
            earliest = self.session.scalar(
                select(func.min(NeonatalCountRow.collected_at)).where(
                    NeonatalCountRow.patient_id == patient_id,
                    NeonatalCountRow.status == RecordStatus.CURRENT.value,
                )
            )
            if earliest is not None and earliest < record.delivered_at:
                problems.append(
                    Problem(
                        "delivered_at",
                        f"{fmt_time(record.delivered_at)} is after a newborn count "
                        f"({fmt_time(earliest)})",
                    )
                )
        if isinstance(record, NeonatalCount):
            if delivery is None:
                problems.append(
                    Problem("collected_at", "no delivery is recorded; record the delivery first")
                )
            elif record.collected_at < delivery.delivered_at:
                problems.append(
                    Problem(
                        "collected_at",
                        f"{fmt_time(record.collected_at)} is before the delivery "
                        f"({fmt_time(delivery.delivered_at)})",
                    )
                )
        return problems

    def _audit(
        self,
        action: str,
        entity: str,
        *,
        record_id: int,
        patient_id: int,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        reason: str | None,
        original_id: int | None = None,
    ) -> None:
        audit.write(
            self.session,
            at_utc=self.now_utc,
            user=self.user,
            action=action,
            entity=entity,
            record_id=record_id,
            original_id=original_id,
            patient_id=patient_id,
            before=before,
            after=after,
            reason=reason,
        )


def _patient_values(info: PatientInfo) -> dict[str, Any]:
    return {**asdict(info.details), "archived": info.archived}
