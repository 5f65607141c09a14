"""A patient's workspace: header, chart, flags, a tab per kind of record, and the history."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QMessageBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.domain.records import (
    AdverseEvent,
    BleedingAssessment,
    Delivery,
    Injection,
    NeonatalCount,
    PlateletCount,
    Treatment,
)
from itp_monitor.domain.validation import InvalidEntry
from itp_monitor.gui.chart.chart import PlateletChart
from itp_monitor.gui.chart.data import chart_data
from itp_monitor.gui.forms.dialog import REASON, EntryDialog
from itp_monitor.gui.forms.reason import ReasonDialog
from itp_monitor.gui.forms.record_forms import (
    FORMS,
    LIVE_NOTES,
    PATIENT_SPECS,
    in_sentence,
    make_patient,
    new_values,
)
from itp_monitor.gui.hub import Hub
from itp_monitor.gui.models.history import HistoryTableModel
from itp_monitor.gui.panels.flag_list import FlagList
from itp_monitor.gui.panels.patient_header import PatientHeader
from itp_monitor.gui.panels.record_tab import RecordTab
from itp_monitor.services.container import Services
from itp_monitor.services.evaluation import PatientEvaluation
from itp_monitor.services.results import PatientRecords, Stored

TAB_KINDS = [
    (PlateletCount, "Counts"),
    (Injection, "Injections"),
    (BleedingAssessment, "Bleeding"),
    (Treatment, "Other treatments"),
]


class PatientWorkspace(QWidget):
    back_requested = Signal()

    def __init__(self, services: Services, hub: Hub) -> None:
        super().__init__()
        self.services = services
        self.hub = hub
        self.patient_id: int | None = None
        self.records: PatientRecords | None = None
        self.evaluation: PatientEvaluation | None = None
        self.dialog: EntryDialog | ReasonDialog | None = None  # the one open, for tests

        self.header = PatientHeader()
        self.header.back_requested.connect(self.back_requested)
        self.header.edit_requested.connect(self.edit_details)
        self.header.archive_requested.connect(self.archive_or_restore)
        self.chart = PlateletChart()
        self.flag_list = FlagList()
        self.flag_list.setMinimumWidth(300)

        self.tabs = QTabWidget()
        self.record_tabs: dict[type, RecordTab] = {}
        for record_type, label in TAB_KINDS:
            tab = self._record_tab(record_type)
            self.tabs.addTab(tab, label)
        newborn_page = QWidget()
        page = QVBoxLayout(newborn_page)
        page.addWidget(
            self._record_tab(Delivery, "one delivery; correct it rather than add another"), 1
        )
        page.addWidget(self._record_tab(NeonatalCount), 2)
        self.tabs.addTab(newborn_page, "Delivery and newborn")
        self.tabs.addTab(self._record_tab(AdverseEvent), "Adverse events")
        self.history_model = HistoryTableModel()
        self.history = QTableView()
        self.history.setModel(self.history_model)
        self.history.setWordWrap(True)
        self.history.setAlternatingRowColors(True)
        self.history.verticalHeader().setVisible(False)
        self.history.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.history.horizontalHeader().setStretchLastSection(True)
        self.tabs.addTab(self.history, "History")
        self._history_stale = True
        self.tabs.currentChanged.connect(lambda _: self._load_history_if_shown())

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.chart)
        top.addWidget(self.flag_list)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.splitter, 1)

    def _record_tab(self, record_type: type, note: str = "") -> RecordTab:
        form = FORMS[record_type]
        tab = RecordTab(record_type, form.title, form.shortcut, note)
        tab.add_requested.connect(self.add_record)
        tab.correct_requested.connect(self.correct_record)
        tab.void_requested.connect(self.void_record)
        self.record_tabs[record_type] = tab
        return tab

    # --- showing ----------------------------------------------------------------------

    def show_patient(self, evaluated: PatientEvaluation, records: PatientRecords) -> None:
        """Shows her records and her evaluation (judged once, from these same records)."""
        same = evaluated.patient.id == self.patient_id
        self.patient_id = evaluated.patient.id
        self.evaluation = evaluated
        self.records = records
        r, e = records, evaluated.evaluation
        self.header.show_patient(r.patient, e)
        protocol = evaluated.protocol or self.services.protocol.in_force(e.at).values
        self.chart.set_data(chart_data(r, e, protocol), keep_view=same)
        self.flag_list.set_flags(e.flags)
        lists: dict[type, tuple[Stored[Any], ...]] = {
            PlateletCount: r.counts,
            Injection: r.injections,
            BleedingAssessment: r.bleeding,
            Treatment: r.treatments,
            Delivery: (r.delivery,) if r.delivery else (),
            NeonatalCount: r.neonatal_counts,
            AdverseEvent: r.adverse_events,
        }
        for record_type, rows in lists.items():
            self.record_tabs[record_type].set_records(rows)
        self._history_stale = True
        self._load_history_if_shown()

    def _load_history_if_shown(self) -> None:
        if (
            self._history_stale
            and self.patient_id is not None
            and self.tabs.currentWidget() is self.history
        ):
            self.history_model.set_history(self.services.patients.history(self.patient_id))
            self._history_stale = False

    # --- entering and correcting ------------------------------------------------------

    def _run(self, dialog: EntryDialog | ReasonDialog) -> bool:
        self.dialog = dialog
        try:
            return dialog.exec() == EntryDialog.DialogCode.Accepted
        finally:
            self.dialog = None

    def add_record(self, record_type: type) -> None:
        if self.records is None or self.patient_id is None:
            return
        form = FORMS[record_type]
        last = self.records.injections[-1].record.site if self.records.injections else None
        values = new_values(
            record_type,
            self.services.records.clock(),
            weight=self.records.patient.details.weight_kg,
            protocol=self.services.protocol.in_force().values,
            user=self.services.user,
            last_site=last,
        )
        patient_id = self.patient_id

        def save(v: dict[str, Any], confirmed: bool) -> Any:
            return self.services.records.record(patient_id, form.make(v), confirmed=confirmed)

        dialog = EntryDialog(
            f"{form.title} — {self.records.patient.name}",
            form.specs,
            save,
            values=values,
            live=LIVE_NOTES.get(record_type),
            parent=self,
        )
        if self._run(dialog):
            self.apply_saved(dialog.result_value)

    def apply_saved(self, stored: Stored[Any]) -> None:
        """A save here: apply what it returned and announce her records, already current."""
        assert self.records is not None
        self.hub.records_changed.emit(self.records.applying(stored))

    def correct_record(self, record_type: type, stored: Stored[Any]) -> None:
        form = FORMS[record_type]
        assert self.patient_id is not None
        patient_id = self.patient_id

        def save(v: dict[str, Any], confirmed: bool) -> Any:
            return self.services.records.correct(
                stored.id, form.make(v), v[REASON], confirmed=confirmed
            )

        dialog = EntryDialog(
            f"Correct {in_sentence(form.title)}",
            form.specs,
            save,
            values=form.values_of(stored.record),
            reason_label="Reason for the correction",
            live=LIVE_NOTES.get(record_type),
            parent=self,
        )
        if self._run(dialog) and self.patient_id == patient_id:
            self.apply_saved(dialog.result_value)

    def void_record(self, record_type: type, stored: Stored[Any]) -> None:
        form = FORMS[record_type]
        assert self.patient_id is not None
        dialog = ReasonDialog(
            f"Void {in_sentence(form.title)}",
            f"Void this {in_sentence(form.title)}? It stays in the record, marked as entered "
            "in error, and no longer counts.",
            "Void",
            parent=self,
        )
        if not self._run(dialog):
            return
        try:
            voided = self.services.records.void(record_type, stored.id, dialog.text())
        except InvalidEntry as e:
            QMessageBox.warning(self, "Not voided", str(e))
            return
        self.apply_saved(voided)

    def edit_details(self) -> None:
        if self.records is None or self.patient_id is None:
            return
        patient_id = self.patient_id

        def save(v: dict[str, Any], _confirmed: bool) -> Any:
            reason = v.pop(REASON)
            return self.services.patients.correct(patient_id, make_patient(v), reason)

        current = vars(self.records.patient.details).copy()
        dialog = EntryDialog(
            "Correct her details",
            PATIENT_SPECS,
            save,
            values=current,
            reason_label="Reason for the correction",
            parent=self,
        )
        if self._run(dialog):
            self.hub.patient_changed.emit(patient_id)
            self.hub.ward_changed.emit()

    def archive_or_restore(self) -> None:
        if self.records is None or self.patient_id is None:
            return
        archived = self.records.patient.archived
        action = "Restore" if archived else "Archive"
        dialog = ReasonDialog(
            f"{action} {self.records.patient.name}",
            "Return her to the ward board?"
            if archived
            else "Take her off the ward board? Her records are kept; 'Show archived' finds her.",
            action,
            parent=self,
        )
        if not self._run(dialog):
            return
        if archived:
            self.services.patients.restore(self.patient_id, dialog.text())
        else:
            self.services.patients.archive(self.patient_id, dialog.text())
        self.hub.ward_changed.emit()
        self.hub.patient_changed.emit(self.patient_id)
