"""The ward board: every woman on the ward, the most urgent first, with her flags as badges."""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFontMetrics, QKeySequence, QResizeEvent, QShortcut
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
    WRAPPING,
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


# Columns are sized from this many rows (those in view first), not from every woman of a
# large ward: measuring 300 rows on every change cost a third of a second.
MEASURED_ROWS = 40


class _BoardTable(QTableView):
    """The board's table: every column as wide as its text, the Flags column taking the
    room left. When that is too little for the longest badge (a laptop screen, a large
    font), the columns of words (Name, GA, Response) wrap their text, down to their
    longest word, before anything is cut or the board scrolls sideways; only a window
    narrower still scrolls."""

    def __init__(self) -> None:
        super().__init__()
        # the widths the text needs, measured once per change of the ward or the font,
        # not on every resize (measuring is slow on a large ward)
        self._natural: dict[int, int] | None = None
        self._narrowest: dict[int, int] = {}

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.refit()

    def refit(self) -> None:
        """Measures the text again (the ward or the font changed), then fits the columns."""
        self._natural = None
        self._narrowest = {}
        self.fit_columns()

    def _measure(self) -> dict[int, int]:
        header = self.horizontalHeader()
        hints = {c: self.sizeHintForColumn(c) for c in range(header.count()) if c != FLAGS_COLUMN}
        self._narrowest = {c: self._words(c, hints[c]) for c in WRAPPING if c in hints}
        return {c: max(hint, header.sectionSizeHint(c)) for c, hint in hints.items()}

    def _words(self, column: int, hint: int) -> int:
        """The width that shows each word of `column` whole, its text wrapped between them
        (`hint`: the view's width for the column on one line, its cells' margins included)."""
        model = self.model()
        metrics = QFontMetrics(self.font())
        texts = [str(model.index(r, column).data() or "") for r in range(model.rowCount())]
        if not texts:
            return hint
        longest = max(metrics.horizontalAdvance(t) for t in texts)
        word = max(metrics.horizontalAdvance(w) for t in texts for w in t.split() or [""])
        margins = max(hint - longest, 0)  # what the cell adds to its longest line
        return max(word + margins, self.horizontalHeader().sectionSizeHint(column))

    def fit_columns(self) -> None:
        if self.model() is None:
            return
        if self._natural is None:
            self._natural = self._measure()
        header = self.horizontalHeader()
        widths = dict(self._natural)
        room = self.viewport().width()
        flags = widest_badge(self.font())
        over = sum(widths.values()) + flags - room
        if over > 0:
            give = {c: max(widths[c] - self._narrowest.get(c, widths[c]), 0) for c in WRAPPING}
            can = sum(give.values())
            for c in WRAPPING:  # each gives in proportion to what it can spare
                widths[c] -= min(give[c], -(-over * give[c] // can)) if can else 0
        for c, width in widths.items():
            if header.sectionSize(c) != width:
                header.resizeSection(c, width)
        header.resizeSection(FLAGS_COLUMN, max(room - sum(widths.values()), flags))


class EmptyWardPanel(QWidget):
    """Shown when the database holds no patients: says so and offers the demonstration ward."""

    load_demo_requested = Signal()
    TEXT_WIDTH = 520
    TEXT = (
        "Admit a patient with <b>New patient</b> (Ctrl+N).<br><br>"
        "To look around first, load the demonstration ward: a dozen made-up women "
        "whose MRNs start with DEMO-."
    )

    def __init__(self) -> None:
        super().__init__()
        title = QLabel("<h2>No patients yet</h2>")
        self.text = QLabel(self.TEXT)
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
        # every width is set by fit_columns, from the text the cells hold
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setResizeContentsPrecision(MEASURED_ROWS)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        # once for all the changes of one turn of the event loop (a poll may bring several)
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.timeout.connect(self.table.refit)
        for signal in (
            self.proxy.modelReset,
            self.proxy.dataChanged,
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.layoutChanged,
        ):
            signal.connect(self._refit.start)
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)  # Enter on a row

        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search MRN or name (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.search.returnPressed.connect(self._open_first)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self.search.setFocus)
        find.setWhatsThis("Ward board → find a woman by MRN or name")  # listed in Help
        self.show_archived = QCheckBox("Show archived")
        self.show_archived.toggled.connect(self.archived_toggled)
        self.admit = admit = QPushButton("New patient…")
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

    def set_read_only(self, note: str | None) -> None:
        """With a note, nothing can be saved: admitting a woman and loading the
        demonstration are disabled and say why; None enables them again."""
        for button in (self.admit, self.empty.load_demo):
            button.setEnabled(note is None)
            button.setToolTip(note or "")
        self.empty.text.setText(f"<b>{note}.</b>" if note else EmptyWardPanel.TEXT)

    def set_ward(self, rows: list[PatientEvaluation]) -> None:
        selected = self.selected_patient_id()
        self.model.set_ward(rows)
        self._summarise()
        if selected is not None:
            self.select_patient(selected)

    def update_patient(self, patient_id: int, row: PatientEvaluation | None) -> None:
        self.model.update_patient(row, patient_id)
        self._summarise()

    def set_conflicts(self, counts: dict[int, int]) -> None:
        """Each woman's open conflicts between devices, as a badge before her flags."""
        self.model.set_conflicts(counts)
        self._summarise()

    def conflicted(self) -> frozenset[int]:
        """The women with a conflict badge."""
        return self.model.conflicted()

    def _summarise(self) -> None:
        """The count of women and of critical flags, and the table (or, when nobody is on
        the ward, the panel that offers the demonstration ward)."""
        anyone = self.model.rowCount() > 0 or self.show_archived.isChecked()
        self.pages.setCurrentWidget(self.table if anyone else self.empty)
        rows = [self.model.evaluation_of(i) for i in range(self.model.rowCount())]
        critical = sum(
            1 for r in rows if r.evaluation.worst and r.evaluation.worst.value == "critical"
        )
        text = f"{len(rows)} patients · {critical} with a critical flag"
        conflicted = self.model.conflicted()
        if in_conflict := sum(1 for r in rows if r.patient.id in conflicted):
            text += f" · {in_conflict} with a conflict between devices to settle"
        self.summary.setText(text)

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
