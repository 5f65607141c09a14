"""The Reports menu and the File menu's record files: everything the app writes to a file.

Printing goes through Qt's print dialog to any printer the workstation has; the
same painting writes the PDFs of the command line (gui/reports/render.py). A file
that cannot be written is said in words: which file, and what is wrong.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QFontMetrics, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSpacerItem,
    QWidget,
)

from itp_monitor.gui.forms.saving import opened_read_only, storage_words
from itp_monitor.gui.hub import Hub
from itp_monitor.services.container import Services
from itp_monitor.services.errors import StorageFailure
from itp_monitor.services.record_file import FileRefused

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

# The painting modules (pyqtgraph, Qt's SVG and print support) load on first use, not at
# start-up: the main window is built before anyone prints.

TITLE = "ITP Monitor"
MESSAGE_CHARS = 72  # a message box at least this many characters wide: long paths and
# lists read as a few lines, not a column of single words
RECORD_FILES = "Record files (*.json)"


def tell(parent: QWidget, title: str, text: str, informative: str = "", details: str = "") -> None:
    """A warning box wide enough to read; a long list goes under Show Details."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setObjectName("file_message")
    if informative:
        box.setInformativeText(informative)
    if details:
        box.setDetailedText(details)
    widen(box)
    box.exec()


def widen(box: QMessageBox) -> None:
    """QMessageBox takes the width of its text and ignores setMinimumWidth: a spacer
    across its grid holds it MESSAGE_CHARS wide (no wider than the screen)."""
    chars = QFontMetrics(box.font()).averageCharWidth() * MESSAGE_CHARS
    screen = QGuiApplication.primaryScreen()
    width = min(chars, int(screen.availableGeometry().width() * 0.9)) if screen else chars
    layout = box.layout()
    if isinstance(layout, QGridLayout):
        spacer = QSpacerItem(width, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)
        layout.addItem(spacer, layout.rowCount(), 0, 1, layout.columnCount())


def why_not_written(path: Path, error: OSError) -> str:
    """What stopped a file from being written, in words: 'the disk is full'."""
    folder = path.parent
    code = error.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if code == errno.EROFS:
        return f"the folder {folder} is read-only"
    if code in (errno.EACCES, errno.EPERM):
        return f"the folder {folder} is read-only for you (no permission to write in it)"
    if code == errno.ENOENT and not folder.is_dir():
        return f"the folder {folder} does not exist"
    if code == errno.ENOTDIR:
        return f"{folder} is not a folder"
    if code == errno.EISDIR:
        return f"{path} is a folder"
    return (error.strerror or "it could not be written").lower()


def cannot_write(path: Path, error: OSError | StorageFailure) -> str:
    """'Could not write /x/ward.json: the disk is full.' — nothing was written."""
    if isinstance(error, StorageFailure):  # the database, read for the file, failed
        advice = error.advice[:1].upper() + error.advice[1:]
        return f"Could not write {path}: {error}. {advice}."
    # `path` is the file chosen: write_atomically says its errors of it, never of the
    # hidden temporary file beside it
    return f"Could not write {path}: {why_not_written(path, error)}. Nothing was written."


def not_saved(parent: QWidget, error: StorageFailure) -> None:
    """A save the database refused: what is wrong and what to do, in words."""
    tell(parent, TITLE, storage_words(error, opened_read_only(parent), kept=""))


