"""Time axes of the chart: calendar dates, or gestational age in weeks+days."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg


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
            if spacing >= 7:
                out.append(f"{days // 7}w")
            else:
                out.append(f"{days // 7}+{days % 7}")
        return out


def calendar_axis(**kwargs: Any) -> pg.DateAxisItem:
    return pg.DateAxisItem(orientation="bottom", **kwargs)
