"""A field for a password, passphrase or key: what is typed shows as dots."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit


def secret_field(name: str, placeholder: str = "") -> QLineEdit:
    """A text field named `name` (tests and the accessibility tree find it by it) that
    shows dots for what is typed."""
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    if placeholder:
        field.setPlaceholderText(placeholder)
    return field
