"""Settings → Security…: whether the database is encrypted, and encrypting it (issue 12;
services/encryption.py does the work, as `itp-monitor encrypt` does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.gui.widgets.secret import secret_field
from itp_monitor.services.encryption import (
    MIN_PASSPHRASE,
    EncryptRefused,
    KeyChoice,
    can_encrypt,
    key_from_passphrase,
    key_in_store,
)

if TYPE_CHECKING:
    from itp_monitor.gui.main_window import MainWindow

TITLE = "Security"
ENCRYPTED = (
    "<b>Encrypted.</b> The database and its backups are SQLCipher files: without the key, "
    "a copy of them reads as noise."
)
PLAIN = (
    "<b>Not encrypted.</b> Anyone who copies the database file, or a backup, can read the "
    "women's names and records. Encrypt it on a laptop that leaves the hospital."
)
CANNOT = (
    "This installation cannot encrypt: its sqlcipher3 package is missing (see the "
    "installation guide)."
)
RECOVERY = (
    "Write this recovery key down and keep it apart from this computer (the hospital's "
    "password safe). The key itself is kept in this computer's credential store; with the "
    "recovery key, the database and its backups open on another computer."
)


class SecurityDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.setObjectName("security")
        self.setWindowTitle(TITLE)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        self.state = QLabel()
        self.state.setObjectName("encryption_state")
        self.state.setWordWrap(True)
        layout.addWidget(self.state)

        self.encrypt_box = QGroupBox("Encrypt the database and its backups")
        box = QVBoxLayout(self.encrypt_box)
        self.in_store = QRadioButton(
            "Keep a random key in this computer's credential store (you are given a "
            "recovery key to write down)"
        )
        self.in_store.setObjectName("key_in_store")
        self.by_passphrase = QRadioButton("Use a passphrase, typed each time the app starts")
        self.by_passphrase.setObjectName("key_by_passphrase")
        group = QButtonGroup(self)
        group.addButton(self.in_store)
        group.addButton(self.by_passphrase)
        self.in_store.setChecked(True)
        box.addWidget(self.in_store)
        box.addWidget(self.by_passphrase)
        form = QFormLayout()
        self.passphrase = secret_field("passphrase", f"at least {MIN_PASSPHRASE} characters")
        self.again = secret_field("passphrase_again")
        form.addRow("Passphrase:", self.passphrase)
        form.addRow("Again:", self.again)
        box.addLayout(form)
        self.encrypt_button = QPushButton("Encrypt now")
        self.encrypt_button.setObjectName("encrypt")
        self.encrypt_button.setAutoDefault(False)  # Enter in a field encrypts nothing
        self.encrypt_button.clicked.connect(self.encrypt)
        box.addWidget(self.encrypt_button, alignment=Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.encrypt_box)
        for field in (self.passphrase, self.again):
            field.setEnabled(False)
            self.by_passphrase.toggled.connect(field.setEnabled)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._show_state()

    def _show_state(self) -> None:
        encrypted = self.window_.services.encryption.encrypted()
        possible = can_encrypt()
        if encrypted:
            self.state.setText(ENCRYPTED)
        else:
            self.state.setText(PLAIN if possible else f"{PLAIN}<br><br>{CANNOT}")
        self.encrypt_box.setVisible(not encrypted and possible)
        self.adjustSize()

    def _choice(self) -> KeyChoice:
        if self.in_store.isChecked():
            return key_in_store()
        if self.passphrase.text() != self.again.text():
            raise EncryptRefused("the two passphrases differ")
        return key_from_passphrase(self.passphrase.text())

    def encrypt(self) -> None:
        window = self.window_
        try:
            choice = self._choice()
        except EncryptRefused as e:
            QMessageBox.warning(self, TITLE, f"Not encrypted: {e}.")
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        window.pause_for_restore()  # no connection of the window's holds the file
        try:
            done = window.services.encryption.encrypt(choice)
        except EncryptRefused as e:
            refused: EncryptRefused | None = e
        else:
            refused = None
        finally:
            window.resume_after_restore(None)
            QGuiApplication.restoreOverrideCursor()
        if refused is not None:
            QMessageBox.warning(self, TITLE, f"Not encrypted: {refused}. Nothing was changed.")
            return
        self.passphrase.clear()
        self.again.clear()
        self._show_state()
        copies = len(done.copies)
        said = f"Encrypted {done.database}" + (
            f" and {copies} cop{'y' if copies == 1 else 'ies'} of it." if copies else "."
        )
        if done.left:
            said += "\n\nNot encrypted yet (encrypt again once they can be reached):\n" + (
                "\n".join(f"{path}: {why}" for path, why in done.left)
            )
        window.statusBar().showMessage(said.splitlines()[0], 10_000)
        show_encrypted(self, said, choice.recovery)


def show_encrypted(parent: QWidget, said: str, recovery: str | None) -> None:
    """What was encrypted, and the recovery key to write down when there is one."""
    encrypted_box(parent, said, recovery).exec()


def encrypted_box(parent: QWidget, said: str, recovery: str | None) -> QDialog:
    box = QDialog(parent)
    box.setObjectName("encrypted")
    box.setWindowTitle(TITLE)
    layout = QVBoxLayout(box)
    text = QLabel(said)
    text.setWordWrap(True)
    layout.addWidget(text)
    if recovery is not None:
        explained = QLabel(RECOVERY)
        explained.setWordWrap(True)
        layout.addWidget(explained)
        key = QLineEdit(recovery)
        key.setObjectName("recovery_key")
        key.setReadOnly(True)
        key.setMinimumWidth(key.fontMetrics().horizontalAdvance(recovery) + 24)
        layout.addWidget(key)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
    buttons.accepted.connect(box.accept)
    layout.addWidget(buttons)
    if recovery is not None:  # a stray Enter must not close the only sight of the key
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("I have written it down")
        ok.setAutoDefault(False)
        ok.setDefault(False)
    return box


def show_security(window: MainWindow) -> None:
    SecurityDialog(window).exec()
