"""Settings → Backups…: where backups go, this computer's second folder (a USB disk, a
network share), the last backup, Back up now, and the backups kept.

The second folder is kept in the database for this device (services/backups.py), so
that `itp-monitor backup` on this computer uses it too. A backup started here runs on
the app's backup thread (gui/backup_schedule.py): the window never freezes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.gui.backup_schedule import BACKUP_EVERY_MS, BackupSchedule, Outcome
from itp_monitor.gui.forms.saving import ERROR_STYLE
from itp_monitor.services.backups import Backup, BackupRefused, BackupService
from itp_monitor.services.errors import StorageFailure

if TYPE_CHECKING:
    from itp_monitor.gui.main_window import MainWindow

TITLE = "Backups"
WHEN = "%d %b %Y %H:%M"
NO_SECOND = "None: backups go only beside the database"


def size_words(size: int) -> str:
    """A file's size as people read it: 412 KB, 3.4 MB."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def when_words(at: datetime) -> str:
    return at.strftime(WHEN)


class BackupsDialog(QDialog):
    """What the ward's backups are and where; the second folder chosen or cleared here."""

    def __init__(
        self, backups: BackupService, schedule: BackupSchedule, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.backups = backups
        self.schedule = schedule
        minutes = BACKUP_EVERY_MS // 60_000
        intro = QLabel(
            f"A backup is taken when the app closes and every {minutes} minutes while "
            "something has changed; each is checked before it is kept. Kept: every backup "
            "of the last 48 hours, then one a day for 30 days, one a week for 6 months, "
            "one a month after. File → Restore from backup… puts one back."
        )
        intro.setWordWrap(True)
        self.folder = QLabel(str(backups.folder()))
        self.folder.setObjectName("folder")
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.second = QLineEdit()
        self.second.setObjectName("second_folder")
        self.second.setReadOnly(True)
        self.second.setPlaceholderText(NO_SECOND)
        self.choose = QPushButton("Choose…")
        self.choose.setObjectName("choose_folder")
        self.choose.clicked.connect(self.choose_folder)
        self.clear = QPushButton("Clear")
        self.clear.setObjectName("clear_folder")
        self.clear.clicked.connect(self.clear_folder)
        second_row = QHBoxLayout()
        second_row.addWidget(self.second, 1)
        second_row.addWidget(self.choose)
        second_row.addWidget(self.clear)
        self.last = QLabel("")
        self.last.setObjectName("last_backup")
        self.now = QPushButton("Back up now")
        self.now.setObjectName("back_up_now")
        self.now.clicked.connect(self.back_up_now)
        self.said = QLabel("")
        self.said.setObjectName("said")
        self.said.setWordWrap(True)
        self.said.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        now_row = QHBoxLayout()
        now_row.addWidget(self.now)
        now_row.addWidget(self.said, 1)
        form = QFormLayout()
        form.addRow("Backups go to:", self.folder)
        form.addRow("Second folder:", second_row)
        form.addRow("", QLabel("A USB disk or a network share, on this computer only."))
        form.addRow("Last backup:", self.last)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("backups")
        self.table.setHorizontalHeaderLabels(["Taken", "Size", "Folder"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(now_row)
        layout.addWidget(QLabel("Backups kept, newest first:"))
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.setMinimumSize(self.fontMetrics().horizontalAdvance("0" * 95), 480)
        if schedule.why_not is not None:
            self.now.setEnabled(False)
            self.now.setToolTip(schedule.why_not)
        schedule.finished.connect(self._finished)
        self.refresh()

    def refresh(self) -> None:
        """The second folder, the last backup and the list, read afresh."""
        try:
            second = self.backups.second_folder()
            found = list(reversed(self.backups.all_backups()))
        except (BackupRefused, StorageFailure) as e:
            self._say(str(e), error=True)
            return
        self.second.setText(str(second) if second is not None else "")
        self.clear.setEnabled(second is not None)
        self.last.setText(self._last_words(found))
        self.table.setRowCount(len(found))
        for row, backup in enumerate(found):
            cells = (when_words(backup.taken_at), size_words(backup.size), str(backup.path.parent))
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))

    @staticmethod
    def _last_words(found: list[Backup]) -> str:
        if not found:
            return "None yet"
        newest = found[0]
        return f"{when_words(newest.taken_at)}, in {newest.path.parent}"

    def _say(self, text: str, *, error: bool = False) -> None:
        self.said.setText(text)
        self.said.setStyleSheet(ERROR_STYLE if error else "")

    def choose_folder(self) -> None:
        picker = QFileDialog(self, "Choose the second backup folder")
        picker.setObjectName("choose_backup_folder")
        picker.setFileMode(QFileDialog.FileMode.Directory)
        picker.setOption(QFileDialog.Option.ShowDirsOnly, True)
        current = self.second.text()
        if current and Path(current).is_dir():
            picker.setDirectory(current)
        if picker.exec() != QFileDialog.DialogCode.Accepted or not picker.selectedFiles():
            return
        self._set(Path(picker.selectedFiles()[0]))

    def clear_folder(self) -> None:
        self._set(None)

    def _set(self, folder: Path | None) -> None:
        try:
            kept = self.backups.set_second_folder(folder)
        except ValueError as e:
            self._say(f"Not set: {e}.", error=True)
            return
        except StorageFailure as e:
            self._say(f"Not set: {e}; {e.advice}.", error=True)
            return
        self._say(
            f"Backups will also go to {kept}." if kept else "Backups go only beside the database."
        )
        self.refresh()

    def back_up_now(self) -> None:
        if self.schedule.running or self.schedule.start():
            self.now.setEnabled(False)
            self._say("Taking a backup…")

    def _finished(self, outcome: Outcome) -> None:
        from itp_monitor.gui.backup_schedule import backup_problems, backup_summary

        self.now.setEnabled(self.schedule.why_not is None)
        problems = backup_problems(outcome)
        self._say("\n".join([backup_summary(outcome) + ".", *problems]), error=bool(problems))
        self.refresh()


def show_backups(window: MainWindow) -> None:
    """Settings → Backups…"""
    BackupsDialog(window.services.backups, window.backup_schedule, window).exec()
