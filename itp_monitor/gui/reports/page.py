"""Laying out a printed page: blocks of rich text and the chart, top to bottom.

A Page paints on any QPagedPaintDevice, so the same report goes to a PDF file
(QPdfWriter) or to a printer (QPrinter). Sizes are given in millimetres and
points, so that the page reads the same at any resolution.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QMarginsF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPainter,
    QPen,
    QTextDocument,
)

MARGIN_MM = 12
DRAWING_SCALE = 4
HEADER, STRIPE = "#dddddd", "#f2f2f2"
TEXT_PT = 8.5  # the body text; set as the document's font, so that inline sizes still apply
STYLE = """
h1 { font-size: 15pt; margin: 0; }
h2 { font-size: 10.5pt; margin-top: 4pt; margin-bottom: 2pt; }
th { text-align: left; font-weight: bold; }
td, th { vertical-align: top; }
.quiet { color: #555; }
"""


def esc(text: object) -> str:
    return html.escape(str(text))


Cell = str | Sequence[str]  # text, or lines of text


def cell_html(cell: Cell) -> str:
    return esc(cell) if isinstance(cell, str) else "<br>".join(esc(line) for line in cell)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    numeric: Iterable[int] = (),
    width: str = "100%",
    widths: Sequence[float] = (),
) -> str:
    """An HTML table of escaped text; `numeric` columns are right-aligned; `widths` are
    the columns' shares of the table."""
    right = set(numeric)
    total = sum(widths)
    share = [f' width="{round(100 * w / total)}%"' for w in widths] or [""] * len(headers)
    head = "".join(
        f"<th{' align=right' if i in right else ''}{share[i]}>{esc(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        f"<tr{' bgcolor=' + STRIPE if n % 2 else ''}>"
        + "".join(
            f"<td{' align=right' if i in right else ''}>{cell_html(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for n, row in enumerate(rows)
    )
    # Qt draws table borders heavy on a high-resolution page: rows are striped instead.
    return (
        f'<table width="{width}" cellspacing="0" cellpadding="2">'
        f"<thead><tr bgcolor={HEADER}>{head}</tr></thead>{body}</table>"
    )


def set_page(device: QPagedPaintDevice, landscape: bool = False) -> None:
    """The orientation and margins of a report, on the paper the device has (A4 for a
    PDF; what the print dialog chose for a printer)."""
    layout = device.pageLayout()
    layout.setOrientation(
        QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    )
    layout.setUnits(QPageLayout.Unit.Millimeter)
    layout.setMargins(QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM))
    device.setPageLayout(layout)


class Page:
    """Paints blocks one under another on the page of `device`, from the top margin."""

    def __init__(self, device: QPagedPaintDevice, painter: QPainter) -> None:
        self.device = device
        self.painter = painter
        # QPdfWriter and QPrinter both have resolution(); their common base does not
        self.dpi: int = device.logicalDpiX()
        rect = device.pageLayout().paintRectPixels(self.dpi)
        self.width = float(rect.width())
        self.height = float(rect.height())
        self.y = 0.0

    def mm(self, millimetres: float) -> float:
        return millimetres * self.dpi / 25.4

    def document(
        self, body: str, width: float | None = None, text_pt: float = TEXT_PT
    ) -> QTextDocument:
        doc = QTextDocument()
        doc.documentLayout().setPaintDevice(self.device)  # points mean points on paper
        font = QFont()
        font.setPointSizeF(text_pt)
        doc.setDefaultFont(font)
        doc.setDefaultStyleSheet(STYLE)
        doc.setDocumentMargin(0)
        doc.setHtml(f"<body>{body}</body>")
        doc.setTextWidth(width if width is not None else self.width)
        return doc

    def block_height(self, body: str, width: float | None = None) -> float:
        return float(self.document(body, width).size().height())

    def html(self, body: str, *, x: float = 0.0, width: float | None = None) -> float:
        """Paints rich text at the cursor; returns its height and moves the cursor under it."""
        height = self.html_at(body, x, self.y, width)
        self.y += height
        return height

    def html_at(self, body: str, x: float, y: float, width: float | None = None) -> float:
        doc = self.document(body, width)
        self.painter.save()
        self.painter.translate(x, y)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = QRectF(0, 0, doc.textWidth(), doc.size().height())
        doc.documentLayout().draw(self.painter, context)
        self.painter.restore()
        return float(doc.size().height())

    def box(self, x: float, y: float, width: float, height: float, fill: str, line: str) -> None:
        self.painter.save()
        self.painter.setPen(QPen(QColor(line), self.mm(0.4)) if line else Qt.PenStyle.NoPen)
        self.painter.setBrush(QColor(fill))
        self.painter.drawRect(QRectF(x, y, width, height))
        self.painter.restore()

    def drawing(self, size: QSize, draw: Callable[[QPainter], None], height: float) -> None:
        """Paints a drawing made at screen size (the chart) across the page.

        Painted straight onto a 300-dpi page, text sized in points would grow with the
        resolution while lines do not; and vector formats Qt can record (SVG Tiny)
        drop the clipping that keeps bands inside the plot. So the drawing is made as on
        screen, at DRAWING_SCALE times the pixels, and placed as a picture: at the
        page's width that is over 400 dots per inch.
        """
        image = QImage(size * DRAWING_SCALE, QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(DRAWING_SCALE)
        image.fill(QColor("white"))
        recorder = QPainter(image)
        try:
            recorder.setRenderHint(QPainter.RenderHint.Antialiasing)
            recorder.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            draw(recorder)
        finally:
            recorder.end()
        self.painter.drawImage(QRectF(0, self.y, self.width, height), image)
        self.y += height

    def gap(self, millimetres: float) -> None:
        self.y += self.mm(millimetres)

    def left(self) -> float:
        return self.height - self.y