class ReportActions:
    """What the Reports menu does; `current_mrn` names the woman open or selected; what a
    record file imported is announced on `hub`."""

    def __init__(
        self,
        services: Services,
        window: QMainWindow,
        current_mrn: Callable[[], str | None],
        hub: Hub,
    ) -> None:
        self.services = services
        self.window = window
        self.current_mrn = current_mrn
        self.hub = hub

    def _mrn(self) -> str | None:
        mrn = self.current_mrn()
        if mrn is None:
            QMessageBox.information(
                self.window, TITLE, "Open a woman, or select her on the ward board, first."
            )
        return mrn

    def _done(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 10_000)

    # --- printing -----------------------------------------------------------------------

    def _printer(self, title: str, parent: QWidget) -> QPrinter | None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(title)
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle(title)
        return printer if dialog.exec() == QPrintDialog.DialogCode.Accepted else None

    def print_handover(self, printer: QPrinter | None = None) -> None:
        mrn = self._mrn()
        if mrn is None:
            return
        from itp_monitor.gui.reports.handover import paint_handover
        from itp_monitor.gui.reports.render import paint

        handover = self.services.reports.handover(mrn)
        printer = printer or self._printer(f"Delivery handover {mrn}", self.window)
        if printer is None:
            return
        paint(printer, lambda page: paint_handover(page, handover), landscape=False)
        self._done(f"Sent the delivery handover of {mrn} to {printer.printerName() or 'print'}")

    def print_ward(self, printer: QPrinter | None = None) -> None:
        from itp_monitor.gui.reports.render import paint, paint_flowing
        from itp_monitor.gui.reports.ward import ward_html

        ward = self.services.reports.ward()
        printer = printer or self._printer("Ward summary", self.window)
        if printer is None:
            return
        paint(printer, lambda page: paint_flowing(page, ward_html(ward)), landscape=True)
        self._done("Sent the ward summary to print")

    # --- files --------------------------------------------------------------------------

    def _save_as(self, title: str, suggested: str, types: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self.window, title, suggested, types)
        return Path(name) if name else None

    def _write(self, path: Path, write: Callable[[], str]) -> None:
        """Runs `write`, which returns what to tell; a file that cannot be written is
        said in a message, and nothing is left half-written (render.write_pdf)."""
        try:
            told = write()
        except (OSError, StorageFailure) as e:
            tell(self.window, TITLE, cannot_write(path, e))
            return
        self._done(told)

    # --- record files (the File menu) ----------------------------------------------------

    def import_records(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self.window, "Import a record file", "", RECORD_FILES)
        if not name:
            return
        try:
            outcome = self.services.exchange.import_file(Path(name))
        except FileRefused as e:
            more = len(e.problems) - 1
            tell(
                self.window,
                "Import refused",
                f"Nothing was saved from {name}:",
                e.problems[0] + (f"\n\n… and {more} more (Show Details…)" if more else ""),
                "\n".join(e.problems) if more else "",
            )
            return
        except StorageFailure as e:
            not_saved(self.window, e)
            return
        self.hub.announce(outcome.changes, self)
        self._done(f"Imported {len(outcome.created)} patients, {outcome.records_added} records")

    def export_records(self, path: Path | None = None) -> None:
        path = path or self._save_as("Export a record file", "ward.json", RECORD_FILES)
        if path:

            def write() -> str:
                written = self.services.exchange.export_file(path)
                return f"Wrote {written} patients to {path}"

            self._write(path, write)

    def save_handover(self, path: Path | None = None) -> None:
        mrn = self._mrn()
        if mrn is None:
            return
        path = path or self._save_as("Save the handover", f"handover-{mrn}.pdf", "PDF (*.pdf)")
        if path:
            from itp_monitor.gui.reports.render import write_handover_pdf

            def write() -> str:
                write_handover_pdf(path, self.services.reports.handover(mrn))
                return f"Wrote the delivery handover of {mrn} to {path}"

            self._write(path, write)

    def save_ward(self, path: Path | None = None) -> None:
        path = path or self._save_as("Save the ward summary", "ward-summary.pdf", "PDF (*.pdf)")
        if path:
            from itp_monitor.gui.reports.render import write_ward_pdf

            def write() -> str:
                write_ward_pdf(path, self.services.reports.ward())
                return f"Wrote the ward summary to {path}"

            self._write(path, write)

    def export_csv(self, path: Path | None = None) -> None:
        path = path or self._save_as(
            "Export counts and injections", "counts-and-injections.csv", "CSV (*.csv)"
        )
        if path:

            def write() -> str:
                patients = self.services.exports.write_records_csv(path)
                return f"Wrote the counts and injections of {patients} patients to {path}"

            self._write(path, write)

    def export_patient_csv(self, path: Path | None = None) -> None:
        mrn = self._mrn()
        if mrn is None:
            return
        path = path or self._save_as(
            "Export her counts and injections", f"{mrn}-counts-and-injections.csv", "CSV (*.csv)"
        )
        if path:

            def write() -> str:
                self.services.exports.write_records_csv(path, [mrn])
                return f"Wrote the counts and injections of {mrn} to {path}"

            self._write(path, write)

    def export_series(self, path: Path | None = None) -> None:
        path = path or self._save_as(
            "Export the de-identified case series",
            "case-series.csv",
            "CSV (*.csv);;PDF, formatted (*.pdf)",
        )
        if not path:
            return

        from itp_monitor.gui.reports.render import write_series_pdf

        def write() -> str:
            if path.suffix.lower() == ".pdf":
                series = self.services.exports.case_series()
                write_series_pdf(path, series)
            else:
                series = self.services.exports.write_series_csv(path)
            return (
                f"Wrote the de-identified case series ({series.summary.women} women, "
                f"{series.summary.courses} courses) to {path}"
            )

        self._write(path, write)

    def export_fhir(self, path: Path | None = None) -> None:
        mrn = self._mrn()
        if mrn is None:
            return
        path = path or self._save_as("Export as FHIR", f"{mrn}-fhir.json", "FHIR JSON (*.json)")
        if path:

            def write() -> str:
                entries = self.services.exports.write_fhir(path, mrn)
                return f"Wrote a FHIR R4 Bundle of {entries} resources to {path}"

            self._write(path, write)
