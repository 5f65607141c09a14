"""Where the counts are heading: the least-squares line projected to term.

Behind PROJECTED_BELOW_DELIVERY, and drawn on the chart as a dashed line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from itp_monitor.domain.gestation import GestationalAge, date_reaching
from itp_monitor.domain.history import CountPoint
from itp_monitor.domain.protocol import Definitions, Protocol
from itp_monitor.domain.response import since_day

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Projection:
    """The line value = intercept + slope × (days since `origin`) through `points`."""

    points: tuple[CountPoint, ...]
    origin: datetime
    intercept: float
    slope_per_day: float
    target_date: date
    target_age: GestationalAge

    def value_at(self, moment: datetime) -> float:
        return self.intercept + self.slope_per_day * ((moment - self.origin) / DAY)

    @property
    def target_moment(self) -> datetime:
        """00:00 on the day the pregnancy reaches the target age."""
        return datetime.combine(self.target_date, time())

    @property
    def projected(self) -> float:
        return self.value_at(self.target_moment)


def fit(points: Sequence[CountPoint]) -> tuple[datetime, float, float] | None:
    """Least squares of value on time in fractional days: (origin, intercept, slope).

    None when the counts are not at two different times at least.
    """
    if len({p.at for p in points}) < 2:
        return None
    origin = points[0].at
    xs = [(p.at - origin) / DAY for p in points]
    ys = [p.value for p in points]
    n = len(points)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    return origin, mean_y - slope * mean_x, slope


def project(
    counts: Sequence[CountPoint],
    at: datetime,
    edd: date,
    protocol: Protocol,
    definitions: Definitions,
) -> Projection | None:
    """The projection to term of the counts of the last window, if there are enough of them.

    `counts` are sorted and timed at or before T.
    """
    try:
        recent = since_day(counts, at, protocol.projection_window_days)
    except OverflowError:  # the window begins before the calendar does: it holds them all
        recent = counts
    if len(recent) < protocol.projection_min_counts:
        return None
    line = fit(recent)
    if line is None:
        return None
    origin, intercept, slope = line
    target = GestationalAge.of(protocol.projection_target_weeks)
    target_date = date_reaching(edd, target, definitions)
    if target_date is None:
        return None  # term lies outside the calendar: nothing to project to
    return Projection(
        points=tuple(recent),
        origin=origin,
        intercept=intercept,
        slope_per_day=slope,
        target_date=target_date,
        target_age=target,
    )
