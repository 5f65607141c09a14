"""File → Restore from backup…: the backups of this database (in `backups/` and the second
folder, or any file chosen), each read for when it was taken, its size, and how many
women and records it holds; then, once confirmed, the one chosen put back
(services/restore.py) and the window showing the restored database.

The database as it was is set aside beside itself, never deleted; the dialog names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from itp_monitor import last_resort
from itp_monitor.domain.wording import counted
from itp_monitor.gui.dialogs.backups import size_words, when_words
from itp_monitor.gui.forms.saving import ERROR_STYLE
from itp_monitor.services.backups import BackupRefused, BackupService
from itp_monitor.services.errors import StorageFailure
from itp_monitor.services.restore import BackupSummary, Restored, RestoreRefused, summary

if TYPE_CHECKING:
    from itp_monitor.gui.main_window import MainWindow

TITLE = "Restore from backup"
COLUMNS = ["Taken", "Size", "Women", "Records", "Where"]


def held_words(found: BackupSummary) -> str:
    return f"{counted(found.women or 0, 'woman', 'women')}, {counted(found.records or 0, 'record')}"


def failure_words(error: Exception) -> str:
    """Why the restore did not happen, in one line; nothing was changed."""
    if isinstance(error, RestoreRefused | BackupRefused):
        what = str(error)
    elif isinstance(error, StorageFailure):
        what = f"{error}; {error.advice}"
    elif isinstance(error, OSError):
        what = f"{error.strerror or error}: {error.filename or ''}".rstrip(": ")
    else:
        what = last_resort.report(error, "a restore").line()
    return f"Not restored: {what}. Nothing was changed."


class RestoreDialog(QDialog):
    """The backups to choose from; Restore… asks once more, then puts the chosen one back."""

    def __init__(self, backups: BackupService, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.backups = backups
        self.restored: Restored | None = None
        intro = QLabel(
            "Choose the backup to put back. Everything saved after it was taken will no "
            "longer be in the database; the database as it is now is kept beside it, "
            "never deleted, and the restore is recorded in the audit trail."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("backups")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        self.said = QLabel("")
        self.said.setObjectName("said")
        self.said.setWordWrap(True)
        self.said.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go = self.buttons.addButton("Restore…", QDialogButtonBox.ButtonRole.ActionRole)
        self.go.setObjectName("restore")
        self.go.setEnabled(False)
        self.go.clicked.connect(self.restore_chosen)
        self.other = self.buttons.addButton("Another file…", QDialogButtonBox.ButtonRole.ActionRole)
        self.other.setObjectName("another_file")
        self.other.clicked.connect(self.choose_file)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.said)
        layout.addWidget(self.buttons)
        self.setMinimumSize(self.fontMetrics().horizontalAdvance("0" * 100), 420)
        self.found: list[BackupSummary] = []
        self._list()

    def _list(self) -> None:
        try:
            found = self.backups.summaries()
        except (BackupRefused, StorageFailure, OSError) as e:
            self._say(failure_words(e), error=True)
            found = []
        if not found:
            self._say(
                f"No backups of this database in {self.backups.folder()} or the second "
                "folder. Choose a backup file with Another file…"
            )
        for backup in found:
            self._add(backup)

    def _add(self, backup: BackupSummary) -> None:
        row = self.table.rowCount()
        self.found.append(backup)
        self.table.insertRow(row)
        readable = backup.problem is None
        cells = [
            when_words(backup.taken_at),
            size_words(backup.size),
            str(backup.women) if readable else "",
            str(backup.records) if readable else "",
            str(backup.path.parent) if readable else f"{backup.path.parent}: {backup.problem}",
        ]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column in (2, 3):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(str(backup.path))
            self.table.setItem(row, column, item)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.said.setText(text)
        self.said.setStyleSheet(ERROR_STYLE if error else "")

    def chosen(self) -> BackupSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.found[rows[0].row()] if rows else None

    def _selected(self) -> None:
        chosen = self.chosen()
        self.go.setEnabled(chosen is not None and chosen.problem is None)
        if chosen is not None and chosen.problem is not None:
            self._say(f"{chosen.path} cannot be restored: {chosen.problem}.", error=True)
        else:
            self._say("")

    def choose_file(self) -> None:
        picker = QFileDialog(self, "Choose a backup file")
        picker.setObjectName("choose_backup_file")
        picker.setFileMode(QFileDialog.FileMode.ExistingFile)
        picker.setNameFilter("ITP Monitor backups (*.sqlite);;All files (*)")
        if picker.exec() != QFileDialog.DialogCode.Accepted or not picker.selectedFiles():
            return
        path = Path(picker.selectedFiles()[0])
        try:
            self._add(summary(path))
        except OSError as e:
            self._say(failure_words(e), error=True)
            return
        self.table.selectRow(self.table.rowCount() - 1)

    def confirmed(self, chosen: BackupSummary) -> bool:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            TITLE,
            f"Restore the backup taken {when_words(chosen.taken_at)} ({held_words(chosen)})?",
            parent=self,
        )
        box.setObjectName("confirm_restore")
        box.setInformativeText(
            "Everything saved after it was taken will no longer be in the database. The "
            "database as it is now is kept beside it, never deleted."
        )
        yes = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(yes)
        box.exec()
        return box.clickedButton() is yes

    def restore_chosen(self) -> None:
        chosen = self.chosen()
        if chosen is None or not self.confirmed(chosen):
            return
        self._say("Restoring…")
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.restored = self.backups.restore(chosen.path)
        except Exception as e:  # never a traceback: what and where, nothing changed
            self._say(failure_words(e), error=True)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.accept()


def restored_words(done: Restored) -> str:
    """One line for the status bar: what was restored, and where the old database is."""
    line = f"Restored the backup taken {when_words(done.backup.taken_at)}"
    if done.set_aside is not None:
        line += f"; the database as it was is kept at {done.set_aside}"
    return line


def restore_from_backup(window: MainWindow) -> None:
    """File → Restore from backup…: the window lets go of the database while the chosen
    backup is put back, then shows the restored one."""
    dialog = RestoreDialog(window.services.backups, window)
    window.pause_for_restore()
    try:
        dialog.exec()
    finally:
        window.resume_after_restore(dialog.restored)
    if dialog.restored is not None:
        window.statusBar().showMessage(restored_words(dialog.restored), 30_000)
