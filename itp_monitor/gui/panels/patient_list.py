"""The list of patients on the ward, or an offer of the demonstration ward when it is empty."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.gui.models.patients import NAME_COLUMN, SORT_ROLE, PatientTableModel
from itp_monitor.services.results import PatientSummary


class EmptyWardPanel(QWidget):
    """Shown when the database holds no patients: says so and offers the demonstration ward."""

    load_demo_requested = Signal()
    TEXT_WIDTH = 520

    def __init__(self) -> None:
        super().__init__()
        title = QLabel("<h2>No patients yet</h2>")
        self.text = QLabel(
            "Patients you admit will be listed here.<br><br>"
            "To look around first, load the demonstration ward: a dozen made-up women "
            "whose MRNs start with DEMO-."
        )
        self.text.setWordWrap(True)
        self.load_demo = QPushButton("Load the demonstration ward")
        self.load_demo.clicked.connect(self.load_demo_requested)
        # A column of fixed width centred by stretches, not by an alignment flag: an
        # aligned widget gets its size hint, too short for wrapped text, whose last
        # lines are then cut off.
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(self.text)
        column.addWidget(self.load_demo, 0, Qt.AlignmentFlag.AlignLeft)
        holder = QWidget()
        holder.setFixedWidth(self.TEXT_WIDTH)
        holder.setLayout(column)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(holder)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
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
        self.table.sortByColumn(NAME_COLUMN, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.empty = EmptyWardPanel()
        self.empty.load_demo_requested.connect(self.load_demo_requested)
        self.addWidget(self.table)
        self.addWidget(self.empty)

    def show_patients(self, patients: list[PatientSummary]) -> None:
        self.model.set_patients(patients)
        self.setCurrentWidget(self.table if patients else self.empty)
