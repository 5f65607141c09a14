"""Time axes of the chart: calendar dates, or gestational age in weeks+days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import pyqtgraph as pg

DAY_S = 86400.0
# Steps between date labels, in days; the first that leaves room for each label is used.
DATE_STEPS = (1, 2, 3, 7, 14, 28, 56, 91, 182, 364, 728, 1820, 3640, 18200, 36400)
LABEL_PX = 62  # room a "24 Nov" label needs

# x of the calendar axis: seconds since 1970 on the wall clock, by plain date arithmetic
# (a local timestamp fails before 1970 on Windows, and for the year 1 everywhere).
EPOCH = datetime(1970, 1, 1)
FIRST = datetime(1900, 1, 1)  # no record may be older (interfaces.md): older ones sit here
LAST = datetime(2200, 1, 1)  # past any EDD the app accepts: later ones sit here


def clamp(moment: datetime) -> datetime:
    """The moment, or the edge of the chart's calendar it lies beyond."""
    return min(max(moment, FIRST), LAST)


def seconds(moment: datetime) -> float:
    return (clamp(moment) - EPOCH) / timedelta(seconds=1)


def moment_at(x: float) -> datetime:
    """The moment at x, held inside the chart's calendar (a view dragged far stays there)."""
    return EPOCH + timedelta(seconds=min(max(x, seconds(FIRST)), seconds(LAST)))


class CalendarAxis(pg.AxisItem):
    """x in seconds (see EPOCH); one "24 Nov" label per tick, never two run together."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("bottom", **kwargs)

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        span_days = max((maxVal - minVal) / DAY_S, 1e-6)
        room = max(size / LABEL_PX, 1.0)
        step = next((s for s in DATE_STEPS if span_days / s <= room), DATE_STEPS[-1])
        first = moment_at(minVal).date()
        if step >= 7:  # weekly and longer steps start on a Monday, so the dates are steady
            first -= timedelta(days=first.weekday())
        last = moment_at(maxVal).date().toordinal() + 1
        ticks, minors = [], []
        for ordinal in range(first.toordinal(), last + 1, 1 if step <= 7 else step):
            moment = seconds(datetime.combine(date.fromordinal(ordinal), time()))
            if (ordinal - first.toordinal()) % step == 0:
                ticks.append(moment)
            else:
                minors.append(moment)
        return [(step * DAY_S, ticks), (DAY_S, minors)]

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        out = []
        for v in values:
            d = moment_at(v)
            out.append(f"{d.day} {d:%b}" + (f" {d.year}" if spacing >= 182 * DAY_S else ""))
        return out


class GestationalAxis(pg.AxisItem):
    """x in days of gestation; major ticks every week (32w), minor ticks every day."""

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        span = maxVal - minVal
        week = 7.0
        step = week * max(1, int(span / week / max(size / 70, 1)) or 1)
        first = (minVal // step) * step
        majors = [first + i * step for i in range(int(span / step) + 3)]
        minors = [] if span > 120 else [float(d) for d in range(int(minVal), int(maxVal) + 1)]
        return [(step, majors), (1.0, minors)]

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        out = []
        for v in values:
            days = round(v)
            out.append(f"{days // 7}w" if spacing >= 7 else f"{days // 7}+{days % 7}")
        return out


def calendar_axis() -> CalendarAxis:
    return CalendarAxis()
