"""rhTPO courses and the response to the current one (International Working Group criteria).

Implements docs/flags.md ("Courses and response"); every window and threshold
comes from the unit's Protocol. Days are calendar days: a count taken at any
time on 1 November is 7 days before 8 November.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar

from itp_monitor.domain.history import BleedPoint, CountPoint, DosePoint
from itp_monitor.domain.protocol import Protocol

P = TypeVar("P", CountPoint, BleedPoint, DosePoint)


class ResponseStatus(StrEnum):
    NOT_ON_TREATMENT = "not_on_treatment"
    TOO_EARLY = "too_early"
    RESPONSE = "response"
    COMPLETE_RESPONSE = "complete_response"
    NO_RESPONSE = "no_response"
    LOSS_OF_RESPONSE = "loss_of_response"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


def days_between(later: datetime | date, earlier: datetime | date) -> int:
    """Calendar days from `earlier` to `later` (times of day do not matter)."""
    a = later.date() if isinstance(later, datetime) else later
    b = earlier.date() if isinstance(earlier, datetime) else earlier
    return (a - b).days


def latest(points: Iterable[CountPoint]) -> CountPoint | None:
    """The count with the greatest time; of counts at the same time, the lowest.

    Taking the lowest of a tie is the cautious reading, and does not depend on
    the order in which the counts were entered.
    """
    best: CountPoint | None = None
    for p in points:
        if best is None or p.at > best.at or (p.at == best.at and p.value < best.value):
            best = p
    return best


def latest_sorted(points: Sequence[CountPoint]) -> CountPoint | None:
    """`latest` of points already sorted by (time, value): the first of the last time."""
    if not points:
        return None
    i = len(points) - 1
    while i > 0 and points[i - 1].at == points[i].at:
        i -= 1
    return points[i]


def after(points: Sequence[P], moment: datetime) -> Sequence[P]:
    """The points (sorted by time) timed strictly after `moment`."""
    return points[bisect_right(points, moment, key=_at) :]


def up_to(points: Sequence[P], moment: datetime) -> Sequence[P]:
    """The points (sorted by time) timed at or before `moment`."""
    return points[: bisect_right(points, moment, key=_at)]


def since_day(points: Sequence[P], moment: datetime, days: int) -> Sequence[P]:
    """The points (sorted by time) on or after the day `days` calendar days before `moment`."""
    start = datetime.combine(moment.date() - timedelta(days=days), time())
    return points[bisect_left(points, start, key=_at) :]


def _at(p: CountPoint | BleedPoint | DosePoint) -> datetime:
    return p.at


@dataclass(frozen=True)
class Course:
    """A run of injections at most `course_gap_days` apart."""

    injections: tuple[DosePoint, ...]

    @property
    def first(self) -> DosePoint:
        return self.injections[0]

    @property
    def last(self) -> DosePoint:
        return self.injections[-1]

    @property
    def number(self) -> int:
        return len(self.injections)

    @property
    def units(self) -> int:
        """Cumulative dose in units."""
        return sum(i.units for i in self.injections)

    @property
    def per_kg(self) -> float:
        """Cumulative dose in U/kg, each injection on the weight it was dosed on."""
        return sum(i.per_kg for i in self.injections)

    def day_at(self, at: datetime | date) -> int:
        """Course day: the first injection's day is day 1."""
        return days_between(at, self.first.at) + 1


def find_courses(injections: Sequence[DosePoint], protocol: Protocol) -> list[Course]:
    """Courses of the given injections, which must be sorted by time."""
    courses: list[list[DosePoint]] = []
    for injection in injections:
        if courses and days_between(injection.at, courses[-1][-1].at) <= protocol.course_gap_days:
            courses[-1].append(injection)
        else:
            courses.append([injection])
    return [Course(tuple(c)) for c in courses]


def current_course(courses: Sequence[Course], at: datetime, protocol: Protocol) -> Course | None:
    """The latest course whose last injection is within gap + follow-up days before T."""
    if not courses:
        return None
    last = courses[-1]
    within = protocol.course_gap_days + protocol.follow_up_days
    return last if days_between(at, last.last.at) <= within else None


