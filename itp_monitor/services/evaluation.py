"""Evaluates the rules for one patient or the whole ward at a time T.

The ward is read with one query per kind of record, selecting only the columns
the rules use, so that a thousand women with a hundred counts each are read and
judged in well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from itp_monitor.domain.evaluation import Evaluation, evaluate
from itp_monitor.domain.history import BleedPoint, CountPoint, DosePoint, PatientHistory
from itp_monitor.domain.protocol import Protocol, ProtocolInForce
from itp_monitor.domain.vocab import RecordStatus
from itp_monitor.services.context import cycle_collector_paused, to_utc
from itp_monitor.services.errors import NotFound
from itp_monitor.services.protocol_store import protocol_in_force
from itp_monitor.services.recorder import patient_by_mrn, patient_info
from itp_monitor.services.results import PatientInfo, PatientRecords
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage import bulk
from itp_monitor.storage.models import (
    BleedingAssessmentRow,
    DeliveryRow,
    InjectionRow,
    NeonatalCountRow,
    Patient,
    PlateletCountRow,
)

CURRENT = RecordStatus.CURRENT.value


@dataclass(frozen=True)
class PatientEvaluation:
    patient: PatientInfo
    evaluation: Evaluation
    protocol: Protocol | None = None  # the values the rules used (for the chart's bands)

    @property
    def sort_key(self) -> tuple[int, int, str]:
        """Most severe first: worst flag, then how many flags of that severity, then MRN."""
        flags = self.evaluation.flags
        if not flags:
            return (3, 0, self.patient.mrn)
        worst = flags[0].severity
        return (worst.rank, -sum(f.severity is worst for f in flags), self.patient.mrn)


# Builds a point (a NamedTuple) from its fields without the NamedTuple's Python-level
# __new__: with a hundred thousand counts that call is a tenth of the ward's opening.
_new_tuple = tuple.__new__


def _grouped(
    session: Session,
    table: Any,
    columns: Sequence[Any],
    which: ColumnElement[bool],
    point: type[tuple[Any, ...]],
) -> dict[int, list[Any]]:
    """Current records of one kind per patient, in time order, as `point`s of `columns`.

    The first column is the record's time.
    """
    query = (
        select(table.patient_id, *columns)
        .join(Patient, Patient.id == table.patient_id)
        .where(which, table.status == CURRENT)
        .order_by(table.patient_id, columns[0])
    )
    rows = bulk.fetch(session, query)
    t = bulk.time_reader(session)
    return {
        patient_id: [_new_tuple(point, (t(r[1]), *r[2:])) for r in group]
        for patient_id, group in groupby(rows, key=itemgetter(0))
    }


def load_histories(
    session: Session, which: ColumnElement[bool]
) -> list[tuple[Patient, PatientHistory]]:
    """The patients matching `which`, each with what the rules read about her."""
    patients = list(session.scalars(select(Patient).where(which).order_by(Patient.mrn)))
    c, i, b, n = PlateletCountRow, InjectionRow, BleedingAssessmentRow, NeonatalCountRow
    counts = _grouped(session, c, (c.collected_at, c.value), which, CountPoint)
    doses = _grouped(session, i, (i.given_at, i.dose_units, i.weight_kg), which, DosePoint)
    bleeds = _grouped(session, b, (b.assessed_at, b.who_grade), which, BleedPoint)
    newborn = _grouped(session, n, (n.collected_at, n.value), which, CountPoint)
    deliveries = _grouped(session, DeliveryRow, (DeliveryRow.delivered_at,), which, tuple)
    return [
        (
            p,
            PatientHistory(
                edd=p.edd,
                counts=counts.get(p.id, ()),
                injections=doses.get(p.id, ()),
                bleeding=bleeds.get(p.id, ()),
                delivered_at=deliveries[p.id][0][0] if p.id in deliveries else None,
                neonatal_counts=newborn.get(p.id, ()),
            ),
        )
        for p in patients
    ]


def history_of(records: PatientRecords) -> PatientHistory:
    """What the rules read, from records already read."""
    return PatientHistory.from_records(
        records.patient.edd,
        counts=(s.record for s in records.counts),
        injections=(s.record for s in records.injections),
        bleeding=(s.record for s in records.bleeding),
        delivery=records.delivery.record if records.delivery else None,
        neonatal_counts=(s.record for s in records.neonatal_counts),
    )


class EvaluationService(ServiceBase):
    def _judge(self, which: ColumnElement[bool], at: datetime | None) -> list[PatientEvaluation]:
        at = at or self.clock()
        with cycle_collector_paused(), self.db.reading() as session:
            protocol: ProtocolInForce = protocol_in_force(session, to_utc(at))
            loaded = load_histories(session, which)
            return [
                PatientEvaluation(patient_info(p), evaluate(history, at, protocol), protocol.values)
                for p, history in loaded
            ]

    def of_records(self, records: PatientRecords, at: datetime | None = None) -> PatientEvaluation:
        """Judges a woman from records already read (the workspace has them): no second read."""
        at = at or self.clock()
        with self.db.reading() as session:
            protocol = protocol_in_force(session, to_utc(at))
        history = history_of(records)
        return PatientEvaluation(records.patient, evaluate(history, at, protocol), protocol.values)

    def patient(self, patient_id: int, at: datetime | None = None) -> PatientEvaluation:
        """One woman at T (now if None)."""
        found = self._judge(Patient.id == patient_id, at)
        if not found:
            raise NotFound(f"no patient with id {patient_id}")
        return found[0]

    def ward(
        self,
        at: datetime | None = None,
        mrns: Sequence[str] | None = None,
        *,
        include_archived: bool = False,
    ) -> list[PatientEvaluation]:
        """The women on the ward (or those named, archived or not) at T, most severe first."""
        if mrns:
            with self.db.reading() as session:
                ids = []
                for mrn in mrns:
                    row = patient_by_mrn(session, mrn)
                    if row is None:
                        raise NotFound(f"mrn: {mrn} is not in the database")
                    ids.append(row.id)
            which: ColumnElement[bool] = Patient.id.in_(ids)
        elif include_archived:
            which = true()
        else:
            which = Patient.archived.is_(False)
        return sorted(self._judge(which, at), key=lambda e: e.sort_key)
