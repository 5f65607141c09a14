"""Recording, correcting and voiding clinical records, one entry at a time."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from itp_monitor.domain.records import ClinicalRecord
from itp_monitor.services.errors import NotFound
from itp_monitor.services.kinds import kind_of
from itp_monitor.services.recorder import stored
from itp_monitor.services.results import Stored
from itp_monitor.services.unit import ServiceBase

R = TypeVar("R", bound=ClinicalRecord)


class RecordService(ServiceBase):
    def record(self, patient_id: int, record: R, *, confirmed: bool = False) -> Stored[R]:
        """Saves a new record. A likely slip (an unusual dose, a second injection within
        hours, a count of 0 or one that halved or tripled within a day, a record far from
        her pregnancy: docs/protocol.md) raises NeedsConfirmation unless `confirmed`."""
        with self.recording() as recorder:
            return recorder.add(patient_id, record, confirmed=confirmed)

    def correct(
        self, record_id: int, record: R, reason: str, *, confirmed: bool = False
    ) -> Stored[R]:
        """Replaces the values of a current record; the original stays, marked corrected.
        The new values are judged as a new record is, against her other records."""
        with self.recording() as recorder:
            return recorder.correct(record_id, record, reason, confirmed=confirmed)

    def void(self, record_type: type[R], record_id: int, reason: str) -> Stored[R]:
        """Marks a record as entered in error; it stays, marked voided, and no longer counts."""
        with self.recording() as recorder:
            return recorder.void(record_type, record_id, reason)

    def versions(self, record_type: type[R], record_id: int) -> list[Stored[R]]:
        """Every version of the record `record_id` belongs to, oldest first."""
        kind = kind_of(record_type)
        with self.db.reading() as session:
            row = session.get(kind.row, record_id)
            if row is None:
                raise NotFound(f"no {kind.label} with id {record_id}")
            while row.supersedes_id is not None:  # back to the first version
                row = session.get_one(kind.row, row.supersedes_id)
            chain = [row]
            while True:
                later = session.scalar(
                    select(kind.row).where(kind.row.supersedes_id == chain[-1].id)
                )
                if later is None:
                    break
                chain.append(later)
            return [stored(kind, r) for r in chain]
