"""Her other records a save is judged against: duplicates, the delivery, and those near its time.

Each rule asks the database directly for what it needs (one row, or the rows
within a window of hours), so a woman with 500 counts costs no more to add to
than one with none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from itp_monitor.domain.problems import Problem, fmt_number, fmt_time
from itp_monitor.domain.protocol import Protocol
from itp_monitor.domain.records import (
    ClinicalRecord,
    Delivery,
    Injection,
    NeonatalCount,
    PlateletCount,
)
from itp_monitor.domain.slips import Nearby, count_span, injection_span
from itp_monitor.domain.vocab import RecordStatus
from itp_monitor.storage.models import (
    ClinicalRow,
    DeliveryRow,
    InjectionRow,
    NeonatalCountRow,
    Patient,
    PlateletCountRow,
)

CURRENT = RecordStatus.CURRENT.value


def current_query(table: type[ClinicalRow], patient_id: int) -> Select[Any]:
    return select(table).where(table.patient_id == patient_id, table.status == CURRENT)


def nearby(
    session: Session,
    patient: Patient,
    record: ClinicalRecord,
    protocol: Protocol,
    replacing: int | None,
) -> Nearby:
    """Her EDD and her current records within the windows the slips need of `record`;
    `replacing` (the version a correction replaces) is left out."""
    other = replacing or 0
    if isinstance(record, PlateletCount):
        c, span, t = PlateletCountRow, count_span(protocol), record.collected_at
        rows = session.execute(
            select(c.collected_at, c.value).where(
                c.patient_id == patient.id,
                c.status == CURRENT,
                c.collected_at > t - span,
                c.collected_at < t + span,
                c.id != other,
            )
        )
        return Nearby(patient.edd, counts=[(at, value) for at, value in rows])
    if isinstance(record, Injection):
        i, span, t = InjectionRow, injection_span(protocol), record.given_at
        doses = session.execute(
            select(i.given_at, i.dose_units).where(
                i.patient_id == patient.id,
                i.status == CURRENT,
                i.given_at >= t - span,
                i.given_at <= t + span,
                i.id != other,
            )
        )
        return Nearby(patient.edd, injections=[(given, units) for given, units in doses])
    return Nearby(patient.edd)


def conflicts(
    session: Session, patient_id: int, record: ClinicalRecord, replacing: int | None
) -> list[Problem]:
    """Why the record cannot stand beside her others: a duplicate, or against the delivery."""
    problems: list[Problem] = []
    if isinstance(record, PlateletCount | NeonatalCount):
        table = PlateletCountRow if isinstance(record, PlateletCount) else NeonatalCountRow
        twin = current_query(table, patient_id).where(
            table.collected_at == record.collected_at,
            table.value == record.value,
            table.id != (replacing or 0),
        )
        if session.scalar(select(exists(twin))):
            problems.append(
                Problem(
                    "collected_at",
                    f"a count of {fmt_number(record.value)} at "
                    f"{fmt_time(record.collected_at)} is already recorded for this patient",
                )
            )
    if isinstance(record, Injection):
        same = session.scalars(
            current_query(InjectionRow, patient_id).where(
                InjectionRow.given_at == record.given_at, InjectionRow.id != (replacing or 0)
            )
        ).first()
        if same is not None:
            problems.append(
                Problem(
                    "given_at",
                    f"an injection of {fmt_number(same.dose_units)} U at "
                    f"{fmt_time(same.given_at)} (entered by {same.entered_by}) is already "
                    "recorded for this patient; correct that one rather than enter it again",
                )
            )
    if isinstance(record, Delivery | NeonatalCount):
        # `replacing` is an id in the table of `record`; only a delivery replaces a delivery.
        query = current_query(DeliveryRow, patient_id)
        if isinstance(record, Delivery):
            query = query.where(DeliveryRow.id != (replacing or 0))
        delivery = session.scalar(query)
        problems += _delivery_problems(session, patient_id, record, delivery)
    return problems


def _delivery_problems(
    session: Session, patient_id: int, record: ClinicalRecord, delivery: DeliveryRow | None
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
        earliest = session.scalar(
            select(func.min(NeonatalCountRow.collected_at)).where(
                NeonatalCountRow.patient_id == patient_id,
                NeonatalCountRow.status == CURRENT,
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
