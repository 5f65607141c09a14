"""The Reports menu: print or save the handover and the ward summary, and the exports.

Printing goes through Qt's print dialog to any printer the workstation has; the
same painting writes the PDFs of the command line (gui/reports/render.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QWidget

from itp_monitor.services.container import Services

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

# The painting modules (pyqtgraph, Qt's SVG and print support) load on first use, not at
# start-up: the main window is built before anyone prints.

TITLE = "ITP Monitor"


class ReportActions:
    """What the Reports menu does; `current_mrn` names the woman open or selected."""

    def __init__(
        self, services: Services, window: QMainWindow, current_mrn: Callable[[], str | None]
    ) -> None:
        self.services = services
        self.window = window
        self.current_mrn = current_mrn

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
        except OSError as e:
            QMessageBox.warning(self.window, TITLE, f"Could not write {path}:\n{e.strerror or e}")
            return
        self._done(told)

    def save_handover(self, path: Path | None = None) -> None:
        mrn = self._mrn()
        if mrn is None:
            return
        path = path or self._save_as("Save the handover", f"handover-{mrn}.pdf", "PDF (*.pdf)")
        if path:
            from itp_monitor.gui.reports.render import write_handover_pdf

            handover = self.services.reports.handover(mrn)

            def write() -> str:
                write_handover_pdf(path, handover)
                return f"Wrote the delivery handover of {mrn} to {path}"

            self._write(path, write)

    def save_ward(self, path: Path | None = None) -> None:
        path = path or self._save_as("Save the ward summary", "ward-summary.pdf", "PDF (*.pdf)")
        if path:
            from itp_monitor.gui.reports.render import write_ward_pdf

            ward = self.services.reports.ward()

            def write() -> str:
                write_ward_pdf(path, ward)
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
