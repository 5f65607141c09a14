"""The list of patients on the ward, or an offer of the demonstration ward when it is empty."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.gui.models.patients import SORT_ROLE, PatientTableModel
from itp_monitor.services.results import PatientSummary


class EmptyWardPanel(QWidget):
    """Shown when the database holds no patients: says so and offers the demonstration ward."""

    load_demo_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        title = QLabel("<h2>No patients yet</h2>")
        text = QLabel(
            "Patients you admit will be listed here.<br>"
            "To look around first, load the demonstration ward: a dozen made-up women "
            "whose MRNs start with DEMO-."
        )
        text.setWordWrap(True)
        self.load_demo = QPushButton("Load the demonstration ward")
        self.load_demo.clicked.connect(self.load_demo_requested)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (title, text, self.load_demo):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)


class PatientListPanel(QStackedWidget):
    load_demo_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.model = PatientTableModel()
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(self.model)
        proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = EmptyWardPanel()
        self.empty.load_demo_requested.connect(self.load_demo_requested)
        self.addWidget(self.table)
        self.addWidget(self.empty)

    def show_patients(self, patients: list[PatientSummary]) -> None:
        self.model.set_patients(patients)
        self.setCurrentWidget(self.table if patients else self.empty)
