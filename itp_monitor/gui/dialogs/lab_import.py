"""Importing laboratory results: choose a file, see every row's status, then save.

Nothing is saved until Save is pressed; the file is judged again as it is saved
(services/lab_import.py), so a count another workstation entered meanwhile is
not added twice. A CSV whose columns are not recognised can be mapped here, and
the mapping is remembered for files with the same columns.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.domain.wording import counted
from itp_monitor.gui.forms.saving import opened_read_only, storage_words
from itp_monitor.gui.models.lab_rows import HEADERS, STATUS_COLUMN, STATUS_ROLE, LabRowsModel
from itp_monitor.services.errors import StorageFailure
from itp_monitor.services.lab_files import UnreadableFile
from itp_monitor.services.lab_import import (
    IGNORED,
    LabImportService,
    LabOptions,
    LabPreview,
    LabStatus,
)
from itp_monitor.services.results import Changes, Setting

FIELD_LABELS = {
    IGNORED: "— not read —",
    "mrn": "MRN",
    "collected_at": "Collected at",
    "value": "Platelet count",
    "unit": "Unit",
    "accession": "Accession number",
}
UNITS = ["", "10^9/L", "10^3/uL", "/uL"]  # "" = the file gives a unit on every row
FILE_TYPES = "Laboratory files (*.csv *.txt *.tsv *.hl7 *.oru);;All files (*)"


# "new" and "invalid" describe and take no plural; the others are nouns
_ADJECTIVES = (LabStatus.NEW, LabStatus.INVALID)


def counted_text(counts: dict[LabStatus, int]) -> str:
    """2 new · 1 duplicate · 3 invalid: the statuses that occur (and always the new)."""
    parts = []
    for status in LabStatus:
        n = counts[status]
        if n or status is LabStatus.NEW:
            word = status.label
            parts.append(f"{n} {word}" if status in _ADJECTIVES else counted(n, word))
    return " · ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:]


class LabImportDialog(QDialog):
    def __init__(
        self, labs: LabImportService, parent: QWidget | None = None, path: Path | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import laboratory results")
        self.resize(1000, 680)
        self.labs = labs
        self.path: Path | None = None
        self.preview: LabPreview | None = None
        self.saved: LabPreview | None = None
        self.header: tuple[str, ...] = ()
        self.mapping_edited = False

        self.file_label = QLabel("No file chosen.")
        self.file_label.setWordWrap(True)
        choose = QPushButton("Choose a file…")
        choose.clicked.connect(self.choose_file)
        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(choose)

        self.unit = QComboBox()
        self.unit.setObjectName("unit")
        for unit in UNITS:
            self.unit.addItem(unit or "as each row says", unit)
        self.unit.setToolTip("The unit of rows that give none; a row's own unit always wins")
        self.time_format = QLineEdit()
        self.time_format.setObjectName("time_format")
        self.time_format.setPlaceholderText("ISO (2026-11-24 08:00); or e.g. %d/%m/%Y %H:%M")
        self.read_again = QPushButton("Read again")
        self.read_again.clicked.connect(self.read)
        options = QFormLayout()
        options.addRow("Unit of rows without one:", self.unit)
        options.addRow("Layout of the times:", self.time_format)

        self.columns_box = QGroupBox("Columns of the file")
        self.columns_grid = QGridLayout(self.columns_box)
        self.column_choices: list[QComboBox] = []
        self.remember = QCheckBox("Remember these columns for files with the same header")
        self.columns_box.setVisible(False)

        self.status = QLabel()
        self.status.setObjectName("lab_status")
        self.status.setWordWrap(True)
        self.model = LabRowsModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterRole(STATUS_ROLE)
        self.proxy.setFilterKeyColumn(STATUS_COLUMN)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.only_problems = QCheckBox("Only the rows that will not be added")
        self.only_problems.toggled.connect(self._filter)
        self.summary = QLabel()
        self.summary.setObjectName("lab_summary")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = QPushButton("Save")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        row = QHBoxLayout()
        row.addLayout(options, 1)
        row.addWidget(self.read_again, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(row)
        layout.addWidget(self.columns_box)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.only_problems)
        layout.addLayout(bottom)
        layout.addWidget(self.buttons)
        if path is not None:
            self.open_file(path)

    # --- reading ------------------------------------------------------------------------

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Laboratory file", "", FILE_TYPES)
        if name:
            self.open_file(Path(name))

    def open_file(self, path: Path) -> None:
        self.path = path
        self.saved = None
        self.mapping_edited = False
        self.file_label.setText(f"<b>{path.name}</b> <span style='color:#555'>{path}</span>")
        try:
            header = self.labs.columns(path)
        except UnreadableFile as e:
            header = None
            self._show_problem(str(e))
        self.header = header or ()
        self._build_columns()
        self.read()

    def options(self) -> LabOptions:
        mapping = (
            {h: c.currentData() for h, c in zip(self.header, self.column_choices, strict=True)}
            if self.mapping_edited
            else {}
        )
        return LabOptions(
            mapping, self.unit.currentData() or None, self.time_format.text().strip() or None
        )

    def read(self) -> None:
        if self.path is None:
            return
        try:
            self.preview = self.labs.preview(self.path, self.options())
        except UnreadableFile as e:
            self.preview = None
            self.model.set_rows([])
            # the columns can be mapped only when a header was read (not from a binary file)
            hint = ". Say which column holds what, below." if self.header else "."
            self._show_problem(f"{_sentence(str(e))}{hint}")
            self.columns_box.setVisible(bool(self.header))
            self._summarise()
            return
        self._show_columns_found()
        self.model.set_rows(self.preview.rows)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # file order
        kind = "HL7 v2" if self.preview.kind == "hl7" else "CSV"
        self.status.setStyleSheet("")
        self.status.setText(
            f"{kind}: {counted(len(self.preview.rows), 'platelet result')}. Nothing is saved "
            "until you "
            "press Save."
        )
        self._summarise()

    def _show_problem(self, text: str) -> None:
        self.status.setStyleSheet("color: #B00020")
        self.status.setText(text)

    # --- the columns ----------------------------------------------------------------------

    def _build_columns(self) -> None:
        while self.columns_grid.count():
            item = self.columns_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.column_choices = []
        for i, name in enumerate(self.header):
            choice = QComboBox()
            choice.setObjectName(f"column_{i}")
            for field, label in FIELD_LABELS.items():
                choice.addItem(label, field)
            choice.currentIndexChanged.connect(self._column_changed)
            self.columns_grid.addWidget(QLabel(name or f"(column {i + 1})"), i // 3, 2 * (i % 3))
            self.columns_grid.addWidget(choice, i // 3, 2 * (i % 3) + 1)
            self.column_choices.append(choice)
        rows = (len(self.header) + 2) // 3
        self.columns_grid.addWidget(self.remember, rows, 0, 1, 6)
        self.columns_box.setVisible(bool(self.header))

    def _show_columns_found(self) -> None:
        """Shows what the preview read each column as, unless the user is choosing."""
        if self.mapping_edited or self.preview is None or self.preview.layout is None:
            self.columns_box.setVisible(bool(self.header) and self.preview is not None)
            return
        found = {index: field for field, index in self.preview.layout.columns.items()}
        for i, choice in enumerate(self.column_choices):
            choice.blockSignals(True)
            choice.setCurrentIndex(choice.findData(found.get(i, IGNORED)))
            choice.blockSignals(False)
        self.columns_box.setVisible(bool(self.header))

    def _column_changed(self) -> None:
        self.mapping_edited = True
        self.remember.setChecked(True)
        self.read()

    # --- the summary and saving -------------------------------------------------------------

    def _summarise(self) -> None:
        if self.preview is None:
            self.summary.setText("")
            self.save_button.setEnabled(False)
            self.save_button.setText("Save")
            return
        counts = self.preview.summary
        self.summary.setText(counted_text(counts))
        to_save = sum(n for status, n in counts.items() if status.saved)
        self.save_button.setEnabled(to_save > 0 and self.saved is None)
        corrections = counts[LabStatus.CORRECTION]
        self.save_button.setText(
            f"Save {counts[LabStatus.NEW]} new"
            + (f" and {counted(corrections, 'correction')}" if corrections else "")
        )

    def _filter(self, only: bool) -> None:
        kept = "|".join(s.value for s in LabStatus if not s.saved)
        self.proxy.setFilterRegularExpression(f"^({kept})$" if only else "")

    def save(self) -> None:
        if self.path is None or self.preview is None:
            return
        options = self.options()
        try:
            self.saved = self.labs.save(self.path, options)
        except UnreadableFile as e:
            self._show_problem(str(e))
            return
        except StorageFailure as e:
            self._show_problem(storage_words(e, opened_read_only(self), kept=""))
            return
        if self.mapping_edited and self.remember.isChecked() and self.header:
            try:
                self.labs.remember_mapping(self.header, options.mapping)
            except StorageFailure as e:  # the results are saved: say so, and what was not
                QMessageBox.warning(
                    self,
                    "Column layout not remembered",
                    f"The results were saved. The column layout was not remembered:\n{e}",
                )
        self.preview = self.saved
        self.model.set_rows(self.saved.rows)
        self.status.setStyleSheet("")
        self.status.setText(f"Saved {self.saved.to_save} from {self.path.name}.")
        self._summarise()
        self.accept()


def edit_local_codes(labs: LabImportService, window: QMainWindow) -> Changes:
    """Settings → Laboratory codes: the laboratory's own codes for the platelet count.
    Returns what it changed: the setting, or nothing when they were not saved."""
    text, ok = QInputDialog.getText(
        window,
        "Laboratory codes",
        "Your laboratory's own codes for the platelet count in HL7 results, besides\n"
        "LOINC 777-3 and 26515-7 (separate several with commas):",
        text=", ".join(labs.local_codes()),
    )
    if not ok:
        return Changes()
    try:
        kept = labs.set_local_codes(text.split(","))
    except ValueError as e:
        QMessageBox.warning(window, "Laboratory codes", str(e))
        return Changes()
    except StorageFailure as e:
        QMessageBox.warning(
            window, "Laboratory codes", storage_words(e, opened_read_only(window), kept="")
        )
        return Changes()
    window.statusBar().showMessage(
        f"Platelet codes in HL7 results: LOINC 777-3, 26515-7{''.join(', ' + c for c in kept)}",
        10_000,
    )
    return Changes(settings=frozenset({Setting.LAB_CODES}))
