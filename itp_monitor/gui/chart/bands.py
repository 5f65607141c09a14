"""The protocol's threshold bands behind the counts, each with its label at the left edge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont, QFontMetrics

from itp_monitor.gui.chart.data import Band
from itp_monitor.gui.palette import band_colour, colour

LABEL_SLACK_PX = 3
ANNOTATION_PT = 9


def annotation_font() -> QFont:
    """The band labels' font, made when needed: a QFont made before the application
    exists (the command line imports this module first) misses the system's family."""
    font = QFont()
    font.setPointSize(ANNOTATION_PT)
    return font


class BandLayer:
    """A region and a label per band, on the counts plot; redrawn only when they change."""

    def __init__(self, plot: Any) -> None:
        self.plot = plot
        self.items: list[tuple[pg.LinearRegionItem, pg.TextItem]] = []
        self._drawn: tuple[Any, ...] | None = None

    def draw(
        self, wanted: Sequence[Band], top: float, y: Callable[[float], float], log_scale: bool
    ) -> None:
        """Draws `wanted`, the open-ended band up to `top`; `y` maps a count to the axis."""
        while len(self.items) > len(wanted):
            region, label = self.items.pop()
            self.plot.removeItem(region)
            self.plot.removeItem(label)
        while len(self.items) < len(wanted):
            region = pg.LinearRegionItem(
                orientation="horizontal", movable=False, pen=pg.mkPen(None)
            )
            region.setZValue(-20)
            label = pg.TextItem("", color=colour("black", 170), anchor=(0, 1))
            label.setFont(annotation_font())
            label.setZValue(-10)
            self.plot.addItem(region)
            self.plot.addItem(label)
            self.items.append((region, label))
        drawn = (tuple(wanted), top, log_scale)
        if drawn == self._drawn:
            return  # most saves leave the bands as they were
        self._drawn = drawn
        for (region, label), band in zip(self.items, wanted, strict=True):
            region.setBrush(pg.mkBrush(band_colour(band.key)))
            region.setRegion((y(band.low), y(band.high if band.high is not None else top)))
            label.setText(band.label)

    def place_labels(self) -> None:
        """Labels at the left edge, each shown only if its band is tall enough on screen."""
        (left, _), (bottom, top) = self.plot.viewRange()
        box = self.plot.getViewBox()
        for region, label in self.items:
            low, high = region.getRegion()
            low_px = box.mapViewToScene(QPointF(left, max(low, bottom))).y()
            high_px = box.mapViewToScene(QPointF(left, min(high, top))).y()
            # a line's height includes leading; a label may reach a few pixels past its band
            needed = QFontMetrics(label.textItem.font()).height() - LABEL_SLACK_PX
            tall_enough = low_px - high_px >= needed
            label.setVisible(high > bottom and low < top and tall_enough)
            label.setPos(left, max(low, bottom))

    def edges(self) -> list[tuple[float, float]]:
        return [region.getRegion() for region, _ in self.items]