@dataclass(frozen=True)
class ResponseAssessment:
    status: ResponseStatus
    confirmed: bool = False
    course: Course | None = None
    course_day: int | None = None
    baseline: CountPoint | None = None
    first_response: CountPoint | None = None
    time_to_response_days: int | None = None
    best: CountPoint | None = None  # the highest count of the course so far
    lost_on: tuple[CountPoint, ...] = ()  # the two counts that show a loss


NOT_ON_TREATMENT = ResponseAssessment(ResponseStatus.NOT_ON_TREATMENT)


class _Judge:
    """Whether counts of one course respond, given its baseline and the bleeding."""

    def __init__(
        self, baseline: CountPoint | None, bleeding: Sequence[BleedPoint], p: Protocol
    ) -> None:
        self.baseline = baseline
        self.bleeds = [b for b in bleeding if b.who_grade >= p.bleeding_min_who_grade]
        self.p = p

    def bleeding_free(self, c: CountPoint) -> bool:
        window = self.p.bleeding_window_days
        return not any(b.at <= c.at and days_between(c.at, b.at) <= window for b in self.bleeds)

    def meets_r(self, c: CountPoint) -> bool:
        if c.value < self.p.response_min:
            return False
        if self.baseline is not None and c.value < self.p.response_fold * self.baseline.value:
            return False
        return self.bleeding_free(c)

    def meets_cr(self, c: CountPoint) -> bool:
        return c.value >= self.p.complete_response_min and self.bleeding_free(c)


def _confirmed(qualifying: Sequence[CountPoint], days: int) -> bool:
    """Two qualifying counts at least `days` calendar days apart."""
    return bool(qualifying) and days_between(qualifying[-1].at, qualifying[0].at) >= days


def baseline_of(
    course: Course, counts: Sequence[CountPoint], protocol: Protocol
) -> CountPoint | None:
    """The latest count at or before the first injection, within the baseline window.

    `counts` are sorted by (time, value): the latest is the last before the injection.
    """
    first = course.first.at
    candidate = latest_sorted(up_to(counts, first))
    if candidate is None or days_between(first, candidate.at) > protocol.baseline_window_days:
        return None
    return candidate


def assess(
    course: Course,
    counts: Sequence[CountPoint],
    bleeding: Sequence[BleedPoint],
    at: datetime,
    protocol: Protocol,
) -> ResponseAssessment:
    """The response to `course` at T; `counts` and `bleeding` sorted, timed at or before T."""
    p = protocol
    baseline = baseline_of(course, counts, p)
    judge = _Judge(baseline, bleeding, p)
    in_course = after(counts, course.first.at)
    r_counts = [c for c in in_course if judge.meets_r(c)]
    cr_counts = [c for c in in_course if judge.meets_cr(c)]
    responding = sorted({*r_counts, *cr_counts})
    first_response = responding[0] if responding else None
    day = course.day_at(at)
    found = ResponseAssessment(
        ResponseStatus.TOO_EARLY,
        course=course,
        course_day=day,
        baseline=baseline,
        first_response=first_response,
        time_to_response_days=(
            days_between(first_response.at, course.first.at) if first_response else None
        ),
        best=max(in_course, key=lambda c: (c.value, c.at), default=None),
    )
    if first_response is not None:
        newest = latest_sorted(counts)
        assert newest is not None  # a responding count exists
        earlier = latest(c for c in counts if c.at.date() < newest.at.date())
        if earlier is not None and all(
            c.at > first_response.at and not (judge.meets_r(c) or judge.meets_cr(c))
            for c in (newest, earlier)
        ):
            return replace(found, status=ResponseStatus.LOSS_OF_RESPONSE, lost_on=(earlier, newest))
    if cr_counts:
        confirmed = _confirmed(cr_counts, p.confirm_days)
        return replace(found, status=ResponseStatus.COMPLETE_RESPONSE, confirmed=confirmed)
    if r_counts:
        confirmed = _confirmed(r_counts, p.confirm_days)
        return replace(found, status=ResponseStatus.RESPONSE, confirmed=confirmed)
    if day >= p.assessment_day:
        return replace(found, status=ResponseStatus.NO_RESPONSE)
    return found
