"""The platelet chart: counts over the protocol's threshold bands, with a lane beneath for
injections, other treatments and bleeding. It draws what ChartData says and never asks
the database anything."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.gui.chart.axes import FIRST, LAST, GestationalAxis, calendar_axis, clamp, seconds
from itp_monitor.gui.chart.bands import BandLayer
from itp_monitor.gui.chart.data import ChartData
from itp_monitor.gui.palette import TREATMENT, colour

pg.setConfigOptions(antialias=True)

CALENDAR, GESTATIONAL = "calendar", "gestational"
LANES = {"rhTPO": 2.0, "other Rx": 1.0, "bleeding": 0.0}
DAY_S = 86400.0
LEFT_AXIS_WIDTH = 72
SMOOTH_LINE_MAX = 200
_BRUSHES: dict[str, Any] = {}


def brush(name: str) -> Any:
    """One brush per colour, reused: pyqtgraph renders a marker once per brush it meets."""
    if name not in _BRUSHES:
        _BRUSHES[name] = pg.mkBrush(colour(name))
    return _BRUSHES[name]


class PlateletChart(QWidget):
    """A small API: set_data(), set_axis_mode(), set_log_scale(), reset_view()."""

    axis_mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: ChartData | None = None
        self.axis_mode = CALENDAR
        self.log_scale = False
        self.zoomed_by_hand = False  # a zoom or pan the user made stays until Reset zoom

        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.counts_plot = self.view.addPlot(row=0, col=0, axisItems={"bottom": calendar_axis()})
        self.lane_plot = self.view.addPlot(row=1, col=0, axisItems={"bottom": calendar_axis()})
        self.lane_plot.setXLink(self.counts_plot)
        self.view.ci.layout.setRowStretchFactor(0, 5)
        self.view.ci.layout.setRowStretchFactor(1, 1)
        self.counts_plot.setLabel("left", "platelets ×10⁹/L")
        self.counts_plot.getAxis("bottom").setStyle(showValues=False)
        self.counts_plot.showGrid(x=True, y=False, alpha=0.15)
        self.lane_plot.setMouseEnabled(y=False)
        self.lane_plot.setYRange(-0.6, 2.6, padding=0)
        self.lane_plot.getAxis("left").setTicks([[(v, k) for k, v in LANES.items()], []])
        for plot in (self.counts_plot, self.lane_plot):  # one width, so the two x axes line up
            plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        for plot in (self.counts_plot, self.lane_plot):
            plot.hideButtons()
            plot.getViewBox().setDefaultPadding(0.02)
            plot.getViewBox().sigRangeChangedManually.connect(self._zoomed_by_hand)

        self.bands = BandLayer(self.counts_plot)
        self.window_region = pg.LinearRegionItem(
            orientation="vertical", movable=False, brush=colour("grey", 35), pen=pg.mkPen(None)
        )
        self.window_label = pg.TextItem(
            "delivery window", color=colour("black", 160), anchor=(0, 0)
        )
        self.edd_lines = [self._vline("EDD", Qt.PenStyle.DashLine) for _ in range(2)]
        self.delivery_lines = [self._vline("delivery", Qt.PenStyle.SolidLine) for _ in range(2)]
        self.count_line = pg.PlotCurveItem(pen=pg.mkPen(colour("black"), width=2))
        self.count_points = pg.ScatterPlotItem(
            size=9,
            pen=pg.mkPen("w", width=1),
            brush=brush("black"),
            hoverable=True,
            hoverSize=13,
            tip=self._tip,
        )
        self.projection_line = pg.PlotCurveItem(
            pen=pg.mkPen(colour("vermillion"), width=2, style=Qt.PenStyle.DashLine)
        )
        self.projection_label = pg.TextItem("", color=colour("vermillion"), anchor=(1, 1))
        self.injection_points = pg.ScatterPlotItem(
            symbol="t1",
            size=11,
            brush=brush("blue"),
            pen=pg.mkPen(None),
            hoverable=True,
            hoverSize=15,
            tip=self._tip,
        )
        self.bleeding_points = pg.ScatterPlotItem(
            symbol="o", pen=pg.mkPen(None), hoverable=True, tip=self._tip
        )
        self.treatment_bars: pg.BarGraphItem | None = None
        self.treatment_labels: list[pg.TextItem] = []

        for item in (
            self.window_region,
            self.window_label,
            self.count_line,
            self.projection_line,
            self.projection_label,
            self.count_points,
            self.edd_lines[0],
            self.delivery_lines[0],
        ):
            self.counts_plot.addItem(item)
        for item in (
            self.injection_points,
            self.bleeding_points,
            self.edd_lines[1],
            self.delivery_lines[1],
        ):
            self.lane_plot.addItem(item)
        self.counts_plot.sigXRangeChanged.connect(self._place_labels)
        self.counts_plot.sigYRangeChanged.connect(self._place_labels)

        self.axis_choice = QComboBox()
        self.axis_choice.addItem("Calendar dates", CALENDAR)
        self.axis_choice.addItem("Gestational age", GESTATIONAL)
        self.axis_choice.setToolTip("Time axis")
        self.axis_choice.currentIndexChanged.connect(
            lambda _: self.set_axis_mode(self.axis_choice.currentData())
        )
        self.log_box = QCheckBox("Log scale")
        self.log_box.toggled.connect(self.set_log_scale)
        self.reset_button = QPushButton("Reset zoom")
        self.reset_button.setToolTip("Show all of the records again (drag to pan, wheel to zoom)")
        self.reset_button.clicked.connect(self.reset_view)
        self.empty_label = QLabel("No counts yet")
        self.outside_label = QLabel("")
        self.outside_label.setObjectName("outside_calendar")
        self.outside_label.setStyleSheet("color: #B03A00;")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Time:"))
        bar.addWidget(self.axis_choice)
        bar.addWidget(self.log_box)
        bar.addWidget(self.reset_button)
        bar.addStretch(1)
        bar.addWidget(self.outside_label)
        bar.addWidget(self.empty_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

    # --- the API --------------------------------------------------------------------

    def set_data(self, data: ChartData | None, *, keep_view: bool = False) -> None:
        """Draws a patient's data; `keep_view` keeps a zoom the user made when only a record
        was added. A view the user has not zoomed follows the data, so that a first count
        never lands off its edge."""
        first = self.data is None or data is None or self.data.edd != data.edd
        self.data = data
        self._draw()
        if first or not keep_view or not self.zoomed_by_hand:
            self.reset_view()

    def set_axis_mode(self, mode: str) -> None:
        if mode == self.axis_mode:
            return
        self.axis_mode = mode
        self.axis_choice.setCurrentIndex(self.axis_choice.findData(mode))
        for plot in (self.counts_plot, self.lane_plot):
            axis = GestationalAxis("bottom") if mode == GESTATIONAL else calendar_axis()
            plot.setAxisItems({"bottom": axis})
        self.counts_plot.getAxis("bottom").setStyle(showValues=False)
        self._draw()
        self.reset_view()
        self.axis_mode_changed.emit(mode)

    def set_log_scale(self, on: bool) -> None:
        if on == self.log_scale:
            return
        self.log_scale = on
        self.log_box.setChecked(on)
        self.counts_plot.getAxis("left").setLogMode(on)
        self._draw()
        self.reset_view()

    def reset_view(self) -> None:
        """Shows all her records (those dated inside the chart's calendar)."""
        self.zoomed_by_hand = False
        d = self.data
        if d is None:
            return
        moments = [m for m in self._moments(d) if FIRST <= m <= LAST]
        extra = [d.now, *([d.delivery] if d.delivery else [])]
        start = clamp(min(moments, default=d.now)) - timedelta(days=2)
        end = max(clamp(m) for m in [*moments, *extra]) + timedelta(days=2)
        edd = clamp(datetime.combine(d.edd, datetime.min.time()))
        if edd - end <= timedelta(days=42):  # show the EDD when it is near
            end = max(end, edd + timedelta(days=3))
        if d.projection:
            end = max(end, clamp(d.projection[1].at) + timedelta(days=2))
        self.counts_plot.setXRange(self._x(start), self._x(end), padding=0)
        # up to half again the highest bounded band (complete response: 150 by default)
        bounded = [b.low for b in d.bands if b.high is not None]
        top = max([1.5 * max(bounded, default=1.0), *(1.15 * p.value for p in d.counts)])
        self.counts_plot.setYRange(self._y(0), self._y(top), padding=0)

    @staticmethod
    def _moments(d: ChartData) -> list[datetime]:
        moments = [p.at for p in (*d.counts, *d.injections, *d.bleeding)]
        return moments + [s.start for s in d.treatments]

    def _zoomed_by_hand(self, *_: Any) -> None:
        self.zoomed_by_hand = True

    def print_size(self) -> QSize:
        size: QSize = self.view.viewport().size()
        return size

    def paint_for_print(self, painter: QPainter) -> None:
        """Paints the plots (not the controls) at their on-screen size, markers as
        vectors: pyqtgraph's export mode, which its own exporters use."""
        items = [i for i in self.view.scene().items() if hasattr(i, "setExportMode")]
        for item in items:
            item.setExportMode(True, {"painter": painter, "antialias": True})
        try:
            rect = self.view.viewport().rect()
            self.view.render(painter, QRectF(rect), rect)
        finally:
            for item in items:
                item.setExportMode(False)

    # --- what tests (and the benchmark) read back ----------------------------------------

    def plotted_counts(self) -> list[tuple[float, float]]:
        xs, ys = self.count_points.getData()
        return list(zip(xs.tolist(), ys.tolist(), strict=True))

    def plotted_injections(self) -> list[float]:
        xs, _ = self.injection_points.getData()
        return xs.tolist()  # type: ignore[no-any-return]

    def projection_shown(self) -> bool:
        return bool(self.projection_line.isVisible())

    def band_edges(self) -> list[tuple[float, float]]:
        return self.bands.edges()

    def x_of(self, moment: datetime) -> float:
        return self._x(moment)

    # --- drawing --------------------------------------------------------------------

    def _x(self, moment: datetime) -> float:
        """x of a moment; one dated outside the chart's calendar is drawn at its edge."""
        if self.axis_mode == GESTATIONAL and self.data is not None:
            return self.data.gestational_days(clamp(moment))
        return seconds(moment)

    def _y(self, value: float) -> float:
        return math.log10(max(value, 1.0)) if self.log_scale else value

    def _vline(self, label: str, style: Qt.PenStyle) -> pg.InfiniteLine:
        line = pg.InfiniteLine(
            angle=90,
            movable=False,
            pen=pg.mkPen(colour("black", 200), width=1.5, style=style),
            label=label,
            labelOpts={"position": 0.96, "color": colour("black"), "anchors": [(0, 0), (0, 0)]},
        )
        return line

    def _draw(self) -> None:
        d = self.data
        self.empty_label.setVisible(d is None or not d.counts)
        self._draw_bands()
        if d is None:
            for item in (
                self.count_line,
                self.count_points,
                self.injection_points,
                self.bleeding_points,
            ):
                item.setData([], [])
            self.projection_line.setVisible(False)
            return
        x, y = self._x, self._y
        cx = [x(p.at) for p in d.counts]
        cy = [y(p.value) for p in d.counts]
        # An antialiased line costs Qt's raster painter ~70 ms at 500 points, against ~1 ms
        # plain: smooth for the usual few dozen counts, plain for a long history.
        self.count_line.setData(cx, cy, antialias=len(cx) <= SMOOTH_LINE_MAX)
        brushes = [self._count_brush(p.value) for p in d.counts]
        self.count_points.setData(x=cx, y=cy, data=list(d.counts), brush=brushes)
        self.injection_points.setData(
            x=[x(p.at) for p in d.injections],
            y=[LANES["rhTPO"]] * len(d.injections),
            data=list(d.injections),
        )
        self.bleeding_points.setData(
            x=[x(p.at) for p in d.bleeding],
            y=[LANES["bleeding"]] * len(d.bleeding),
            size=[7 + 3 * p.value for p in d.bleeding],
            brush=[
                brush("vermillion" if p.value >= d.bleeding_from_grade else "grey")
                for p in d.bleeding
            ],
            data=list(d.bleeding),
        )
        self._draw_treatments(x)
        self._show_outside(d)
        for plot in (self.counts_plot, self.lane_plot):  # no panning off the calendar
            plot.getViewBox().setLimits(xMin=x(FIRST), xMax=x(LAST))
        in_calendar = d.window_start is not None and d.window_end is not None
        self.window_region.setVisible(in_calendar)
        self.window_label.setVisible(in_calendar)
        if d.window_start is not None and d.window_end is not None:
            self.window_region.setRegion((x(d.window_start), x(d.window_end)))
        for line in self.edd_lines:
            line.setPos(x(datetime.combine(d.edd, datetime.min.time())))
        for line in self.delivery_lines:
            line.setVisible(d.delivery is not None)
            if d.delivery is not None:
                line.setPos(x(d.delivery))
        if d.projection is not None:
            a, b = d.projection
            self.projection_line.setData([x(a.at), x(b.at)], [y(a.value), y(max(b.value, 1))])
            self.projection_label.setText(b.label)
            self.projection_label.setPos(x(b.at), y(max(b.value, 1)))
        self.projection_line.setVisible(d.projection is not None)
        self.projection_label.setVisible(d.projection is not None)
        self._place_labels()

    def _show_outside(self, d: ChartData) -> None:
        """Says how many records are dated where the chart cannot show them (stored by an
        older version): they are drawn at its edge, and can be corrected or voided."""
        outside = sum(1 for m in self._moments(d) if not FIRST <= m <= LAST)
        self.outside_label.setVisible(outside > 0)
        self.outside_label.setText(
            f"{outside} record{'s' if outside != 1 else ''} dated outside {FIRST.year}–"
            f"{LAST.year - 1}: correct or void {'them' if outside != 1 else 'it'}"
        )
        self.outside_label.setToolTip("Drawn at the edge of the chart's calendar")

    def _count_brush(self, value: float) -> Any:
        for band in reversed(self.data.bands if self.data else ()):
            if value >= band.low:
                key = band.key
                break
        else:
            key = "critical"
        return brush(
            {"critical": "vermillion", "treat": "orange", "excess": "purple"}.get(key, "black")
        )

    def _tip(self, x: float, y: float, data: Any) -> str:
        return self.data.tip(data) if self.data is not None else ""

    def _draw_bands(self) -> None:
        d = self.data
        top = max([2000.0, *(2 * p.value for p in (d.counts if d else ()))])
        self.bands.draw(d.bands if d else (), top, self._y, self.log_scale)

    def _draw_treatments(self, x: Callable[[datetime], float]) -> None:
        d = self.data
        assert d is not None
        if self.treatment_bars is not None:
            self.lane_plot.removeItem(self.treatment_bars)
            self.treatment_bars = None
        for label in self.treatment_labels:
            self.lane_plot.removeItem(label)
        self.treatment_labels = []
        if not d.treatments:
            return
        x0 = [x(s.start) for s in d.treatments]
        x1 = [
            max(x(s.end), x(s.start) + (0.3 if self.axis_mode == GESTATIONAL else 0.3 * DAY_S))
            for s in d.treatments
        ]
        brushes = [pg.mkBrush(colour(TREATMENT.get(s.kind, "grey"), 170)) for s in d.treatments]
        self.treatment_bars = pg.BarGraphItem(
            x0=x0,
            x1=x1,
            y0=[LANES["other Rx"] - 0.3] * len(x0),
            height=0.6,
            brushes=brushes,
            pen=pg.mkPen(None),
        )
        self.lane_plot.addItem(self.treatment_bars)
        for span, start in zip(d.treatments, x0, strict=True):
            label = pg.TextItem(
                span.label + (" (ongoing)" if span.ongoing else ""),
                color=colour("black"),
                anchor=(0, 0.5),
            )
            label.setPos(start, LANES["other Rx"])
            self.lane_plot.addItem(label)
            self.treatment_labels.append(label)

    def _place_labels(self) -> None:
        self.bands.place_labels()
        if self.data is not None and self.data.window_start is not None:
            top = self.counts_plot.viewRange()[1][1]
            self.window_label.setPos(self._x(self.data.window_start), top)
