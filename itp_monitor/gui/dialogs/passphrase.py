"""At start, an encrypted database with no key here (or the wrong one): its passphrase, or
its recovery key, typed in a field that shows dots (storage/keys.py)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.gui.widgets.secret import secret_field

TITLE = "ITP Monitor"
OPEN_TEXT = "Open"
OTHER_TEXT = "Choose another database…"


class PassphraseDialog(QDialog):
    """Asks for what opens the encrypted database at `where`; `wrong` says the last try
    did not open it."""

    def __init__(self, where: str, *, wrong: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passphrase")
        self.setWindowTitle(TITLE)
        self.chose_other = False
        layout = QVBoxLayout(self)
        question = QLabel(
            f"The database {where} is encrypted.\n\nType its passphrase, or its recovery key "
            "(16 groups of four letters and digits, given when it was encrypted)."
        )
        question.setObjectName("question")
        question.setWordWrap(True)
        layout.addWidget(question)
        self.field = secret_field("passphrase_field")
        self.field.setAccessibleName("Passphrase or recovery key")
        layout.addWidget(self.field)
        self.wrong = QLabel("That does not open this database: check it and type it again.")
        self.wrong.setObjectName("wrong")
        self.wrong.setStyleSheet("color: #b00020")
        self.wrong.setVisible(wrong)
        layout.addWidget(self.wrong)
        buttons = QDialogButtonBox()
        self.open_button = buttons.addButton(OPEN_TEXT, QDialogButtonBox.ButtonRole.AcceptRole)
        self.other_button = buttons.addButton(OTHER_TEXT, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        buttons.accepted.connect(self._open)
        buttons.rejected.connect(self.reject)
        self.other_button.clicked.connect(self._other)
        layout.addWidget(buttons)
        self.open_button.setEnabled(False)
        self.field.textChanged.connect(lambda text: self.open_button.setEnabled(bool(text)))
        self.field.setFocus()

    def _open(self) -> None:
        if self.field.text():
            self.accept()

    def _other(self) -> None:
        self.chose_other = True
        self.reject()


def ask(where: str, *, wrong: bool, parent: QWidget | None = None) -> str | bool | None:
    """The passphrase typed; True when they chose another database; None to quit."""
    dialog = PassphraseDialog(where, wrong=wrong, parent=parent)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        return dialog.field.text()
    return True if dialog.chose_other else None
