"""Validated, audited changes within one write transaction: add, correct, void, archive.

The record services use one Recorder per saved entry; an import uses one for a
whole file, so that one bad record refuses all of it. A laboratory file's new
counts, judged beforehand, go through its batch mode, `add_many`: the same rows
and the same audit entries, many at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar, Unpack, cast

from sqlalchemy import Table, exists, func, select
from sqlalchemy.orm import Session

from itp_monitor.domain.protocol import Limits, Protocol
from itp_monitor.domain.records import ClinicalRecord, Delivery, PatientDetails
from itp_monitor.domain.validation import (
    Checker,
    InvalidEntry,
    NeedsConfirmation,
    Problem,
)
from itp_monitor.domain.vocab import AuditAction, RecordStatus, Settlement
from itp_monitor.services import audit
from itp_monitor.services.errors import NotFound
from itp_monitor.services.kinds import Kind, kind_of
from itp_monitor.services.nearby import conflicts, current_query, nearby
from itp_monitor.services.results import PatientInfo, Stored
from itp_monitor.storage import models
from itp_monitor.storage.bulk import insert_many
from itp_monitor.storage.models import ClinicalRow, DeliveryRow, NeonatalCountRow, Patient

R = TypeVar("R", bound=ClinicalRecord)

PATIENT_ENTITY = "patient"
MAX_REASON = 2000
BATCH = 2_000  # records per insert of `add_many`
CURRENT = RecordStatus.CURRENT.value


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
    """The patient with this MRN, matched ignoring case and surrounding spaces: the
    registration in use, not one linked into another (services/conflicts.py), the first
    made when a sync brought two not yet linked."""
    return session.scalar(
        select(Patient)
        .where(func.upper(Patient.mrn) == mrn.strip().upper())
        .order_by(Patient.linked_into.is_not(None), Patient.id)
        .limit(1)
    )


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
        # The session's identity map holds rows weakly: without a reference kept here, a
        # woman's row was read again from the database for each of her records (8,000
        # reads for a file of 100 women's 8,000 records).
        self._patients: dict[int, Patient] = {}

    # --- patients ------------------------------------------------------------

    def patient_row(self, patient_id: int) -> Patient:
        row = self._patients.get(patient_id) or self.session.get(Patient, patient_id)
        if row is None:
            raise NotFound(f"no patient with id {patient_id}")
        self._patients[patient_id] = row
        return row

    def find_mrn(self, mrn: str) -> Patient | None:
        return patient_by_mrn(self.session, mrn)

    def _check_mrn_free(self, mrn: str, except_id: int | None = None) -> None:
        """Refuses an MRN another registration in use has; one linked into another
        (services/conflicts.py) is closed and no longer counts."""
        other = self.session.scalar(
            select(Patient).where(
                func.upper(Patient.mrn) == mrn.strip().upper(),
                Patient.linked_into.is_(None),
                Patient.id != (except_id or 0),
            )
        )
        if other is not None:
            raise InvalidEntry([Problem("mrn", f"{mrn} is already used by {other.name}")])

    def add_patient(
        self,
        details: PatientDetails,
        *,
        archived: bool = False,
        reason: str | None = None,
        confirmed: bool = False,
        accepted: list[Problem] | None = None,
        delivered: bool = False,
    ) -> PatientInfo:
        """Admits a patient. Unusual details (a gestation today over 42+0) raise
        NeedsConfirmation unless `confirmed`; `accepted` then collects them. The
        gestation today means nothing for a woman `delivered` (one from a file)."""
        findings = self.checker.check_patient(details, entry=not delivered)
        findings.raise_if_any(confirmed=True)  # errors first, the MRN next, warnings last
        self._check_mrn_free(details.mrn)
        _settle(findings.warnings, confirmed, accepted)
        row = Patient(
            **asdict(details),
            archived=archived,
            created_at_utc=self.now_utc,
            created_by=self.user,
        )
        self.session.add(row)
        self.session.flush()
        info = patient_info(row)
        self.write_entry(
            AuditAction.CREATE,
            PATIENT_ENTITY,
            record_id=row.id,
            record_uid=row.uid,
            patient_id=row.id,
            before=None,
            after=patient_values(info),
            reason=reason,
        )
        return info

    def correct_patient(
        self, patient_id: int, details: PatientDetails, reason: str, *, confirmed: bool = False
    ) -> PatientInfo:
        reason = check_reason(reason)
        row = self.patient_row(patient_id)
        before = patient_info(row)
        if before.details == details:
            raise InvalidEntry([Problem("patient", "nothing to correct: the details are the same")])
        # The gestation is asked about only when the EDD changes, and not once she has
        # delivered: then the EDD is history, and "today" says nothing about it.
        delivered = self.session.scalar(select(exists(current_query(DeliveryRow, row.id))))
        findings = self.checker.check_patient(
            details, entry=details.edd != before.edd and not delivered
        )
        findings.raise_if_any(confirmed=True)
        if details.mrn.strip().upper() != before.details.mrn.strip().upper():
            self._check_mrn_free(details.mrn, except_id=row.id)
        _settle(findings.warnings, confirmed)
        for key, value in asdict(details).items():
            setattr(row, key, value)
        self.session.flush()
        after = patient_info(row)
        entry = self.entry(
            AuditAction.CORRECT,
            PATIENT_ENTITY,
            record_id=row.id,
            record_uid=row.uid,
            patient_id=row.id,
            before=patient_values(before),
            after=patient_values(after),
            reason=reason,
            original_id=row.id,
        )
        entry["uid"] = models.new_uid()
        audit.add(self.session, entry)
        # a correction of her details settles a conflict over them, here and at each sync,
        # and a new MRN one of two registrations of it
        from itp_monitor.services.conflicts import settle_details_by_correction

        settle_details_by_correction(self.session, row.id, entry["uid"], self.user, self.now_utc)
        self._settle_resolved(row.id, entry["uid"], Settlement.CORRECTED)
        return after

    def set_archived(self, patient_id: int, archived: bool, reason: str) -> PatientInfo:
        reason = check_reason(reason)
        row = self.patient_row(patient_id)
        if row.archived == archived:
            state = "archived" if archived else "on the ward"
            raise InvalidEntry([Problem("patient", f"{row.mrn} is already {state}")])
        before = patient_values(patient_info(row))
        row.archived = archived
        self.session.flush()
        action = AuditAction.ARCHIVE if archived else AuditAction.RESTORE
        self.write_entry(
            action,
            PATIENT_ENTITY,
            record_id=row.id,
            record_uid=row.uid,
            patient_id=row.id,
            before=before,
            after=patient_values(patient_info(row)),
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
        accepted: list[Problem] | None = None,
    ) -> Stored[R]:
        """Saves a new record for a patient. A likely slip raises NeedsConfirmation
        unless `confirmed`; `accepted` then collects the warnings saved past."""
        kind = kind_of(type(record))
        patient = self.patient_row(patient_id)
        if patient.archived and not allow_archived:
            raise InvalidEntry(
                [Problem("patient", f"{patient.mrn} is archived; restore her to the ward first")]
            )
        self._judge(patient, record, None, confirmed, accepted)
        values = kind.values(record)
        row = self._new_row(kind, patient.id, values, supersedes=None)
        entry = self._creation(kind, (row.id, row.uid), patient.id, values, reason)
        audit.add(self.session, entry)
        return stored(kind, row)

    def add_many(
        self, record_type: type[R], items: Iterable[tuple[int, R]], *, reason: str | None = None
    ) -> None:
        """Saves many new records of one kind, (patient id, record) pairs, each with the row
        and the audit entry `add` writes, in the open transaction a batch at a time.

        It checks nothing: the caller has judged each record as `add` would, and vouches
        that her id names a patient (archived or not, as it allows), that the values are
        within the plausibility limits (`Checker.check`), that the record duplicates none of
        hers, stored or earlier in `items`, and fits her delivery (nearby.py `conflicts`),
        and that its likely slips are accepted. The database's constraints still refuse an
        implausible value or a duplicate count, and then nothing of the transaction is saved."""
        kind = kind_of(record_type)
        pending = iter(items)
        while batch := [(p, kind.values(record)) for p, record in islice(pending, BATCH)]:
            rows = [self._row_values(p, values, None) for p, values in batch]
            for row, uid in zip(rows, models.new_uids(len(rows)), strict=True):
                row["uid"] = uid  # known here, for the audit entries
            ids = insert_many(self.session, cast(Table, kind.row.__table__), rows)
            entries = [
                self._creation(kind, (record_id, row["uid"]), p, values, reason)
                for record_id, row, (p, values) in zip(ids, rows, batch, strict=True)
            ]
            audit.add_many(self.session, entries)

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
        self._judge(self.patient_row(old.patient_id), record, old.id, confirmed, None)
        row = self._new_row(kind, old.patient_id, kind.values(record), supersedes=old.id)
        entry_uid = self.write_entry(
            AuditAction.CORRECT,
            kind.entity,
            record_id=row.id,
            record_uid=row.uid,
            patient_id=old.patient_id,
            before=kind.values(before),
            after=kind.values(record),
            reason=reason,
            original_id=old.id,
        )
        self.session.flush()  # the entry first: the database moves no status without it
        old.status = RecordStatus.CORRECTED.value
        self.session.flush()
        self._settle_resolved(old.patient_id, entry_uid, Settlement.CORRECTED)
        return stored(kind, row)

    def void(self, record_type: type[R], record_id: int, reason: str) -> Stored[R]:
        """Marks a record as entered in error; it stays in the database and stops counting."""
        reason = check_reason(reason)
        kind = kind_of(record_type)
        row = self._current_row(kind, record_id)
        newborn = current_query(NeonatalCountRow, row.patient_id)
        # a second delivery from another device (a conflict) may be voided: one stays
        others = current_query(DeliveryRow, row.patient_id).where(DeliveryRow.id != row.id)
        if (
            record_type is Delivery
            and self.session.scalar(select(exists(newborn)))
            and not self.session.scalar(select(exists(others)))
        ):
            raise InvalidEntry(
                [Problem("delivery", "newborn counts are recorded after it; void them first")]
            )
        values = kind.values(kind.from_row(row))
        entry_uid = self.write_entry(
            AuditAction.VOID,
            kind.entity,
            record_id=row.id,
            record_uid=row.uid,
            patient_id=row.patient_id,
            before=values,
            after=None,
            reason=reason,
            original_id=row.id,
        )
        self.session.flush()  # the entry first: the database moves no status without it
        row.status = RecordStatus.VOIDED.value
        self.session.flush()
        self._settle_resolved(row.patient_id, entry_uid, Settlement.VOIDED)
        return stored(kind, row)

    # --- helpers ------------------------------------------------------------

    def _judge(
        self,
        patient: Patient,
        record: ClinicalRecord,
        replacing: int | None,
        confirmed: bool,
        accepted: list[Problem] | None,
    ) -> None:
        """Refuses what is wrong in itself or beside her other records (the version being
        corrected left out), then asks about likely slips among those near its time."""
        errors = self.checker.check(record).errors
        if errors:
            raise InvalidEntry(errors)
        problems = conflicts(self.session, patient.id, record, replacing)
        if problems:
            raise InvalidEntry(problems)
        around = nearby(self.session, patient, record, self.checker.protocol, replacing)
        _settle(self.checker.check(record, around).warnings, confirmed, accepted)

    def _row_values(
        self, patient_id: int, values: dict[str, Any], supersedes: int | None
    ) -> dict[str, Any]:
        """A new version's row: its values, whose it is, and who entered it when."""
        return {
            **values,
            "patient_id": patient_id,
            "status": CURRENT,
            "supersedes_id": supersedes,
            "entered_at_utc": self.now_utc,
            "entered_by": self.user,
        }

    def _new_row(
        self, kind: Kind[Any], patient_id: int, values: dict[str, Any], supersedes: int | None
    ) -> ClinicalRow:
        row = kind.row(**self._row_values(patient_id, values, supersedes))
        self.session.add(row)
        self.session.flush()
        return row

    def _creation(
        self,
        kind: Kind[Any],
        record: tuple[int, str],
        patient_id: int,
        values: dict[str, Any],
        reason: str | None,
    ) -> dict[str, Any]:
        """The audit entry of a new record, (id, uid), alone (`add`) or one of many
        (`add_many`)."""
        return self.entry(
            AuditAction.CREATE,
            kind.entity,
            record_id=record[0],
            record_uid=record[1],
            patient_id=patient_id,
            after=values,
            reason=reason,
        )

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

    def entry(
        self, action: AuditAction, entity: str, **fields: Unpack[audit.Fields]
    ) -> dict[str, Any]:
        """An audit entry, stamped with who made the change and when."""
        return audit.entry_values(
            at_utc=self.now_utc, user=self.user, action=action, entity=entity, **fields
        )

    def write_entry(self, action: AuditAction, entity: str, **fields: Unpack[audit.Fields]) -> str:
        """Writes the entry; returns its uid."""
        entry = self.entry(action, entity, **fields)
        entry["uid"] = models.new_uid()
        audit.add(self.session, entry)
        return str(entry["uid"])

    def _settle_resolved(self, patient_id: int, entry_uid: str, how: Settlement) -> None:
        """A change that leaves a conflict of hers without its cause settles it, here and,
        at the next sync, everywhere (services/conflicts.py)."""
        from itp_monitor.services.conflicts import settle_resolved

        settle_resolved(self.session, patient_id, entry_uid, self.user, self.now_utc, how)


def _settle(
    warnings: list[Problem], confirmed: bool, accepted: list[Problem] | None = None
) -> None:
    """Warnings stop a save that is not confirmed; a confirmed one notes them in `accepted`."""
    if warnings and not confirmed:
        raise NeedsConfirmation(warnings)
    if accepted is not None:
        accepted.extend(warnings)


def patient_values(info: PatientInfo) -> dict[str, Any]:
    """Her details and place on the ward, as her audit entries hold them."""
    return {**asdict(info.details), "archived": info.archived}
