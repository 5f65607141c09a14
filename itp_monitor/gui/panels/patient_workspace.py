"""A patient's workspace: header, chart, flags, a tab per kind of record, and the history."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.domain.kinds import KINDS, RecordKind
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
    naming,
    new_values,
)
from itp_monitor.gui.hub import Hub
from itp_monitor.gui.models.history import HistoryTableModel
from itp_monitor.gui.panels.flag_list import FlagList
from itp_monitor.gui.panels.patient_header import PatientHeader
from itp_monitor.gui.panels.record_tab import RecordTab
from itp_monitor.gui.widgets.history_table import HistoryTable
from itp_monitor.services.container import Services
from itp_monitor.services.evaluation import PatientEvaluation
from itp_monitor.services.results import Changes, PatientInfo, PatientRecords, Stored

CHART_SHARE = 0.62  # of the height below her header: the chart first, even on a 1366×768 laptop


class PatientWorkspace(QWidget):
    back_requested = Signal()

    def __init__(self, services: Services, hub: Hub) -> None:
        super().__init__()
        self.services = services
        self.hub = hub
        self.patient_id: int | None = None
        self.records: PatientRecords | None = None
        self.evaluation: PatientEvaluation | None = None

        self.header = PatientHeader()
        self.header.back_requested.connect(self.back_requested)
        self.header.edit_requested.connect(self.edit_details)
        self.header.archive_requested.connect(self.archive_or_restore)
        self.chart = PlateletChart()
        self.flag_list = FlagList()
        self.flag_list.setMinimumWidth(300)

        self.tabs = QTabWidget()
        self.record_tabs: dict[type, RecordTab] = {}
        tabs: dict[str, list[RecordKind]] = {}  # kinds that share a tab share a page
        for kind in KINDS:
            tabs.setdefault(kind.tab, []).append(kind)
        for title, kinds in tabs.items():
            self.tabs.addTab(self._page(kinds), title)
        self.history_model = HistoryTableModel()
        self.history = HistoryTable(self.history_model)
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
        self.splitter.setCollapsible(0, False)
        self.splitter.setCollapsible(1, True)  # the tables fold away for a chart-only view
        self._split_by_hand = False
        self.splitter.splitterMoved.connect(self._split_moved)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.splitter, 1)

    def _split_moved(self, _pos: int, _index: int) -> None:
        self._split_by_hand = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The chart keeps CHART_SHARE of the height until the divider is dragged: left to
        the splitter, the tables' own size hints took three quarters of a laptop screen."""
        super().resizeEvent(event)
        if self._split_by_hand:
            return
        total = sum(self.splitter.sizes())
        if total > 0:
            chart = round(total * CHART_SHARE)
            self.splitter.setSizes([chart, total - chart])

    def set_read_only(self, note: str | None) -> None:
        """With a note, nothing here can save: every button that would is disabled, saying why."""
        for tab in self.record_tabs.values():
            tab.set_read_only(note)
        # Edit details… and Archive…/Restore… (the header's own Back stays)
        for button in self.header.findChildren(QPushButton):
            if button is self.header.archive or button.text().startswith("Edit details"):
                button.setEnabled(note is None)
                button.setToolTip(note or "")

    def _page(self, kinds: list[RecordKind]) -> QWidget:
        """A kind's tab, or one page for the kinds that share a tab."""
        if len(kinds) == 1:
            return self._record_tab(kinds[0])
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        for kind in kinds:
            tab = self._record_tab(kind)
            if kind.single:
                # one row (a delivery): its table is one row high, so the page is hardly
                # taller than the others and the chart above keeps its height
                tab.fit_rows(1)
            column.addWidget(tab, 0 if kind.single else 1)
        return page

    def _record_tab(self, kind: RecordKind) -> RecordTab:
        form = FORMS[kind.record]
        note = f"one {kind.label}; correct it rather than add another" if kind.single else ""
        tab = RecordTab(kind.record, form.title, form.shortcut, note)
        tab.add_requested.connect(self.add_record)
        tab.correct_requested.connect(self.correct_record)
        tab.void_requested.connect(self.void_record)
        self.record_tabs[kind.record] = tab
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
        for kind in KINDS:
            self.record_tabs[kind.record].set_records(r.of(kind))
        self._history_stale = True
        self._load_history_if_shown()

    def records_after(self, changes: Changes, initiator: object) -> PatientRecords | None:
        """Her records as `changes` left them, when it holds them already: a record saved
        here, applied from what the save returned (apply_saved). None: read them."""
        applied = initiator is self and not changes.details
        return self.records if applied and changes.patients == {self.patient_id} else None

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
        """Shows a form or a reason box until it is saved or cancelled (the screenshots
        tool replaces this to draw the dialog instead)."""
        return dialog.exec() == EntryDialog.DialogCode.Accepted

    def add_record(self, record_type: type) -> None:
        if self.records is None or self.patient_id is None:
            return
        form = FORMS[record_type]
        last = self.records.injections[-1].record.site if self.records.injections else None
        clock = self.services.records.clock
        values = new_values(
            record_type,
            clock(),
            weight=self.records.patient.details.weight_kg,
            protocol=self.services.protocol.in_force().values,
            user=self.services.user,
            last_site=last,
        )
        patient_id = self.patient_id

        def save(v: dict[str, Any], confirmed: bool) -> Stored[Any]:
            return self.services.records.record(patient_id, form.make(v), confirmed=confirmed)

        dialog = EntryDialog(
            f"{form.title} — {self.records.patient.name}",
            form.specs,
            save,
            values=values,
            live=LIVE_NOTES.get(record_type),
            clock=clock,
            parent=self,
        )
        if self._run(dialog):
            self.apply_saved(dialog.result_value)

    def apply_saved(self, stored: Stored[Any]) -> None:
        """A save here: apply what it returned to her records, and announce it as made here,
        so that they are not read again (records_after).

        The tables keep the selection on the record saved (a correction's new version);
        a voided record leaves nothing selected (RecordTab.set_records).
        """
        if self.records is not None and stored.patient_id == self.patient_id:
            self.records = self.records.applying(stored)
        self.hub.announce(stored.changes, self)

    def correct_record(self, record_type: type, stored: Stored[Any]) -> None:
        form = FORMS[record_type]

        def save(v: dict[str, Any], confirmed: bool) -> Stored[Any]:
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
            intro=f"Correcting the {naming(stored)}. The original is kept in the history.",
            clock=self.services.records.clock,
            parent=self,
        )
        if self._run(dialog):
            self.apply_saved(dialog.result_value)

    def void_record(self, record_type: type, stored: Stored[Any]) -> None:
        form = FORMS[record_type]
        dialog = ReasonDialog(
            f"Void {in_sentence(form.title)}",
            f"Void the {naming(stored)}?\n\nIt stays in the record, marked as entered in "
            "error, and no longer counts.",
            "Void",
            act=lambda reason: self.services.records.void(record_type, stored.id, reason),
            parent=self,
        )
        if self._run(dialog):
            self.apply_saved(dialog.result_value)

    def edit_details(self) -> None:
        if self.records is None or self.patient_id is None:
            return
        patient_id = self.patient_id

        def save(v: dict[str, Any], confirmed: bool) -> PatientInfo:
            reason = v.pop(REASON)
            return self.services.patients.correct(
                patient_id, make_patient(v), reason, confirmed=confirmed
            )

        current = vars(self.records.patient.details).copy()
        dialog = EntryDialog(
            "Correct her details",
            PATIENT_SPECS,
            save,
            values=current,
            reason_label="Reason for the correction",
            clock=self.services.patients.clock,
            parent=self,
        )
        if self._run(dialog):
            self._announce(dialog.result_value)

    def archive_or_restore(self) -> None:
        if self.records is None or self.patient_id is None:
            return
        patient_id = self.patient_id
        archived = self.records.patient.archived
        action = "Restore" if archived else "Archive"
        patients = self.services.patients
        dialog = ReasonDialog(
            f"{action} {self.records.patient.name}",
            "Return her to the ward board?"
            if archived
            else "Take her off the ward board? Her records are kept; 'Show archived' finds her.",
            action,
            act=lambda reason: (patients.restore if archived else patients.archive)(
                patient_id, reason
            ),
            parent=self,
        )
        if self._run(dialog):
            self._announce(dialog.result_value)

    def _announce(self, patient: PatientInfo) -> None:
        """Her details or archived state changed here: her records here do not show it yet."""
        self.hub.announce(patient.changes, self)
