"""At start, when the database cannot be opened: what is wrong, which file, and what to do."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

TITLE = "ITP Monitor"
CHOOSE_TEXT = "Choose another database…"
READ_ONLY_TEXT = "Open read-only"
RETRY_TEXT = "Try again"
QUIT_TEXT = "Quit"
FILE_FILTER = "ITP Monitor databases (*.sqlite *.db);;All files (*)"


class Choice(Enum):
    CHOOSE = "choose"
    READ_ONLY = "read_only"
    RETRY = "retry"
    QUIT = "quit"


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


class OpenFailedDialog(QMessageBox):
    """Says what is wrong with the database, names the file, and offers what can be done:
    another database, reading this one without writing (when it can be read), trying
    again (when another program was busy with it), or quitting."""

    def __init__(
        self,
        what: str,
        where: str,
        advice: str,
        *,
        may_read: bool,
        may_retry: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("open_failed")
        self.setWindowTitle(TITLE)
        self.setIcon(QMessageBox.Icon.Critical)
        self.setText(f"ITP Monitor cannot open its database: {what.rstrip('.')}.")
        details = [f"File: {where}"]
        if advice:
            details.append(sentence(advice))
        self.setInformativeText("\n\n".join(details))
        self.choose_button = self.addButton(CHOOSE_TEXT, QMessageBox.ButtonRole.ActionRole)
        self.read_only_button = (
            self.addButton(READ_ONLY_TEXT, QMessageBox.ButtonRole.AcceptRole) if may_read else None
        )
        self.retry_button = (
            self.addButton(RETRY_TEXT, QMessageBox.ButtonRole.AcceptRole) if may_retry else None
        )
        self.quit_button = self.addButton(QUIT_TEXT, QMessageBox.ButtonRole.RejectRole)
        self.setEscapeButton(self.quit_button)
        # Reading without writing is the safe first step when it is offered.
        self.setDefaultButton(self.read_only_button or self.retry_button or self.choose_button)

    def choice(self) -> Choice:
        clicked = self.clickedButton()
        if clicked is not None and clicked is self.choose_button:
            return Choice.CHOOSE
        if clicked is not None and clicked is self.read_only_button:
            return Choice.READ_ONLY
        if clicked is not None and clicked is self.retry_button:
            return Choice.RETRY
        return Choice.QUIT


def ask(
    what: str,
    where: str,
    advice: str,
    *,
    may_read: bool,
    may_retry: bool = False,
    parent: QWidget | None = None,
) -> Choice:
    dialog = OpenFailedDialog(
        what, where, advice, may_read=may_read, may_retry=may_retry, parent=parent
    )
    dialog.exec()
    return dialog.choice()


def choose_database(parent: QWidget | None, near: Path | None) -> str | None:
    """An existing database, or the name of a new one; None when cancelled."""
    dialog = QFileDialog(parent, "Choose a database (a new name creates one)")
    dialog.setObjectName("choose_database")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilter(FILE_FILTER)
    if near is not None and near.is_dir():
        dialog.setDirectory(str(near))
    if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return dialog.selectedFiles()[0]
