"""The ward board: every woman on the ward, the most urgent first, with her flags as badges."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.gui.models.ward import (
    FLAGS_COLUMN,
    PATIENT_ID_ROLE,
    SORT_ROLE,
    WardTableModel,
)
from itp_monitor.gui.widgets.badges import FlagBadgeDelegate, widest_badge
from itp_monitor.services.evaluation import PatientEvaluation


class _Search(QSortFilterProxyModel):
    """Sorts by each column's own value, and keeps the rows whose MRN or name match."""

    def __init__(self) -> None:
        super().__init__()
        self.setSortRole(SORT_ROLE)
        self.text = ""

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self.text = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self.text:
            return True
        model = self.sourceModel()
        assert isinstance(model, WardTableModel)
        patient = model.evaluation_of(row).patient
        return self.text in patient.mrn.casefold() or self.text in patient.name.casefold()


class _BoardTable(QTableView):
    """The board's table: the Flags column takes the room the others leave, but never less
    than its longest badge needs (a narrow window scrolls sideways instead)."""

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_flags()

    def fit_flags(self) -> None:
        header = self.horizontalHeader()
        others = header.length() - header.sectionSize(FLAGS_COLUMN)
        room = self.viewport().width() - others
        header.resizeSection(FLAGS_COLUMN, max(room, widest_badge(self.font())))


class EmptyWardPanel(QWidget):
    """Shown when the database holds no patients: says so and offers the demonstration ward."""

    load_demo_requested = Signal()
    TEXT_WIDTH = 520

    def __init__(self) -> None:
        super().__init__()
        title = QLabel("<h2>No patients yet</h2>")
        self.text = QLabel(
            "Admit a patient with <b>New patient</b> (Ctrl+N).<br><br>"
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


class WardBoard(QWidget):
    open_patient = Signal(int)
    load_demo_requested = Signal()
    admit_requested = Signal()
    archived_toggled = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.model = WardTableModel()
        self.proxy = _Search()
        self.proxy.setSourceModel(self.model)
        self.table = _BoardTable()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(FLAGS_COLUMN, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        # rows as tall as their badges need: all of a woman's flags are always in sight
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setItemDelegateForColumn(FLAGS_COLUMN, FlagBadgeDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(FLAGS_COLUMN, QHeaderView.ResizeMode.Fixed)
        header.setResizeContentsPrecision(40)  # columns sized from the first rows, not all
        header.sectionResized.connect(
            lambda column, _old, _new: column != FLAGS_COLUMN and self.table.fit_flags()
        )
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)  # Enter on a row

        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search MRN or name (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.search.returnPressed.connect(self._open_first)
        find = QShortcut(QKeySequence.StandardKey.Find, self, activated=self.search.setFocus)
        find.setWhatsThis("Ward board → find a woman by MRN or name")  # listed in Help
        self.show_archived = QCheckBox("Show archived")
        self.show_archived.toggled.connect(self.archived_toggled)
        admit = QPushButton("New patient…")
        admit.setToolTip("Admit a patient (Ctrl+N)")
        admit.clicked.connect(self.admit_requested)
        self.summary = QLabel("")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>Ward board</b>"))
        bar.addWidget(self.search, 1)
        bar.addWidget(self.show_archived)
        bar.addWidget(admit)

        self.empty = EmptyWardPanel()
        self.empty.load_demo_requested.connect(self.load_demo_requested)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.summary)

    def set_ward(self, rows: list[PatientEvaluation]) -> None:
        selected = self.selected_patient_id()
        self.model.set_ward(rows)
        self.pages.setCurrentWidget(
            self.table if rows or self.show_archived.isChecked() else self.empty
        )
        self._summarise()
        if selected is not None:
            self.select_patient(selected)

    def update_patient(self, patient_id: int, row: PatientEvaluation | None) -> None:
        self.model.update_patient(row, patient_id)
        self._summarise()

    def _summarise(self) -> None:
        rows = [self.model.evaluation_of(i) for i in range(self.model.rowCount())]
        critical = sum(
            1 for r in rows if r.evaluation.worst and r.evaluation.worst.value == "critical"
        )
        self.summary.setText(f"{len(rows)} patients · {critical} with a critical flag")

    def visible_mrns(self) -> list[str]:
        """The MRNs in the order the board shows them."""
        return [self.proxy.index(r, 1).data() for r in range(self.proxy.rowCount())]

    def select_patient(self, patient_id: int) -> None:
        row = self.model.row_of(patient_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.table.selectRow(index.row())
            self.table.scrollTo(index)

    def selected_patient_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return int(rows[0].data(PATIENT_ID_ROLE)) if rows else None

    def _open_index(self, index: QModelIndex) -> None:
        self.open_patient.emit(int(index.data(PATIENT_ID_ROLE)))

    def _open_first(self) -> None:
        if self.proxy.rowCount() == 1:
            self._open_index(self.proxy.index(0, 0))
