"""How each woman did on each rhTPO course: the rows of a case-series table.

Shaped like the tables of the published series (Yu 2023, Kong 2017): one row per
woman and course, with her age and the gestational age at the first injection,
baseline and peak counts, response and time to response, the dose, other
treatments, the delivery and the newborn. A course is judged as the board
judges it (docs/flags.md), at the end of its follow-up (last injection +
course_gap_days + follow_up_days), or before the next course starts, or at T,
whichever comes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from itp_monitor.domain.gestation import GestationalAge, gestational_age
from itp_monitor.domain.history import CountPoint, PatientHistory
from itp_monitor.domain.protocol import Definitions, Protocol, definitions
from itp_monitor.domain.records import AdverseEvent, Delivery, PatientDetails, Treatment
from itp_monitor.domain.response import (
    Course,
    ResponseAssessment,
    ResponseStatus,
    assess,
    days_between,
    find_courses,
    latest_sorted,
    up_to,
)

TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class CourseOutcome:
    """One course and the response to it, judged at `judged_at`."""

    number: int  # her first course is 1
    course: Course
    judged_at: datetime
    response: ResponseAssessment

    @property
    def days(self) -> int:
        """Calendar days from the first injection to the last, both counted."""
        return days_between(self.course.last.at, self.course.first.at) + 1

    @property
    def responded(self) -> bool:
        """Responded at some point in the course (a later loss still counts as a response)."""
        return self.response.first_response is not None


def course_outcomes(
    history: PatientHistory, at: datetime, protocol: Protocol
) -> list[CourseOutcome]:
    """Every course started at or before T, each judged at the end of its follow-up."""
    counts = sorted(c for c in history.counts if c.at <= at)
    bleeding = sorted(b for b in history.bleeding if b.at <= at)
    courses = find_courses(sorted(i for i in history.injections if i.at <= at), protocol)
    follow_up = timedelta(days=protocol.course_gap_days + protocol.follow_up_days)
    found = []
    for n, course in enumerate(courses):
        # The end of follow-up, unless that lies past the calendar's end (a course dated
        # in 9999 by an older version): then T itself.
        judged_at = (
            at
            if datetime.max - course.last.at <= follow_up
            else min(at, course.last.at + follow_up)
        )
        if n + 1 < len(courses):
            judged_at = min(judged_at, courses[n + 1].first.at - TICK)
        response = assess(
            course, up_to(counts, judged_at), up_to(bleeding, judged_at), judged_at, protocol
        )
        found.append(CourseOutcome(n + 1, course, judged_at, response))
    return found


@dataclass(frozen=True)
class SeriesRow:
    """One woman's course, as a case-series table shows it. Dates only in `first_injection`
    and `delivered_on`, which a de-identified table leaves out."""

    details: PatientDetails
    outcome: CourseOutcome
    age_years: int | None
    ga_first_injection: GestationalAge
    other_treatments: tuple[str, ...]
    delivery: Delivery | None
    ga_delivery: GestationalAge | None
    count_before_delivery: CountPoint | None
    newborn_lowest: float | None
    adverse_events: tuple[AdverseEvent, ...]

    @property
    def first_injection(self) -> datetime:
        return self.outcome.course.first.at


def age_on(born: date, on: date) -> int:
    """Whole years of age on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def series_rows(
    details: PatientDetails,
    history: PatientHistory,
    treatments: Sequence[Treatment],
    delivery: Delivery | None,
    adverse_events: Sequence[AdverseEvent],
    at: datetime,
    protocol: Protocol,
    d: Definitions | None = None,
) -> list[SeriesRow]:
    """Her rows, one per course; none if she never had rhTPO before T."""
    d = d or definitions()
    delivery = delivery if delivery is not None and delivery.delivered_at <= at else None
    counts = sorted(c for c in history.counts if c.at <= at)
    before_delivery = (
        latest_sorted(up_to(counts, delivery.delivered_at)) if delivery is not None else None
    )
    newborn = [n.value for n in history.neonatal_counts if n.at <= at]
    kinds: list[str] = []
    for t in sorted(treatments, key=lambda t: t.started_at):
        if t.started_at <= at and t.kind not in kinds:
            kinds.append(t.kind)
    return [
        SeriesRow(
            details=details,
            outcome=outcome,
            age_years=(
                age_on(details.date_of_birth, outcome.course.first.at.date())
                if details.date_of_birth
                else None
            ),
            ga_first_injection=gestational_age(details.edd, outcome.course.first.at.date(), d),
            other_treatments=tuple(kinds),
            delivery=delivery,
            ga_delivery=(
                gestational_age(details.edd, delivery.delivered_at.date(), d) if delivery else None
            ),
            count_before_delivery=before_delivery,
            newborn_lowest=min(newborn) if newborn else None,
            adverse_events=tuple(
                sorted((e for e in adverse_events if e.onset_at <= at), key=lambda e: e.onset_at)
            ),
        )
        for outcome in course_outcomes(history, at, protocol)
    ]


@dataclass(frozen=True)
class SeriesSummary:
    """The line a paper opens its results with: women, courses, how many responded.

    `responded` counts courses with a response at any point, including those that
    later lost it; `complete` the courses whose status is a complete response.
    """

    women: int
    courses: int
    responded: int
    complete: int

    @property
    def responded_percent(self) -> float | None:
        return 100 * self.responded / self.courses if self.courses else None


def summarise(rows: Sequence[SeriesRow]) -> SeriesSummary:
    return SeriesSummary(
        women=len({r.details.mrn for r in rows}),
        courses=len(rows),
        responded=sum(r.outcome.responded for r in rows),
        complete=sum(r.outcome.response.status is ResponseStatus.COMPLETE_RESPONSE for r in rows),
    )
