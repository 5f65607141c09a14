"""Judges one woman at time T: gestational age, response, projection and flags.

The contract is docs/flags.md. Deterministic: the same records, protocol and T
give the same result, whatever order the records come in; records timed after
T are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from itp_monitor.domain.flags import Flag, FlagCode, Severity, count_on, day
from itp_monitor.domain.gestation import GestationalAge, gestational_age
from itp_monitor.domain.history import BleedPoint, CountPoint, DosePoint, PatientHistory
from itp_monitor.domain.problems import fmt_number
from itp_monitor.domain.projection import Projection, project
from itp_monitor.domain.protocol import Definitions, ProtocolInForce, definitions
from itp_monitor.domain.response import (
    NOT_ON_TREATMENT,
    Course,
    ResponseAssessment,
    ResponseStatus,
    assess,
    current_course,
    days_between,
    find_courses,
    latest_sorted,
)

END_OF_DAY = time(23, 59, 59)


def evaluation_time(text: str) -> datetime:
    """T from what a user typed: a date means the end of that day (23:59:59)."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is not None:
        raise ValueError(f"{text!r} has a time-zone offset; give local time")
    if len(text.strip()) == len("2026-11-01"):
        return datetime.combine(moment.date(), END_OF_DAY)
    return moment


@dataclass(frozen=True)
class Evaluation:
    at: datetime
    gestational_age: GestationalAge | None  # None once delivered
    age_at_delivery: GestationalAge | None
    delivered_at: datetime | None
    in_delivery_window: bool
    latest_count: CountPoint | None
    latest_neonatal: CountPoint | None
    courses: tuple[Course, ...]
    response: ResponseAssessment
    projection: Projection | None
    flags: tuple[Flag, ...]

    @property
    def worst(self) -> Severity | None:
        return self.flags[0].severity if self.flags else None

    @property
    def codes(self) -> set[FlagCode]:
        return {f.code for f in self.flags}


def evaluate(
    history: PatientHistory,
    at: datetime,
    protocol: ProtocolInForce,
    d: Definitions | None = None,
) -> Evaluation:
    d = d or definitions()
    p = protocol.values
    counts: list[CountPoint] = sorted(c for c in history.counts if c.at <= at)
    injections: list[DosePoint] = sorted(i for i in history.injections if i.at <= at)
    bleeding: list[BleedPoint] = sorted(b for b in history.bleeding if b.at <= at)
    neonatal: list[CountPoint] = sorted(n for n in history.neonatal_counts if n.at <= at)
    delivered_at = (
        history.delivered_at if history.delivered_at and history.delivered_at <= at else None
    )

    pregnant_for = gestational_age(history.edd, at.date(), d)
    age = pregnant_for if delivered_at is None and pregnant_for.days >= 0 else None
    at_delivery = gestational_age(history.edd, delivered_at.date(), d) if delivered_at else None
    in_window = age is not None and age >= GestationalAge.of(p.delivery_window_from_weeks)

    courses = find_courses(injections, p)
    course = current_course(courses, at, p)
    response = assess(course, counts, bleeding, at, p) if course else NOT_ON_TREATMENT
    projection = None
    if age is not None and (
        GestationalAge.of(p.projection_from_weeks)
        <= age
        < GestationalAge.of(p.projection_target_weeks)
    ):
        projection = project(counts, at, history.edd, p, d)

    newest = latest_sorted(counts)
    found = _Flagger(protocol, at).flags(
        latest_count=newest,
        bleeding=bleeding,
        in_window=in_window,
        age=age,
        course=course,
        response=response,
        projection=projection,
        delivered_at=delivered_at,
        latest_neonatal=latest_sorted(neonatal),
    )
    return Evaluation(
        at=at,
        gestational_age=age,
        age_at_delivery=at_delivery,
        delivered_at=delivered_at,
        in_delivery_window=in_window,
        latest_count=newest,
        latest_neonatal=latest_sorted(neonatal),
        courses=tuple(courses),
        response=response,
        projection=projection,
        flags=tuple(sorted(found, key=lambda f: f.order)),
    )


