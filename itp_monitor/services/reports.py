"""What the printed reports show: a woman's delivery handover, and the ward summary.

Plain results for gui/reports to lay out on paper. A report at T shows the records
as they stood at T: nothing timed after it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from itp_monitor.domain.evaluation import evaluate
from itp_monitor.domain.protocol import ProtocolInForce
from itp_monitor.domain.series import CourseOutcome, course_outcomes
from itp_monitor.services.context import to_utc
from itp_monitor.services.evaluation import EvaluationService, PatientEvaluation, history_of
from itp_monitor.services.patients import load_records, patients_named
from itp_monitor.services.protocol_store import protocol_in_force
from itp_monitor.services.results import PatientInfo, PatientRecords
from itp_monitor.services.unit import ServiceBase


@dataclass(frozen=True)
class Handover:
    at: datetime
    printed_by: str
    records: PatientRecords  # as they stood at T
    evaluation: PatientEvaluation
    courses: tuple[CourseOutcome, ...]  # every course, each judged at its end
    protocol: ProtocolInForce

    @property
    def patient(self) -> PatientInfo:
        return self.records.patient


@dataclass(frozen=True)
class WardSummary:
    at: datetime
    printed_by: str
    patients: tuple[PatientEvaluation, ...]  # most urgent first, as on the board
    protocol: ProtocolInForce


def records_at(records: PatientRecords, at: datetime) -> PatientRecords:
    """Her records as they stood at T: those timed after T left out."""
    delivery = records.delivery if records.delivery and records.delivery.record.at <= at else None
    return replace(
        records,
        counts=tuple(s for s in records.counts if s.record.at <= at),
        injections=tuple(s for s in records.injections if s.record.at <= at),
        bleeding=tuple(s for s in records.bleeding if s.record.at <= at),
        treatments=tuple(s for s in records.treatments if s.record.at <= at),
        delivery=delivery,
        neonatal_counts=tuple(s for s in records.neonatal_counts if s.record.at <= at),
        adverse_events=tuple(s for s in records.adverse_events if s.record.at <= at),
    )


class ReportService(ServiceBase):
    def handover(self, mrn: str, at: datetime | None = None) -> Handover:
        at = at or self.clock()
        with self.db.reading() as session:
            protocol = protocol_in_force(session, to_utc(at))
            (records,) = load_records(session, patients_named(session, [mrn]))
        records = records_at(records, at)
        history = history_of(records)
        evaluation = PatientEvaluation(
            records.patient, evaluate(history, at, protocol), protocol.values
        )
        courses = course_outcomes(history, at, protocol.values)
        return Handover(at, self.user, records, evaluation, tuple(courses), protocol)

    def ward(self, at: datetime | None = None) -> WardSummary:
        at = at or self.clock()
        patients = EvaluationService(self.db, self.user, self.clock).ward(at)
        with self.db.reading() as session:
            protocol = protocol_in_force(session, to_utc(at))
        return WardSummary(at, self.user, tuple(patients), protocol)
