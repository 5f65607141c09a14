"""Form fields: each turns what was typed into a value, or says what is wrong with it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from itp_monitor.domain.kinds import FieldInfo, FieldKind
from itp_monitor.gui.forms.typed_time import (
    DATE_EXAMPLES,
    MOMENT_EXAMPLES,
    DateOrder,
    Reading,
    Unreadable,
    as_typed,
    read_date,
    read_moment,
)

__all__ = ["Field", "FieldSpec", "Unreadable", "locale_order"]

HINTS = {
    FieldKind.MOMENT: "e.g. t 0800 or 15/03/2027 08:00",
    FieldKind.DATE: "e.g. 15/03/2027 or 15mar2027",
}
LONGEST_READING = "Wed 30 September 2027, 08:00"  # a reading fits on one line beside its field
HINT_STYLE = "color: palette(placeholder-text);"
PROBLEM_STYLE = "color: #B03A00;"  # the dialog's error colour


@dataclass
class FieldSpec:
    name: str  # the record's field, as the services' problems name it
    label: str
    kind: FieldKind
    required: bool = True  # an optional one may be left empty
    choices: list[tuple[str, Any]] = field(default_factory=list)  # (shown, value): a combo box
    unit: str = ""
    placeholder: str = ""

    @classmethod
    def of(cls, info: FieldInfo) -> FieldSpec:
        """The entry field of a described field: its choices shown by their words, and
        first, where it may be left empty, its words for empty."""
        choices = [(shown, value) for value, shown in info.choices]
        if choices and not info.required:
            choices.insert(0, (info.empty, None))
        return cls(
            info.name, info.label, info.kind, info.required, choices, info.unit, info.placeholder
        )


def locale_order(locale: QLocale | None = None) -> DateOrder:
    """Month first where the locale writes dates so (en_US: M/d/yy); day first elsewhere,
    also where the year comes first (zh_CN: yyyy/M/d), whose staff type a year-last date
    the international way."""
    pattern = (locale or QLocale()).dateFormat(QLocale.FormatType.ShortFormat)
    day, month, year = pattern.find("d"), pattern.find("M"), pattern.find("y")
    year_first = 0 <= year < min(day, month)
    return DateOrder.MONTH_FIRST if 0 <= month < day and not year_first else DateOrder.DAY_FIRST


class Field:
    """A widget for one FieldSpec, with value() and set_value().

    Dates and times are one line each, read as staff type them (typed_time), with the
    reading shown beside the line: Tab goes to the next field, never to a section of it.
    """

    def __init__(
        self,
        spec: FieldSpec,
        clock: Callable[[], datetime] = datetime.now,
        order: DateOrder | None = None,
    ) -> None:
        self.spec = spec
        self.clock = clock
        self.order = order if order is not None else locale_order()
        self.reading: QLabel | None = None
        self.on_reading: Callable[[], None] | None = None  # the dialog, to grow to fit it
        self.widget: QWidget = self._make()
        self.edit.setObjectName(spec.name)
        if self.widget is not self.edit:
            self.widget.setObjectName(f"{spec.name}_field")

    @property
    def is_time(self) -> bool:
        return self.spec.kind in HINTS

    def _make(self) -> QWidget:
        if self.spec.choices:
            self.edit: QLineEdit | QComboBox = QComboBox()
            for shown, value in self.spec.choices:
                self.edit.addItem(shown, value)
            return self.edit
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.spec.placeholder)
        if not self.is_time:
            return self.edit
        examples = MOMENT_EXAMPLES if self.spec.kind is FieldKind.MOMENT else DATE_EXAMPLES
        self.edit.setToolTip(f"Type e.g. {examples}")
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("0" * 18))
        self.edit.setMaxLength(60)
        self.reading = QLabel()
        self.reading.setObjectName(f"{self.spec.name}_reading")
        self.reading.setWordWrap(True)  # a remark or a problem wraps; the dialog grows
        self.reading.setMinimumWidth(
            self.reading.fontMetrics().horizontalAdvance(LONGEST_READING) + 8
        )
        self.edit.textChanged.connect(lambda _text: self.show_reading(finished=False))
        self.edit.editingFinished.connect(lambda: self.show_reading(finished=True))
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        row.addWidget(self.reading, 1)
        self.show_reading(finished=False)
        return box

    def show_reading(self, *, finished: bool) -> None:
        """Beside a date or time: how it was read; while typing, what may be typed; once
        the field is left, what is wrong with it."""
        if self.reading is None:
            return
        text = self.edit.text().strip() if isinstance(self.edit, QLineEdit) else ""
        style, shown = HINT_STYLE, HINTS[self.spec.kind]
        if text:
            try:
                style, shown = "", self._read(text).words()
            except Unreadable as e:
                if finished:
                    style, shown = PROBLEM_STYLE, str(e)
        self.reading.setStyleSheet(style)
        self.reading.setText(shown)
        if self.on_reading is not None:
            self.on_reading()

    def _read(self, text: str) -> Reading:
        if self.spec.kind is FieldKind.MOMENT:
            return read_moment(text, self.clock(), self.order)
        return read_date(text, self.clock().date(), self.order)

    def focus_widget(self) -> QWidget:
        return self.edit

    def set_value(self, value: Any) -> None:
        if isinstance(self.edit, QComboBox):
            if value is not None and self.edit.findData(value) < 0:
                self.edit.addItem(str(value), value)  # a code from a file: kept, not replaced
            index = self.edit.findData(value)
            self.edit.setCurrentIndex(index if index >= 0 else max(self.edit.findData(None), 0))
            return
        if value is None:
            self.edit.setText("")
        elif self.spec.kind is FieldKind.MOMENT:
            self.edit.setText(as_typed(value))
        elif self.spec.kind is FieldKind.DATE:
            self.edit.setText(as_typed(value if type(value) is date else value.date()))
        else:
            self.edit.setText(_shown(value))

    def value(self) -> Any:
        """The value typed, None if left empty; Unreadable says what is wrong."""
        if isinstance(self.edit, QComboBox):
            return self.edit.currentData()
        text = self.edit.text().strip()
        if not text:
            return None
        kind = self.spec.kind
        if self.is_time:
            return self._read(text).value
        if kind is FieldKind.NUMBER:
            return _number(text)
        if kind is FieldKind.WHOLE:
            number = _number(text)
            if not float(number).is_integer():
                raise Unreadable(f"{text} is not a whole number")
            return int(number)
        return text


_NUMBER = re.compile(r"^[0-9]*\.?[0-9]+$", re.ASCII)


def _number(text: str) -> float:
    """Digits 0-9 with at most one decimal point, as in 'Reading values safely': no
    exponent (1e2), underscore (1_000), sign or other digits (１２), never a guess."""
    if "," in text:
        raise Unreadable(f"{text!r}: write decimals with a point (31.5) and no thousands commas")
    if not _NUMBER.match(text):
        raise Unreadable(f"{text!r} is not a number: type the digits 0–9, e.g. 42 or 31.5")
    return float(text)


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
