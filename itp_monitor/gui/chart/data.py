"""What the chart shows, worked out from a patient's records and her evaluation (no Qt here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from itp_monitor.domain.evaluation import Evaluation
from itp_monitor.domain.flags import FlagCode
from itp_monitor.domain.gestation import GestationalAge, date_reaching, gestational_age
from itp_monitor.domain.problems import fmt_number
from itp_monitor.domain.protocol import Protocol, definitions
from itp_monitor.domain.response import Course
from itp_monitor.domain.vocab import TreatmentKind
from itp_monitor.services.results import PatientRecords


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float
    label: str  # the first line of its hover text; the rest is worked out on hover


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    kind: str
    label: str
    ongoing: bool


@dataclass(frozen=True)
class Band:
    """A horizontal band of counts from `low` to `high` (None: no upper limit)."""

    low: float
    high: float | None
    label: str
    key: str  # which colour


@dataclass(frozen=True)
class ChartData:
    edd: date
    now: datetime
    counts: tuple[Point, ...]
    injections: tuple[Point, ...]  # value: U/kg
    bleeding: tuple[Point, ...]  # value: WHO grade
    treatments: tuple[Span, ...]
    window_start: datetime | None  # 36+0 (None: her EDD puts it off the calendar)
    window_end: datetime | None  # the delivery, or post-term (42+0)
    delivery: datetime | None
    projection: tuple[Point, Point] | None  # drawn only when it raises its flag
    bands: tuple[Band, ...]
    thrombocytosis_above: float
    bleeding_from_grade: int  # the protocol's bleeding_min_who_grade: drawn as bleeding
    courses: tuple[Course, ...] = ()
    course_window_days: int = 0

    def tip(self, point: Point) -> str:
        """Hover text: what it is, when, the gestational age then, and the course day."""
        day = _course_day(self.courses, point.at, self.course_window_days)
        return f"{point.label}\n{_when(self.edd, point.at)}" + (
            f"\ncourse day {day}" if day else ""
        )

    def gestational_days(self, moment: datetime) -> float:
        """Gestational age of a moment in fractional days (the x of the gestational axis)."""
        to_edd = (datetime.combine(self.edd, time()) - moment) / timedelta(days=1)
        return definitions().pregnancy_days - to_edd


def bands(p: Protocol) -> tuple[Band, ...]:
    n = fmt_number
    return (
        Band(0, p.critical_below, f"< {n(p.critical_below)} bleeding risk", "critical"),
        Band(
            p.critical_below,
            p.treat_below,
            f"{n(p.critical_below)}–{n(p.treat_below)} treat",
            "treat",
        ),
        Band(p.treat_below, p.delivery_min, f"{n(p.treat_below)}–{n(p.delivery_min)}", "low"),
        Band(p.delivery_min, p.neuraxial_min, f"≥ {n(p.delivery_min)} delivery", "delivery"),
        Band(
            p.neuraxial_min,
            p.complete_response_min,
            f"≥ {n(p.neuraxial_min)} epidural",
            "neuraxial",
        ),
        Band(
            p.complete_response_min,
            p.thrombocytosis_above,
            f"≥ {n(p.complete_response_min)} complete response",
            "complete",
        ),
        Band(p.thrombocytosis_above, None, f"> {n(p.thrombocytosis_above)} excessive", "excess"),
    )


def _midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time()) if day is not None else None


def _when(edd: date, moment: datetime) -> str:
    age = gestational_age(edd, moment.date())
    return f"{moment:%d %b %Y %H:%M} · {age}" if age.days >= 0 else f"{moment:%d %b %Y %H:%M}"


def _course_day(courses: tuple[Course, ...], moment: datetime, days_after_last: int) -> int | None:
    """The day of the course a moment falls in: from its first injection until
    `days_after_last` after its last (the gap that ends a course plus the follow-up, as
    the case series judges a course)."""
    for course in reversed(courses):
        day = course.day_at(moment)
        if moment >= course.first.at and day <= course.day_at(course.last.at) + days_after_last:
            return day
    return None


def chart_data(records: PatientRecords, evaluation: Evaluation, p: Protocol) -> ChartData:
    edd = records.patient.edd
    follow_up = p.course_gap_days + p.follow_up_days
    courses = evaluation.courses

    counts = tuple(
        Point(s.record.collected_at, s.record.value, f"{fmt_number(s.record.value)} ×10⁹/L")
        for s in records.counts
    )
    injections = tuple(
        Point(
            s.record.given_at,
            s.record.dose_per_kg,
            f"rhTPO {fmt_number(s.record.dose_units)} U = {s.record.dose_per_kg:.0f} U/kg "
            f"({fmt_number(s.record.weight_kg)} kg)",
        )
        for s in records.injections
    )
    bleeding = tuple(
        Point(
            s.record.assessed_at,
            s.record.who_grade,
            f"bleeding, WHO grade {s.record.who_grade}"
            + (f": {s.record.notes}" if s.record.notes else ""),
        )
        for s in records.bleeding
    )
    now = evaluation.at
    treatments = tuple(
        Span(
            s.record.started_at,
            s.record.ended_at or max(now, s.record.started_at),
            s.record.kind,
            TreatmentKind(s.record.kind).label + (f" {s.record.dose}" if s.record.dose else ""),
            s.record.ended_at is None,
        )
        for s in records.treatments
    )
    delivery = records.delivery.record.delivered_at if records.delivery else None
    window_start = _midnight(date_reaching(edd, GestationalAge.of(p.delivery_window_from_weeks)))
    # the window closes at the delivery, else where the pregnancy becomes post-term
    window_end = delivery or _midnight(
        date_reaching(edd, GestationalAge.of(definitions().post_term_weeks))
    )
    projection = None
    if evaluation.projection and FlagCode.PROJECTED_BELOW_DELIVERY in evaluation.codes:
        proj = evaluation.projection
        start = proj.points[0].at
        projection = (
            Point(start, proj.value_at(start), "trend of the last counts"),
            Point(
                proj.target_moment,
                proj.projected,
                f"projected {max(proj.projected, 0):.0f} on {proj.target_date:%d %b} "
                f"({proj.target_age})",
            ),
        )
    return ChartData(
        edd=edd,
        now=now,
        counts=counts,
        injections=injections,
        bleeding=bleeding,
        treatments=treatments,
        window_start=window_start,
        window_end=window_end,
        delivery=delivery,
        projection=projection,
        bands=bands(p),
        thrombocytosis_above=p.thrombocytosis_above,
        bleeding_from_grade=p.bleeding_min_who_grade,
        courses=courses,
        course_window_days=follow_up,
    )
