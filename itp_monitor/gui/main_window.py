"""The main window: composes the ward board and the patient workspace, and routes the hub."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
)

from itp_monitor.gui.backup_schedule import (
    BACKUP_EVERY_MS,
    BackupSchedule,
    Outcome,
    backup_problems,
    backup_summary,
)
from itp_monitor.gui.checking import Checking
from itp_monitor.gui.dialogs.backups import show_backups
from itp_monitor.gui.dialogs.conflicts import show_conflicts
from itp_monitor.gui.dialogs.restore import restore_from_backup
from itp_monitor.gui.dialogs.security import show_security
from itp_monitor.gui.dialogs.sync import synchronise
from itp_monitor.gui.dialogs.users import show_users
from itp_monitor.gui.forms.saving import OPENED_READ_ONLY
from itp_monitor.gui.hub import Hub
from itp_monitor.gui.panels.ward_board import WardBoard
from itp_monitor.gui.reports.actions import not_saved
from itp_monitor.gui.signing import Signing
from itp_monitor.services.accounts import AccountInfo
from itp_monitor.services.container import Services
from itp_monitor.services.demo import DemoAlreadyLoaded
from itp_monitor.services.errors import Failure, NotFound, StorageFailure
from itp_monitor.services.evaluation import PatientEvaluation
from itp_monitor.services.record_file import FileRefused
from itp_monitor.services.results import EVERYTHING, Changes, PatientInfo, PatientRecords

if TYPE_CHECKING:  # built on first use, so that start-up does not load them
    from itp_monitor.gui.dialogs.help import UserGuide
    from itp_monitor.gui.panels.patient_workspace import PatientWorkspace

TITLE = "ITP Monitor"
FEW = 3  # more women changed at once are read with the whole board (one read, not one each)
POLL_MS = 1000  # another copy's change shows within two seconds
READ_ONLY_NOTE = "Opened read-only: nothing can be saved"
FULL_NOTE = "The disk is full: nothing can be saved (free some space, then open the app again)"
Slot = Callable[[], object]
Shortcut = str | QKeySequence.StandardKey | None


class MainWindow(QMainWindow):
    def __init__(
        self,
        services: Services,
        settings: QSettings | None = None,
        poll_ms: int = POLL_MS,
        *,
        read_only_because: Failure | None = None,
        backup_every_ms: int | None = BACKUP_EVERY_MS,
        account: AccountInfo | None = None,
    ) -> None:
        """`read_only_because`: why the database was opened read-only (a read-only file or
        disk, or a full disk), when it was. `backup_every_ms`: how often a backup is taken
        while something changed, and one on closing; None for no automatic backups."""
        super().__init__()
        self.services = services
        self.settings = settings if settings is not None else QSettings()
        self.hub = Hub()
        location = services.db.location
        # None when saving works; else said on every control that would save, and here
        self.read_only_note: str | None = None
        self.where = location.describe()
        if location.read_only:
            because = read_only_because or Failure.READ_ONLY
            self.setProperty(OPENED_READ_ONLY, because.value)  # for a save tried anyway
            full = because is Failure.FULL
            self.read_only_note = FULL_NOTE if full else READ_ONLY_NOTE
            if full:
                self.where = f"{location.name()} (the disk is full: nothing can be saved)"
        self.board = WardBoard()
        self.board.open_patient.connect(self.open_patient)
        self.board.load_demo_requested.connect(self.load_demo)
        self.board.admit_requested.connect(self.admit_patient)
        self.board.archived_toggled.connect(lambda _: self.refresh_ward())
        self.workspace: PatientWorkspace | None = None  # built when a patient is first opened
        self.guide: UserGuide | None = None  # the user guide's window, built when first asked for
        self.checking = Checking(self)  # Tools → Check database, and the check at start
        self.pages = QStackedWidget()
        self.pages.addWidget(self.board)
        self.setCentralWidget(self.pages)
        from itp_monitor.gui.reports.actions import ReportActions

        self.reports = ReportActions(services, self, self.current_mrn, self.hub)
        self._build_menus()
        # the note beside it says what reading only means; the title says it too
        shown = location.name() if self.read_only_note else self.where
        self.location_label = QLabel(f"Database: {shown}")
        self.statusBar().addPermanentWidget(self.location_label)
        self._show_read_only()
        self.signing = Signing(self, account)  # who is signed in, and the lock when idle
        self.signing.apply_roles()

        self.hub.changed.connect(self._changed)

        self.watch = services.watch_changes()
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(poll_ms)
        self.poll_timer.timeout.connect(self.poll_changes)
        self.poll_timer.start()

        self.backup_problem = QLabel("")
        self.backup_problem.setObjectName("backup_problem")
        self.backup_problem.setVisible(False)
        self.statusBar().addPermanentWidget(self.backup_problem)
        self.backup_schedule = BackupSchedule(services, backup_every_ms, self)
        self.backup_schedule.finished.connect(self._backed_up)

        self.resize(1280, 800)
        self._restore()
        self.refresh_ward()
        self._show_title()
        last = self.settings.value("ward/last_patient")
        if last is not None:
            self.board.select_patient(int(last))
        # once the window is up (a start is not held back by it), before anything is saved
        QTimer.singleShot(0, self.checking.at_start)

    # --- menus and shortcuts ------------------------------------------------------------

    def _action(
        self, menu: QMenu, text: str, slot: Slot, shortcut: Shortcut = None, *, writes: bool = False
    ) -> QAction:
        """`writes`: the action saves to the database (disabled when it is read-only)."""
        action = QAction(text, self)
        if writes:
            self.writing_actions.append(action)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        # triggered(bool) would hand its `checked` to the slot's first parameter (a path,
        # a printer): every menu slot is called with no arguments.
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        from itp_monitor.gui.forms.record_forms import FORMS

        self.writing_actions: list[QAction] = []
        bar = self.menuBar()
        file = bar.addMenu("&File")
        new = QKeySequence.StandardKey.New
        self._action(file, "&New patient…", self.admit_patient, new, writes=True)
        self._action(file, "Load the &demonstration ward", self.load_demo, writes=True)
        file.addSeparator()
        r = self.reports
        self._action(file, "&Import a record file…", r.import_records, "Ctrl+I", writes=True)
        self._action(file, "&Export a record file…", r.export_records, "Ctrl+E")
        self._action(file, "Import &laboratory results…", self.import_labs, "Ctrl+L", writes=True)
        file.addSeparator()
        self._action(file, "&Synchronise…", partial(synchronise, self), "Ctrl+Shift+Y", writes=True)
        file.addSeparator()
        restore = partial(restore_from_backup, self)
        self.restore_action = self._action(file, "&Restore from backup…", restore, writes=True)
        file.addSeparator()
        self.sign_out_action = self._action(file, "Sign &out…", lambda: self.signing.sign_out())
        self._action(file, "&Quit", self.close, "Ctrl+Q")  # StandardKey.Quit is none on Windows
        view = bar.addMenu("&View")
        self._action(view, "&Ward board", self.show_board, "Ctrl+B")
        self._action(view, "&Refresh", self.refresh_all, QKeySequence.StandardKey.Refresh)
        self._action(view, "&Conflicts…", partial(show_conflicts, self))
        record = bar.addMenu("&Record")
        self.record_actions: dict[type, QAction] = {}
        for record_type, form in FORMS.items():
            action = self._action(
                record,
                f"{form.title}…",
                partial(self.add_record, record_type),
                form.shortcut,
                writes=True,
            )
            action.setEnabled(False)
            self.record_actions[record_type] = action
        reports = bar.addMenu("Re&ports")
        self._action(reports, "&Print the delivery handover…", r.print_handover, "Ctrl+P")
        self._action(reports, "Save the delivery handover as PDF…", r.save_handover)
        self._action(reports, "Print the &ward summary…", r.print_ward, "Ctrl+Shift+P")
        self._action(reports, "Save the ward summary as PDF…", r.save_ward)
        reports.addSeparator()
        self._action(reports, "Export the ward's counts and injections (CSV)…", r.export_csv)
        self._action(
            reports, "Export this woman's counts and injections (CSV)…", r.export_patient_csv
        )
        self._action(reports, "Export the de-identified &case series…", r.export_series)
        self._action(reports, "Export this woman as &FHIR…", r.export_fhir)
        tools = bar.addMenu("&Tools")
        self._action(tools, "&Check database…", self.checking.check_database)
        settings = bar.addMenu("&Settings")
        self._action(settings, "The unit's &protocol…", self.edit_protocol, "Ctrl+,", writes=True)
        self._action(settings, "&Laboratory codes…", self.edit_lab_codes, writes=True)
        self._action(settings, "&Backups…", partial(show_backups, self), writes=True)
        self._action(settings, "&Security…", partial(show_security, self), writes=True)
        self._action(settings, "&Users…", partial(show_users, self), writes=True)
        help_menu = bar.addMenu("&Help")
        self._action(
            help_menu, "&User guide", self.show_guide, QKeySequence.StandardKey.HelpContents
        )
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, "Ctrl+/")
        help_menu.addSeparator()
        self._action(help_menu, "&About ITP Monitor", self.about)

    def _show_read_only(self) -> None:
        """Every control that would save is disabled and says why; so does the status bar."""
        note = self.read_only_note
        if note is None:
            return
        for action in self.writing_actions:
            action.setEnabled(False)
            action.setToolTip(note)
            action.setStatusTip(note)
        for menu in self.menuBar().findChildren(QMenu):
            menu.setToolTipsVisible(True)
        self.read_only_label = QLabel(f"<b>{note}</b>")
        self.read_only_label.setObjectName("read_only")
        self.statusBar().addPermanentWidget(self.read_only_label)
        self.board.set_read_only(note)

    # --- the two pages ------------------------------------------------------------------

    def refresh_ward(self) -> None:
        rows = self.services.evaluation.ward(include_archived=self.board.show_archived.isChecked())
        self.board.set_ward(rows)
        self.board.set_conflicts(self.services.conflicts.counts())

    def refresh_all(self) -> None:
        self.refresh_ward()
        if (shown := self._shown()) is not None and shown.patient_id is not None:
            self._patient_changed(shown.patient_id, EVERYTHING, None)

    def current_mrn(self) -> str | None:
        """The woman open in the workspace, else the one selected on the board."""
        shown = self._shown()
        if shown is not None and shown.records is not None:
            return shown.records.patient.mrn
        patient_id = self.board.selected_patient_id()
        if patient_id is None:
            return None
        try:
            return self.services.patients.get(patient_id).mrn
        except NotFound:
            return None

    def showing_patient(self) -> bool:
        return self._shown() is not None

    def _shown(self) -> PatientWorkspace | None:
        """The workspace, when it is the page shown."""
        shown = self.workspace is not None and self.pages.currentWidget() is self.workspace
        return self.workspace if shown else None

    def _read(
        self, patient_id: int, held: PatientRecords | None = None
    ) -> tuple[PatientRecords, PatientEvaluation]:
        """Her records, read once (unless `held` already), and her evaluation from them."""
        records = held if held is not None else self.services.patients.records(patient_id)
        return records, self.services.evaluation.of_records(records)

    def open_patient(self, patient_id: int) -> None:
        try:
            records, evaluated = self._read(patient_id)
        except NotFound:
            self.statusBar().showMessage("That patient is no longer in the database", 5000)
            return
        workspace = self.workspace
        if workspace is None:
            from itp_monitor.gui.panels.patient_workspace import PatientWorkspace

            workspace = self.workspace = PatientWorkspace(self.services, self.hub)
            workspace.set_read_only(self.read_only_note)
            workspace.back_requested.connect(self.show_board)
            self.pages.addWidget(workspace)
            axis = self.settings.value("chart/axis_mode")
            if axis:
                workspace.chart.set_axis_mode(str(axis))
            workspace.chart.axis_mode_changed.connect(
                lambda mode: self.settings.setValue("chart/axis_mode", mode)
            )
        workspace.show_patient(evaluated, records)
        self.pages.setCurrentWidget(workspace)
        for action in self.record_actions.values():
            action.setEnabled(self.read_only_note is None)
        self.settings.setValue("ward/last_patient", patient_id)
        self.board.select_patient(patient_id)
        self._show_title()

    def show_board(self) -> None:
        self.pages.setCurrentWidget(self.board)
        for action in self.record_actions.values():
            action.setEnabled(False)
        self.board.table.setFocus()
        self._show_title()

    def _show_title(self) -> None:
        shown = self._shown()
        if shown is not None and shown.records is not None:
            patient = shown.records.patient
            self.setWindowTitle(f"{TITLE} — {patient.name} ({patient.mrn}) — {self.where}")
        else:
            self.setWindowTitle(f"{TITLE} — {self.where}")

    def add_record(self, record_type: type) -> None:
        if (shown := self._shown()) is not None:
            shown.add_record(record_type)

    # --- keeping every screen current ---------------------------------------------------

    def _changed(self, changes: Changes, initiator: object) -> None:
        """Every change made here or elsewhere (the hub): each woman it names judged once,
        and shown on the board and in her workspace; a new protocol shows everything again."""
        if changes.judging:
            self.refresh_all()
            return
        if initiator is None or not changes.patients.isdisjoint(self.board.conflicted()):
            self.board.set_conflicts(self.services.conflicts.counts())  # a sync, or a settlement
        patients = sorted(changes.patients)
        if len(patients) > FEW:  # a file of many women: the board in one read, not one each
            self.refresh_ward()
            shown = self._shown()
            patients = [p for p in patients if shown is not None and p == shown.patient_id]
        for patient_id in patients:
            self._patient_changed(patient_id, changes, initiator)

    def _patient_changed(self, patient_id: int, changes: Changes, initiator: object) -> None:
        """Her records read once (unless the workspace that saved them holds them already),
        judged once, and shown on the board and in her workspace."""
        shown = self._shown()
        held = shown.records_after(changes, initiator) if shown is not None else None
        try:
            records, evaluated = self._read(patient_id, held)
        except NotFound:
            self.board.update_patient(patient_id, None)
            return
        on_board = not evaluated.patient.archived or self.board.show_archived.isChecked()
        self.board.update_patient(patient_id, evaluated if on_board else None)
        if shown is not None and shown.patient_id == patient_id:
            shown.show_patient(evaluated, records)
            self._show_title()

    def poll_changes(self) -> None:
        """Shows what another copy of the app, or the command line, has written."""
        try:
            changes = self.watch.poll()
        except Exception as e:
            self.statusBar().showMessage(f"Could not check the database for changes: {e}", 5000)
            return
        self.hub.announce(changes)

    # --- file, settings and help ----------------------------------------------------------

    def admit_patient(self) -> None:
        from itp_monitor.gui.forms.dialog import EntryDialog
        from itp_monitor.gui.forms.record_forms import PATIENT_SPECS, make_patient

        dialog = EntryDialog(
            "New patient",
            PATIENT_SPECS,
            lambda v, confirmed: self.services.patients.add(make_patient(v), confirmed=confirmed),
            parent=self,
        )
        if dialog.exec() == EntryDialog.DialogCode.Accepted:
            admitted: PatientInfo = dialog.result_value
            self.hub.announce(admitted.changes, self)
            self.open_patient(admitted.id)

    def load_demo(self) -> None:
        try:
            outcome = self.services.demo.load()
        except (DemoAlreadyLoaded, FileRefused) as e:
            QMessageBox.warning(self, TITLE, f"The demonstration ward was not loaded:\n{e}")
            return
        except StorageFailure as e:
            not_saved(self, e)
            return
        self.hub.announce(outcome.changes, self)
        self.statusBar().showMessage(
            f"Loaded the demonstration ward: {len(outcome.created)} patients", 10_000
        )

    def import_labs(self, path: Path | None = None) -> None:
        from itp_monitor.gui.dialogs.lab_import import FILE_TYPES, LabImportDialog

        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, "Import laboratory results", "", FILE_TYPES)
            if not name:
                return
            path = Path(name)
        dialog = LabImportDialog(self.services.labs, self, path)
        saved = dialog.saved if dialog.exec() == LabImportDialog.DialogCode.Accepted else None
        if saved is not None:
            self.hub.announce(saved.changes, self)
            self.statusBar().showMessage(f"Saved {saved.to_save} from {saved.source}", 10_000)

    def edit_lab_codes(self) -> None:
        from itp_monitor.gui.dialogs.lab_import import edit_local_codes

        self.hub.announce(edit_local_codes(self.services.labs, self), self)

    def edit_protocol(self) -> None:
        from itp_monitor.gui.dialogs.protocol_settings import ProtocolSettingsDialog

        dialog = ProtocolSettingsDialog(self.services.protocol, self)
        dialog.exec()
        self.hub.announce(dialog.changes, self)

    def show_shortcuts(self) -> None:
        from itp_monitor.gui.dialogs.help import ShortcutsDialog

        ShortcutsDialog(self).exec()

    def show_guide(self) -> None:
        """The guide in a window of its own, to read beside the app; opened once."""
        from itp_monitor.gui.dialogs.help import UserGuide

        if self.guide is None:
            self.guide = UserGuide(self)
        self.guide.show()
        self.guide.raise_()
        self.guide.activateWindow()

    # --- when saving must stop ------------------------------------------------------------

    def refuse_writes(self, note: str) -> None:
        """From now on nothing is saved (the database failed its check): every control
        that would save says `note`. File → Restore from backup… stays: it is the way out."""
        if self.read_only_note is not None:
            return
        self.read_only_note = note
        self._show_read_only()
        if self.workspace is not None:
            self.workspace.set_read_only(note)
        for action in self.record_actions.values():
            action.setEnabled(False)
        self.restore_action.setEnabled(True)
        self.signing.apply_roles()  # the way out is an administrator's

    def allow_writes(self) -> None:
        """Saving again, after a restore put a database that passes its check in place."""
        self.read_only_note = None
        for action in self.writing_actions:
            action.setEnabled(True)
            action.setToolTip("")
            action.setStatusTip("")
        for action in self.record_actions.values():
            action.setEnabled(self.showing_patient())
        self.signing.apply_roles()
        self.statusBar().removeWidget(self.read_only_label)
        self.read_only_label.deleteLater()
        self.board.set_read_only(None)
        if self.workspace is not None:
            self.workspace.set_read_only(None)

    def about(self) -> None:
        from itp_monitor.gui.dialogs.help import about

        about(self, self.where, self.services.user)

    # --- remembered between sessions ------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.backup_schedule.before_closing(self.close):
            event.ignore()  # closed once the backup is taken (backup_schedule.py)
            self.statusBar().showMessage("Taking a backup before closing…")
            return
        self.backup_schedule.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.poll_timer.stop()
        self.watch.close()
        super().closeEvent(event)

    # --- backups ------------------------------------------------------------------------

    def pause_for_restore(self) -> None:
        """Lets go of the database while a restore may replace it (or encryption): no
        polling, no backup due, the work on other threads done, and the connections that
        remember it closed."""
        self.poll_timer.stop()
        self.checking.wait()
        self.backup_schedule.wait()
        self.backup_schedule.pause()
        self.watch.close()
        self.services.db.engine.dispose()  # no pooled connection holds the file meanwhile

    def resume_after_restore(self, restored: object | None) -> None:
        """Watches the database again; after a restore, shows it afresh from the board."""
        self.watch = self.services.watch_changes()
        self.backup_schedule.resume(self.services)
        self.poll_timer.start()
        if restored is not None:
            self.show_board()
            self.hub.announce(EVERYTHING, None)
            self.checking.after_restore()

    def _backed_up(self, outcome: Outcome) -> None:
        """What a backup came to, in the status bar; a problem stays there until a backup
        goes through, and one met on closing is said in a short box before the window goes."""
        problems = backup_problems(outcome)
        if not problems:
            self.backup_problem.setVisible(False)
        else:
            self.backup_problem.setText(f"<b>Backup:</b> {problems[0]}")
            self.backup_problem.setToolTip("\n".join(problems))
            self.backup_problem.setVisible(True)
        self.statusBar().showMessage(backup_summary(outcome), 10_000)
        if problems and self.backup_schedule.closing:
            QMessageBox.warning(
                self,
                TITLE,
                "\n".join([*problems, "Your records are saved in the database itself."]),
            )
