"""The main window: composes the panels and hands them what the services return."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow, QMessageBox

from itp_monitor import __version__
from itp_monitor.gui.panels.patient_list import PatientListPanel
from itp_monitor.services.container import Services
from itp_monitor.services.demo import DemoAlreadyLoaded
from itp_monitor.services.record_file import FileRefused

TITLE = "ITP Monitor"


class MainWindow(QMainWindow):
    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        where = services.db.location.describe()
        self.setWindowTitle(f"{TITLE} — {where}")
        self.patients = PatientListPanel()
        self.patients.load_demo_requested.connect(self.load_demo)
        self.setCentralWidget(self.patients)
        self.statusBar().showMessage(f"Database: {where}  ·  ITP Monitor {__version__}")
        self.resize(1100, 700)
        self.refresh()

    def refresh(self) -> None:
        self.patients.show_patients(self.services.patients.summaries())

    def load_demo(self) -> None:
        try:
            outcome = self.services.demo.load()
        except (DemoAlreadyLoaded, FileRefused) as e:
            QMessageBox.warning(self, TITLE, f"The demonstration ward was not loaded:\n{e}")
            return
        self.refresh()
        self.statusBar().showMessage(
            f"Loaded the demonstration ward: {len(outcome.created)} patients", 10_000
        )
