"""Reports to paper: each is painted by one function on any paged device, so the same
code writes a PDF (QPdfWriter, for the command line) or prints (QPrinter, in the app)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QIODevice,
    QMessageLogContext,
    QRectF,
    QSizeF,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QPagedPaintDevice, QPageSize, QPainter, QPdfWriter
from PySide6.QtWidgets import QApplication

from itp_monitor import __version__
from itp_monitor.gui.reports.handover import paint_handover
from itp_monitor.gui.reports.page import TEXT_PT, Page, set_page
from itp_monitor.gui.reports.series import SERIES_PT, series_html
from itp_monitor.gui.reports.ward import ward_html
from itp_monitor.services.exports import CaseSeries
from itp_monitor.services.files import write_atomically
from itp_monitor.services.reports import Handover, WardSummary

RESOLUTION = 300  # dots per inch of the PDF's layout; text and the chart are vectors


def ensure_app() -> QApplication:
    """The app's QApplication, or one on the offscreen platform for the command line
    (a report needs no screen, and a ward server may have none)."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    qInstallMessageHandler(_quiet_offscreen)
    return QApplication([sys.argv[0] if sys.argv else "itp-monitor", "-platform", "offscreen"])


def _quiet_offscreen(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Drops the offscreen platform's notes about windows it does not have; the rest
    goes to standard error as Qt would print it."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def paint(device: QPagedPaintDevice, draw: Callable[[Page], None], landscape: bool) -> None:
    set_page(device, landscape)
    painter = QPainter()
    if not painter.begin(device):
        raise OSError(f"cannot paint on {type(device).__name__}")
    try:
        draw(Page(device, painter))
    finally:
        painter.end()


def paint_flowing(page: Page, body: str, text_pt: float = TEXT_PT) -> None:
    """A long table over as many pages as it needs, its header row on each."""
    doc = page.document(body, text_pt=text_pt)
    doc.setPageSize(QSizeF(page.width, page.height))  # the layout breaks pages here
    painter = page.painter
    for n in range(doc.pageCount()):
        if n:
            page.device.newPage()
        painter.save()
        painter.translate(0, -n * page.height)
        doc.drawContents(painter, QRectF(0, n * page.height, page.width, page.height))
        painter.restore()


def write_pdf(path: Path, title: str, draw: Callable[[Page], None], landscape: bool) -> None:
    """Paints the PDF in memory, then writes it whole or not at all.

    QPdfWriter says nothing when its file cannot be written (a full disk left a 0-byte
    PDF in place of the target), so it writes to a buffer and the bytes go through
    write_atomically, whose OSError names `path`.
    """
    ensure_app()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setResolution(RESOLUTION)
    writer.setTitle(title)
    writer.setCreator(f"ITP Monitor {__version__}")
    paint(writer, draw, landscape)
    del writer  # ends the document in the buffer
    buffer.close()
    write_atomically(path, bytes(buffer.data().data()))


def write_handover_pdf(path: Path, handover: Handover) -> None:
    write_pdf(
        path,
        f"Delivery handover {handover.patient.mrn}",
        lambda page: paint_handover(page, handover),
        landscape=False,
    )


def write_ward_pdf(path: Path, ward: WardSummary) -> None:
    write_pdf(path, "Ward summary", lambda page: paint_flowing(page, ward_html(ward)), True)


def write_series_pdf(path: Path, series: CaseSeries, *, identified: bool = False) -> None:
    write_pdf(
        path,
        "Case series",
        lambda page: paint_flowing(page, series_html(series, identified), SERIES_PT),
        landscape=True,
    )
