"""View → Conflicts…: what two devices did apart to the same thing (services/conflicts.py),
each with what stands and who entered it, and the ways staff settle it: keep it as it is,
open her records to void or correct the wrong version, or link two registrations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.domain.vocab import ConflictKind
from itp_monitor.domain.wording import counted
from itp_monitor.gui.forms.reason import ReasonDialog
from itp_monitor.gui.hub import Hub
from itp_monitor.gui.models.history import local
from itp_monitor.services.conflicts import ConflictInfo
from itp_monitor.services.container import Services
from itp_monitor.services.recorder import PATIENT_ENTITY
from itp_monitor.services.results import Changes, PatientSummary

if TYPE_CHECKING:
    from itp_monitor.gui.main_window import MainWindow

TITLE = "Conflicts between devices"
HEADERS = ["MRN", "Name", "What happened", "Found", "What stands"]
INTRO = (
    "What two devices did apart to the same record or protocol setting, found when they "
    "synchronised. Both versions stand until staff settle it (the rules take the lower "
    "count meanwhile). Settle it by voiding or correcting the wrong version in her records, "
    "by keeping both as they are when both are right, by voiding the repeats of a lab file "
    "saved on both, or, for one woman registered on two devices, by linking the two "
    "registrations. A settled conflict closes on every device at its next sync."
)


def what_happened(conflict: ConflictInfo) -> str:
    """'Platelet count corrected on two devices', 'Registered on two devices'."""
    if conflict.entity == PATIENT_ENTITY:
        return conflict.what.label.capitalize()
    return f"{conflict.kind_label.capitalize()} {conflict.what.label}"


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item


# two registrations of one woman, or records entered on one since linked into another
LINKABLE = (ConflictKind.REGISTERED_TWICE, ConflictKind.ON_LINKED)


class ConflictsDialog(QDialog):
    """The open conflicts, and a button for each way to settle the one selected."""

    def __init__(
        self,
        services: Services,
        hub: Hub,
        read_only_note: str | None,
        parent: QWidget | None = None,
        patient_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.services, self.hub = services, hub
        self.conflicts: list[ConflictInfo] = []
        self.opened: int | None = None  # the woman whose records were asked for
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.count = QLabel("")
        self.count.setObjectName("count")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("conflicts")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for column in range(len(HEADERS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._enable)
        self.table.doubleClicked.connect(self.open_records)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        self.keep_button = self._button("Keep as it is…", "keep", self.keep_as_it_is)
        self.open_button = self._button("Open her records", "open", self.open_records)
        self.link_button = self._button("Link the two registrations…", "link", self.link_two)
        self.repeats_button = self._button("Void the repeats…", "repeats", self.void_repeats)
        self.read_only_note = read_only_note
        if read_only_note is not None:  # what settles writes; looking does not
            for button in (self.keep_button, self.link_button, self.repeats_button):
                button.setToolTip(read_only_note)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.count)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(1100, 520)
        self.refresh()
        first = next((i for i, c in enumerate(self.conflicts) if c.patient_id == patient_id), 0)
        if self.conflicts:
            self.table.selectRow(first)

    def _button(self, text: str, name: str, slot: Callable[[], None]) -> QPushButton:
        button = self.buttons.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def refresh(self) -> None:
        """The open conflicts, read again; the one selected stays selected while open."""
        selected = self.selected()
        self.conflicts = self.services.conflicts.open()
        self.table.setRowCount(len(self.conflicts))
        for row, c in enumerate(self.conflicts):
            when = f"{local(c.detected_at_utc):%d %b %Y %H:%M}"
            texts = (c.mrn or "Protocol", c.name, what_happened(c), when, "\n".join(c.versions))
            for column, text in enumerate(texts):
                self.table.setItem(row, column, _cell(text))
        n = len(self.conflicts)
        self.count.setText(
            f"<b>{counted(n, 'conflict')} to settle</b>" if n else "<b>No conflicts to settle.</b>"
        )
        at = next(
            (i for i, c in enumerate(self.conflicts) if selected and c.uid == selected.uid), None
        )
        if at is not None:
            self.table.selectRow(at)
        self._enable()

    def selected(self) -> ConflictInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.conflicts):
            return None
        return self.conflicts[rows[0].row()]

    def _enable(self) -> None:
        c = self.selected()
        writes = c is not None and self.read_only_note is None
        self.keep_button.setEnabled(writes)
        self.open_button.setEnabled(c is not None and c.patient_id is not None)
        self.link_button.setEnabled(writes and c is not None and c.what in LINKABLE)
        self.repeats_button.setEnabled(writes and c is not None and c.repeats > 0)

    def _settle(self, title: str, question: str, action: str, act: Callable[[str], Any]) -> None:
        dialog = ReasonDialog(title, question, action, act=act, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            changes: Changes = dialog.result_value
            self.hub.announce(changes, self)
        self.refresh()  # settled here, or (refused) elsewhere meanwhile

    def keep_as_it_is(self) -> None:
        c = self.selected()
        if c is None:
            return
        stands = "\n".join(f"• {v}" for v in c.versions)
        if c.what is ConflictKind.SETTING_TWICE:
            outcome = (
                "The value in force is kept on every device from the next sync. To choose "
                "the other value instead, change the setting in Settings → Protocol."
            )
        elif c.what is ConflictKind.DETAILS_TWICE:
            outcome = (
                "The details this device holds are kept: they replace the other device's "
                "at its next sync."
            )
        else:
            outcome = (
                "What stands stays as it is. Keep it only when it is right (two counts at "
                "one time that really are two); otherwise open her records and void or "
                "correct the wrong version."
            )
        self._settle(
            "Keep as it is",
            f"{c.mrn or 'Protocol'} {c.name}: {what_happened(c).lower()}.\n\n"
            f"What stands:\n{stands}\n\n{outcome}",
            "Keep",
            lambda reason: self.services.conflicts.keep(c.uid, reason),
        )

    def void_repeats(self) -> None:
        """The same records entered alike on two devices (a lab file saved on both): all
        but the first entered of each are voided at once, each void audited."""
        c = self.selected()
        if c is None or not c.repeats:
            return
        self._settle(
            "Void the repeats",
            f"{c.mrn} {c.name}: {what_happened(c).lower()}, with the same values on both."
            f"\n\n{chr(10).join(c.versions)}\n\nVoid {counted(c.repeats, 'repeat')}? The "
            "first entered of each stays; each void is in her History.",
            "Void",
            lambda reason: self.services.conflicts.void_repeats(c.uid, reason),
        )

    def open_records(self) -> None:
        c = self.selected()
        if c is not None and c.patient_id is not None:
            self.opened = c.patient_id
            self.accept()

    def registrations(self, conflict: ConflictInfo) -> list[PatientSummary]:
        """The registrations the conflict names, not yet linked into another."""
        return [
            s
            for s in self.services.patients.summaries(include_archived=True)
            if s.patient.id in conflict.patient_ids
        ]

    def link_two(self) -> None:
        c = self.selected()
        if c is None or c.what not in LINKABLE:
            return
        found = [(s.patient, s.count_total) for s in self.registrations(c)]
        names = [f"{p.mrn} {p.name}, EDD {p.edd:%d %b %Y}, {counted(n, 'count')}" for p, n in found]
        chosen, ok = QInputDialog.getItem(
            self,
            "Link the two registrations",
            "Which registration is kept? The other's records are copied into it, and the "
            "other is closed, linked into it.",
            names,
            0,
            False,
        )
        if not ok or chosen not in names:
            return
        keep = found[names.index(chosen)][0]
        self._settle(
            "Link the two registrations",
            f"Keep the registration {chosen}?\n\nThe other registration's records are copied "
            "into it and voided where they were, and the other registration is archived, "
            "linked into this one. Each step is in the audit trail.",
            "Link",
            lambda reason: self.services.conflicts.link(c.uid, keep.id, reason),
        )


def show_conflicts(window: MainWindow) -> None:
    """View → Conflicts…; the woman shown in the workspace, if any, selected first."""
    shown = window.workspace.patient_id if window.showing_patient() and window.workspace else None
    dialog = ConflictsDialog(
        window.services, window.hub, window.read_only_note, window, patient_id=shown
    )
    dialog.exec()
    if dialog.opened is not None:
        window.open_patient(dialog.opened)
