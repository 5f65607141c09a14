"""What Check database found: sound, or each problem with what to do, and a way to the
last good backup. Shown by Tools → Check database and when the check at start fails."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from itp_monitor.domain.wording import counted
from itp_monitor.services.check import Report

TITLE = "Check database"
RESTORE_TEXT = "Restore from backup…"
READ_TEXT = "Keep it open to read"
FAILED_NOTE = (
    "The database failed its check: nothing will be saved into it (Tools → Check database)"
)


def problems_text(report: Report) -> str:
    return "\n".join(f"• {p.check}: {p.detail}" for p in report.problems)


def report_box(
    parent: QWidget,
    report: Report,
    where: str,
    folder: str,
    *,
    at_start: bool = False,
    restore: Callable[[], None] | None = None,
) -> QMessageBox:
    """The box that says what the check found. With problems, the list is in its details
    and, unless only the schema is older, Restore from backup… calls `restore`."""
    if report.ok:
        box = QMessageBox(
            QMessageBox.Icon.Information,
            TITLE,
            f"The database is sound: {where}",
            QMessageBox.StandardButton.Ok,
            parent,
        )
        box.setInformativeText(
            "SQLite's own checks pass, every guard is in place, the audit trail's "
            f"{report.entries} links hold, and {counted(report.records, 'record version')} "
            "have their audit entries."
        )
        box.setObjectName("check_report")
        return box
    headline = (
        f"The database failed its check at start: {where}"
        if at_start
        else f"The check found {counted(len(report.problems), 'problem')}: {where}"
    )
    box = QMessageBox(QMessageBox.Icon.Warning, TITLE, headline, parent=parent)
    box.setObjectName("check_report")
    said = "" if report.schema_only else "Nothing will be saved into it. "
    box.setInformativeText(f"{said}What to do: {report.advice(folder, in_app=True)}.")
    box.setDetailedText(problems_text(report))
    if restore is not None and not report.schema_only:
        button = box.addButton(RESTORE_TEXT, QMessageBox.ButtonRole.AcceptRole)
        button.clicked.connect(restore)
    box.addButton(
        READ_TEXT if not report.schema_only else "Close", QMessageBox.ButtonRole.RejectRole
    )
    return box