class _Flagger:
    """Raises the flags of docs/flags.md, each with its message and source."""

    def __init__(self, protocol: ProtocolInForce, at: datetime) -> None:
        self.protocol = protocol
        self.p = protocol.values
        self.at = at
        self.raised: list[Flag] = []

    def raise_(self, code: FlagCode, severity: Severity, message: str, *settings: str) -> None:
        self.raised.append(Flag(code, severity, message, self.protocol.source(*settings)))

    def flags(
        self,
        *,
        latest_count: CountPoint | None,
        bleeding: list[BleedPoint],
        in_window: bool,
        age: GestationalAge | None,
        course: Course | None,
        response: ResponseAssessment,
        projection: Projection | None,
        delivered_at: datetime | None,
        latest_neonatal: CountPoint | None,
    ) -> list[Flag]:
        if latest_count is not None:
            self._count_flags(latest_count, in_window, age)
            if projection is not None:
                self._projection_flag(latest_count, projection)
        self._bleeding_flag(bleeding)
        self._course_flags(latest_count, course, response)
        if course is not None or in_window:
            self._overdue_flag(latest_count, on_course=course is not None)
        self._newborn_flags(delivered_at, latest_neonatal)
        return self.raised

    def _count_flags(self, c: CountPoint, in_window: bool, age: GestationalAge | None) -> None:
        p = self.p
        if c.value < p.critical_below:
            self.raise_(
                FlagCode.PLT_CRITICAL,
                Severity.CRITICAL,
                f"latest count {count_on(c)}, below {fmt_number(p.critical_below)}: "
                "risk of spontaneous bleeding",
                "critical_below",
            )
        elif c.value < p.treat_below:
            self.raise_(
                FlagCode.PLT_BELOW_TREATMENT,
                Severity.WARNING,
                f"latest count {count_on(c)}, below the treatment threshold of "
                f"{fmt_number(p.treat_below)}",
                "treat_below",
            )
        if in_window and c.value < p.delivery_min:
            self.raise_(
                FlagCode.DELIVERY_BELOW_CUTOFF,
                Severity.CRITICAL,
                f"latest count {count_on(c)}, below the delivery cutoff of "
                f"{fmt_number(p.delivery_min)} at {age}",
                "delivery_min",
            )
        if in_window and c.value < p.neuraxial_min:
            self.raise_(
                FlagCode.NEURAXIAL_BELOW_CUTOFF,
                Severity.WARNING,
                f"latest count {count_on(c)}, below {fmt_number(p.neuraxial_min)} "
                "for an epidural or spinal",
                "neuraxial_min",
            )
        if c.value > p.thrombocytosis_above:
            self.raise_(
                FlagCode.THROMBOCYTOSIS,
                Severity.CRITICAL,
                f"latest count {count_on(c)}, above {fmt_number(p.thrombocytosis_above)}",
                "thrombocytosis_above",
            )

    def _projection_flag(self, c: CountPoint, projection: Projection) -> None:
        p = self.p
        if c.value >= p.delivery_min and projection.projected < p.delivery_min:
            self.raise_(
                FlagCode.PROJECTED_BELOW_DELIVERY,
                Severity.WARNING,
                f"the {len(projection.points)} counts of the last {p.projection_window_days} days "
                f"project {max(projection.projected, 0):.0f} on {day(projection.target_date)} "
                f"({projection.target_age}), below the delivery cutoff of "
                f"{fmt_number(p.delivery_min)}",
                "delivery_min",
                "projection_target_weeks",
            )

    def _bleeding_flag(self, bleeding: list[BleedPoint]) -> None:
        p = self.p
        recent = [
            b
            for b in bleeding
            if b.who_grade >= p.bleeding_min_who_grade
            and days_between(self.at, b.at) <= p.bleeding_window_days
        ]
        if recent:
            worst = max(recent, key=lambda b: (b.who_grade, b.at))
            self.raise_(
                FlagCode.BLEEDING,
                Severity.CRITICAL,
                f"WHO grade {worst.who_grade} bleeding assessed on {day(worst.at)}",
                "bleeding_min_who_grade",
                "bleeding_window_days",
            )

    def _course_flags(
        self, c: CountPoint | None, course: Course | None, response: ResponseAssessment
    ) -> None:
        p = self.p
        if response.status is ResponseStatus.NO_RESPONSE:
            baseline = (
                f"baseline {fmt_number(response.baseline.value)}"
                if response.baseline
                else "no baseline"
            )
            best = f", highest since {count_on(response.best)}" if response.best else ""
            self.raise_(
                FlagCode.NON_RESPONSE,
                Severity.CRITICAL,
                f"no response by day {response.course_day} of the course ({baseline}{best})",
                "assessment_day",
                "response_min",
            )
        if response.status is ResponseStatus.LOSS_OF_RESPONSE and response.first_response:
            earlier, newest = response.lost_on
            self.raise_(
                FlagCode.LOSS_OF_RESPONSE,
                Severity.WARNING,
                f"responded with {count_on(response.first_response)}, "
                f"now {count_on(earlier)} and {count_on(newest)}",
                "response_min",
            )
        if course is None:
            return
        if (
            c is not None
            and c.at > course.first.at
            and c.value >= p.stop_at
            and days_between(self.at, course.last.at) <= p.stop_recent_days
        ):
            self.raise_(
                FlagCode.STOP_THRESHOLD_REACHED,
                Severity.WARNING,
                f"latest count {count_on(c)} has reached {fmt_number(p.stop_at)} and the last "
                f"injection was on {day(course.last.at)}: stop rhTPO",
                "stop_at",
            )
        if response.baseline is None:
            self.raise_(
                FlagCode.NO_BASELINE,
                Severity.INFO,
                f"no count in the {p.baseline_window_days} days up to the first injection "
                f"on {day(course.first.at)}",
                "baseline_window_days",
            )

    def _overdue_flag(self, c: CountPoint | None, on_course: bool) -> None:
        p = self.p
        if c is not None and days_between(self.at, c.at) <= p.monitoring_interval_days:
            return  # the latest count is recent enough
        why = "on rhTPO" if on_course else "in the delivery window"
        since = (
            f"no count for {days_between(self.at, c.at)} days (last {count_on(c)})"
            if c is not None
            else "no count recorded"
        )
        self.raise_(
            FlagCode.COUNT_OVERDUE,
            Severity.WARNING,
            f"{since}; {why} a count is due every {p.monitoring_interval_days} days",
            "monitoring_interval_days",
        )

    def _newborn_flags(self, delivered_at: datetime | None, newest: CountPoint | None) -> None:
        p = self.p
        if (
            delivered_at is not None
            and newest is None
            and days_between(self.at, delivered_at) <= p.neonatal_due_days
        ):
            self.raise_(
                FlagCode.NEONATAL_COUNT_DUE,
                Severity.WARNING,
                f"delivered on {day(delivered_at)}; no newborn count yet",
                "neonatal_due_days",
            )
        if newest is not None and newest.value < p.neonatal_low_below:
            severe = newest.value < p.neonatal_severe_below
            limit = p.neonatal_severe_below if severe else p.neonatal_low_below
            self.raise_(
                FlagCode.NEONATAL_LOW,
                Severity.CRITICAL if severe else Severity.WARNING,
                f"newborn count {count_on(newest)}, below {fmt_number(limit)}",
                "neonatal_severe_below" if severe else "neonatal_low_below",
            )


def on_date(at: date) -> datetime:
    """T for a whole day: its end."""
    return datetime.combine(at, END_OF_DAY)
