"""Asks why: a correction, a void or an archive needs a reason, and the action waits for one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.domain.validation import InvalidEntry
from itp_monitor.gui.forms.saving import SavingDialog


class ReasonDialog(SavingDialog):
    """Names what is about to happen, asks why, and does it through `act(reason)`.

    The action button is never where the focus starts nor the default button: the
    reason field has the focus, and Enter there acts only once a reason is typed, so
    a stray Enter (or a second press of the key that opened the dialog) does nothing.
    """

    def __init__(
        self,
        title: str,
        question: str,
        action: str,
        act: Callable[[str], Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._act = act
        self.question = QLabel(question)
        self.question.setObjectName("question")
        self.question.setWordWrap(True)
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText("reason (required)")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        # ActionRole, not AcceptRole: a button box makes its first accept button the
        # default when shown, and Enter would then act without a word typed
        self.ok = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.ActionRole)
        self.ok.setObjectName("act")
        self.ok.setAutoDefault(False)
        self.ok.setDefault(False)
        self.ok.setEnabled(False)
        self.cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel.setAutoDefault(False)
        self.reason.textChanged.connect(self._reason_changed)
        self.reason.returnPressed.connect(self._confirm)
        self.ok.clicked.connect(self._confirm)
        self.buttons.rejected.connect(self.reject)
        self.form_part = QWidget()
        column = QVBoxLayout(self.form_part)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.question)
        column.addWidget(self.reason)
        layout = QVBoxLayout(self)
        for widget in (self.form_part, self.status, self.buttons):
            layout.addWidget(widget)
        # a question long enough to name a record reads better wide than tall
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("0" * 60))
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    def action_button(self) -> QPushButton:
        return self.ok

    def inputs(self) -> QWidget:
        return self.form_part

    def text(self) -> str:
        return self.reason.text().strip()

    def _reason_changed(self, text: str) -> None:
        self.ok.setEnabled(bool(text.strip()) and not self.runner.busy)

    def _confirm(self) -> None:
        if not self.text() or self.runner.busy:
            return
        if self._act is None:
            self.accept()
            return
        act, reason = self._act, self.text()
        self.begin_save(lambda: act(reason))

    def show_refusal(self, error: InvalidEntry) -> None:
        self._unlock()
        self.set_status(f"Not done: {error}")
