"""Form fields: each turns what was typed into a value, or says what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QHBoxLayout,
    QLineEdit,
    QWidget,
)

DATETIME_FORMAT = "dd MMM yyyy HH:mm"
DATE_FORMAT = "dd MMM yyyy"


class Unreadable(ValueError):
    """What was typed cannot be read as this field's kind of value."""


@dataclass
class FieldSpec:
    name: str  # the record's field, as the services' problems name it
    label: str
    kind: str  # datetime, optional_datetime, date, optional_date, number, whole, text, choice
    required: bool = True
    choices: list[tuple[str, Any]] = field(default_factory=list)  # (shown, value)
    unit: str = ""
    placeholder: str = ""


def to_qdatetime(moment: datetime) -> QDateTime:
    return QDateTime(
        QDate(moment.year, moment.month, moment.day), QTime(moment.hour, moment.minute)
    )


def from_qdatetime(q: QDateTime) -> datetime:
    d, t = q.date(), q.time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


class Field:
    """A widget for one FieldSpec, with value() and set_value()."""

    def __init__(self, spec: FieldSpec) -> None:
        self.spec = spec
        self.widget: QWidget = self._make()
        self.widget.setObjectName(spec.name)

    def _make(self) -> QWidget:
        kind = self.spec.kind
        if kind in ("datetime", "optional_datetime"):
            self.edit = QDateTimeEdit()
            self.edit.setCalendarPopup(True)
            self.edit.setDisplayFormat(DATETIME_FORMAT)
        elif kind in ("date", "optional_date"):
            self.edit = QDateEdit()
            self.edit.setCalendarPopup(True)
            self.edit.setDisplayFormat(DATE_FORMAT)
        elif kind == "choice":
            self.edit = QComboBox()
            for shown, value in self.spec.choices:
                self.edit.addItem(shown, value)
        else:
            self.edit = QLineEdit()
            self.edit.setPlaceholderText(self.spec.placeholder)
        if kind.startswith("optional_"):
            self.enabled = QCheckBox()
            self.enabled.setToolTip("Tick to give a value")
            self.enabled.toggled.connect(self.edit.setEnabled)
            self.edit.setEnabled(False)
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(self.enabled)
            row.addWidget(self.edit, 1)
            return box
        return self.edit

    def focus_widget(self) -> QWidget:
        return self.enabled if self.spec.kind.startswith("optional_") else self.edit

    def set_value(self, value: Any) -> None:
        kind = self.spec.kind
        if kind.startswith("optional_"):
            self.enabled.setChecked(value is not None)
        if value is None:
            if isinstance(self.edit, QLineEdit):
                self.edit.setText("")
            elif isinstance(self.edit, QComboBox):
                self.edit.setCurrentIndex(max(self.edit.findData(None), 0))
            return
        if kind in ("datetime", "optional_datetime"):
            assert isinstance(self.edit, QDateTimeEdit)
            self.edit.setDateTime(to_qdatetime(value))
        elif kind in ("date", "optional_date"):
            assert isinstance(self.edit, QDateTimeEdit)  # QDateEdit is a QDateTimeEdit
            self.edit.setDate(QDate(value.year, value.month, value.day))
        elif kind == "choice":
            assert isinstance(self.edit, QComboBox)
            self.edit.setCurrentIndex(self.edit.findData(value))
        else:
            assert isinstance(self.edit, QLineEdit)
            self.edit.setText(_shown(value))

    def value(self) -> Any:
        """The value typed, None if left empty; Unreadable says what is wrong."""
        kind = self.spec.kind
        if kind.startswith("optional_") and not self.enabled.isChecked():
            return None
        if kind in ("datetime", "optional_datetime"):
            assert isinstance(self.edit, QDateTimeEdit)
            return from_qdatetime(self.edit.dateTime())
        if kind in ("date", "optional_date"):
            assert isinstance(self.edit, QDateTimeEdit)
            q = self.edit.date()
            return date(q.year(), q.month(), q.day())
        if kind == "choice":
            assert isinstance(self.edit, QComboBox)
            return self.edit.currentData()
        assert isinstance(self.edit, QLineEdit)
        text = self.edit.text().strip()
        if not text:
            return None
        if kind == "number":
            return _number(text)
        if kind == "whole":
            number = _number(text)
            if not float(number).is_integer():
                raise Unreadable(f"{text} is not a whole number")
            return int(number)
        return text


def _number(text: str) -> float:
    if "," in text:
        raise Unreadable(f"{text!r}: write decimals with a point (31.5) and no thousands commas")
    try:
        return float(text)
    except ValueError:
        raise Unreadable(f"{text!r} is not a number") from None


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
