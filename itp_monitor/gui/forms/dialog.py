"""The entry dialog: fields with their messages beside them, Enter saves, Escape cancels."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from itp_monitor.domain.validation import InvalidEntry, NeedsConfirmation, Problem
from itp_monitor.gui.forms.fields import Field, FieldSpec, Unreadable

ERROR_STYLE = "color: #B03A00;"  # dark vermillion, readable on the window colour
WARNING_STYLE = "color: #8A5A00;"
REASON = "reason"


class EntryDialog(QDialog):
    """Asks for the fields of one record and saves it through `save`.

    `save(values, confirmed)` calls a service; an InvalidEntry it raises is shown
    field by field, a NeedsConfirmation as a warning with a box to tick.
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
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self._save = save
        self._live = live
        self.result_value: Any = None
        if reason_label:
            specs = [*specs, FieldSpec(REASON, reason_label, "text", placeholder="required")]
        self.fields = {s.name: Field(s) for s in specs}
        self.messages: dict[str, QLabel] = {}
        self.notes: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, f in self.fields.items():
            cell = QWidget()
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(1)
            column.addWidget(f.widget)
            note = QLabel("")
            note.setObjectName(f"{name}_note")
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
        self.general = QLabel("")
        self.general.setWordWrap(True)
        self.general.setStyleSheet(ERROR_STYLE)
        self.general.setVisible(False)
        self.confirm = QCheckBox("I confirm: save it as it is")
        self.confirm.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAutoDefault(False)
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addWidget(self.confirm)
        layout.addWidget(self.buttons)
        for name, value in (values or {}).items():
            if name in self.fields:
                self.fields[name].set_value(value)
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
        self._clear()
        try:
            values = self.values()
            self.result_value = self._save(
                values, self.confirm.isVisible() and self.confirm.isChecked()
            )
        except NeedsConfirmation as e:
            self._show(e.problems, WARNING_STYLE)
            self.confirm.setVisible(True)
            self.confirm.setChecked(False)
            self.confirm.setFocus()
            return
        except InvalidEntry as e:
            self._show(e.problems)
            return
        self.accept()
