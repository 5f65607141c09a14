"""The entry dialog: fields with their messages beside them, Enter saves, Escape cancels."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.domain.kinds import FieldKind
from itp_monitor.domain.validation import InvalidEntry, NeedsConfirmation, Problem
from itp_monitor.gui.forms.fields import Field, FieldSpec, Unreadable
from itp_monitor.gui.forms.saving import ERROR_STYLE, WARNING_STYLE, SavingDialog
from itp_monitor.gui.forms.typed_time import DateOrder

__all__ = ["ERROR_STYLE", "REASON", "WARNING_STYLE", "EntryDialog"]

REASON = "reason"


class EntryDialog(SavingDialog):
    """Asks for the fields of one record and saves it through `save`.

    `save(values, confirmed)` calls a service; an InvalidEntry it raises is shown
    field by field, a NeedsConfirmation as a warning with a box to tick. While another
    program holds the database the dialog waits and retries (SavingDialog); any other
    failure is said above the buttons, the entry kept.
    """

    def __init__(
        self,
        title: str,
        specs: Sequence[FieldSpec],
        save: Callable[[dict[str, Any], bool], Any],
        *,
        values: dict[str, Any] | None = None,
        reason_label: str | None = None,
        live: Callable[[dict[str, Any]], dict[str, str]] | None = None,
        intro: str = "",
        clock: Callable[[], datetime] = datetime.now,
        order: DateOrder | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._save = save
        self._live = live
        if reason_label:
            specs = [
                *specs,
                FieldSpec(REASON, reason_label, FieldKind.TEXT, placeholder="required"),
            ]
        self.fields = {s.name: Field(s, clock, order) for s in specs}
        self.messages: dict[str, QLabel] = {}
        self.notes: dict[str, QLabel] = {}
        self.form_part = QWidget()
        form = QFormLayout(self.form_part)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, f in self.fields.items():
            cell = QWidget()
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(1)
            column.addWidget(f.widget)
            note = QLabel("")
            note.setObjectName(f"{name}_note")
            note.setWordWrap(True)
            note.setVisible(False)
            message = QLabel("")
            message.setObjectName(f"{name}_message")
            message.setWordWrap(True)
            message.setStyleSheet(ERROR_STYLE)
            message.setVisible(False)
            column.addWidget(note)
            column.addWidget(message)
            label = f.spec.label + (f" ({f.spec.unit})" if f.spec.unit else "")
            form.addRow(label, cell)
            self.messages[name] = message
            self.notes[name] = note
        self.intro = QLabel(intro)
        self.intro.setObjectName("intro")
        self.intro.setWordWrap(True)
        self.intro.setVisible(bool(intro))
        self.general = QLabel("")
        self.general.setObjectName("general_message")
        self.general.setWordWrap(True)
        self.general.setStyleSheet(ERROR_STYLE)
        self.general.setVisible(False)
        self.confirm = QCheckBox("I confirm: save it as it is")
        self.confirm.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)  # Enter saves from any field; focus stays in them
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAutoDefault(False)
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.form_part)
        layout.addWidget(self.general)
        layout.addWidget(self.confirm)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        for name, value in (values or {}).items():
            if name in self.fields:
                self.fields[name].set_value(value)
        for f in self.fields.values():
            f.on_reading = self.grow_to_fit
        if live is not None:
            for f in self.fields.values():
                signal = getattr(f.edit, "textChanged", None) or getattr(
                    f.edit, "currentIndexChanged", None
                )
                if signal is not None:
                    signal.connect(self._update_live)
            self._update_live()
        first = next(iter(self.fields.values()))
        first.focus_widget().setFocus(Qt.FocusReason.OtherFocusReason)

    def action_button(self) -> QPushButton:
        return self.save_button

    def inputs(self) -> QWidget:
        return self.form_part

    def field(self, name: str) -> Field:
        return self.fields[name]

    def message(self, name: str) -> str:
        label = self.messages[name]
        return label.text() if label.isVisible() or label.text() else ""

    def _update_live(self) -> None:
        assert self._live is not None
        values = {}
        for name, f in self.fields.items():
            try:
                values[name] = f.value()
            except Unreadable:
                values[name] = None
        for name, text in self._live(values).items():
            self.notes[name].setText(text)
            self.notes[name].setVisible(bool(text))

    def _clear(self) -> None:
        for label in (*self.messages.values(), self.general):
            label.setText("")
            label.setVisible(False)
        self.set_status("")

    def _show(self, problems: Sequence[Problem], style: str = ERROR_STYLE) -> None:
        general = []
        for p in problems:
            label = self.messages.get(p.field)
            if label is None:
                general.append(str(p))
                continue
            label.setStyleSheet(style)
            label.setText("\n".join(filter(None, [label.text(), p.message])))
            label.setVisible(True)
        if general:
            self.general.setText("\n".join(general))
            self.general.setStyleSheet(style)
            self.general.setVisible(True)
        self.grow_to_fit()
        for p in problems:
            if p.field in self.fields:
                self.fields[p.field].focus_widget().setFocus()
                break

    def values(self) -> dict[str, Any]:
        """The values typed; Unreadable fields are shown and raise InvalidEntry."""
        values, problems = {}, []
        for name, f in self.fields.items():
            try:
                values[name] = f.value()
            except Unreadable as e:
                problems.append(Problem(name, str(e)))
                continue
            if values[name] is None and f.spec.required:
                problems.append(Problem(name, "is missing"))
        if problems:
            raise InvalidEntry(problems)
        return values

    def try_save(self) -> None:
        if self.runner.busy:
            return
        self._clear()
        try:
            values = self.values()
        except InvalidEntry as e:
            self.show_refusal(e)
            return
        confirmed = self.confirm.isVisible() and self.confirm.isChecked()
        self.begin_save(lambda: self._save(dict(values), confirmed))

    def show_refusal(self, error: InvalidEntry) -> None:
        self._unlock()
        if isinstance(error, NeedsConfirmation):
            self._show(error.problems, WARNING_STYLE)
            self.confirm.setVisible(True)
            self.confirm.setChecked(False)
            self.confirm.setFocus()
            self.grow_to_fit()
            return
        self._show(error.problems)
