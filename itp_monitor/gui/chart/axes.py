"""Time axes of the chart: calendar dates, or gestational age in weeks+days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pyqtgraph as pg

DAY_S = 86400.0
# Steps between date labels, in days; the first that leaves room for each label is used.
DATE_STEPS = (1, 2, 3, 7, 14, 28, 56, 91, 182, 364)
LABEL_PX = 62  # room a "24 Nov" label needs


class CalendarAxis(pg.AxisItem):
    """x in seconds since 1970 (local time); one "24 Nov" label per tick, never two run together."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("bottom", **kwargs)

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        span_days = max((maxVal - minVal) / DAY_S, 1e-6)
        room = max(size / LABEL_PX, 1.0)
        step = next((s for s in DATE_STEPS if span_days / s <= room), DATE_STEPS[-1])
        first = datetime.fromtimestamp(minVal).date()
        if step >= 7:  # weekly and longer steps start on a Monday, so the dates are steady
            first -= timedelta(days=first.weekday())
        ticks, minors = [], []
        day = first
        last = datetime.fromtimestamp(maxVal).date() + timedelta(days=1)
        while day <= last:
            moment = datetime.combine(day, datetime.min.time()).timestamp()
            if (day - first).days % step == 0:
                ticks.append(moment)
            elif step <= 7:
                minors.append(moment)
            day += timedelta(days=1)
        return [(step * DAY_S, ticks), (DAY_S, minors)]

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        out = []
        for v in values:
            d = datetime.fromtimestamp(v)
            out.append(f"{d.day} {d:%b}" + (f" {d:%Y}" if spacing >= 182 * DAY_S else ""))
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
