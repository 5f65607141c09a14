"""Every kind of record, as its one description says: the Record menu's item and shortcut open
a form with a field per described field under its label, a not-required choice offers its
words for empty, and the saved record shows in its tab with a column per described column."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from gui_driver import answering, enter, open_window, press, type_into
from helpers import NOW, hours_ago
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from itp_monitor.domain.kinds import KINDS, FieldKind, RecordKind
from itp_monitor.domain.records import (
    Delivery,
    NeonatalCount,
    PatientDetails,
    PlateletCount,
    Treatment,
)
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services

# What a nurse types into a required field the form leaves empty.
TYPED = {FieldKind.NUMBER: "45", FieldKind.WHOLE: "900", FieldKind.TEXT: "rash at the site"}


def open_on_nina(qtbot: QtBot, services: Services, tmp_path: Path, *before: Any) -> MainWindow:
    """The app open on Nina, 37+1, 68 kg, with these records only."""
    edd = NOW.date() + timedelta(days=20)
    patient = services.patients.add(PatientDetails("N1", "Nina Berg", edd, date(1992, 5, 5), 68.0))
    for record in before:
        services.records.record(patient.id, record, confirmed=True)
    window = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    window.open_patient(patient.id)
    return window


def form_labels(dialog: QDialog) -> list[str]:
    form = dialog.findChild(QFormLayout)
    assert form is not None
    labels = []
    for row in range(form.rowCount()):
        item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        label = item.widget() if item is not None else None
        assert isinstance(label, QLabel)
        labels.append(label.text())
    return labels


def table(window: MainWindow, record_type: type) -> tuple[list[str], list[list[str]]]:
    proxy = window.workspace.record_tabs[record_type].proxy
    headers = [proxy.headerData(c, Qt.Orientation.Horizontal) for c in range(proxy.columnCount())]
    cells = [
        [proxy.index(r, c).data() for c in range(proxy.columnCount())]
        for r in range(proxy.rowCount())
    ]
    return headers, cells


@pytest.mark.parametrize("kind", KINDS, ids=[k.entity for k in KINDS])
def test_each_kind_is_entered_and_shown_as_described(
    qtbot: QtBot, services: Services, tmp_path: Path, kind: RecordKind
) -> None:
    # a newborn's count is refused before her delivery
    before = [Delivery(hours_ago(2), "vaginal")] if kind.record is NeonatalCount else []
    window = open_on_nina(qtbot, services, tmp_path, *before)
    position = KINDS.index(kind) + 1
    [menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&Record"]
    [item] = [a for a in menu.actions() if a.text() == f"{kind.title}…"]
    assert item.shortcut().toString() == f"Ctrl+{position}"
    seen: dict[str, object] = {}
    typed: dict[str, str] = {}

    def fill(dialog: QDialog) -> None:
        seen["title"] = dialog.windowTitle()
        seen["labels"] = form_labels(dialog)
        for info in kind.fields:
            combo = dialog.findChild(QComboBox, info.name)
            if combo is None:
                edit = dialog.findChild(QLineEdit, info.name)
                assert edit is not None, f"no field {info.name}"
                if info.required and not edit.text() and info.kind in TYPED:
                    type_into(qtbot, dialog, info.name, TYPED[info.kind])
                    typed[info.name] = TYPED[info.kind]
                continue
            shown = [combo.itemText(i) for i in range(combo.count())]
            words = [w for _, w in info.choices] or ["yes", "no"]  # a flag
            if info.required:
                assert shown == words, info.name
            else:  # it may be left empty: its words for empty come first, and are chosen
                assert shown == [info.empty, *words], info.name
                assert combo.itemData(0) is None
                combo.setCurrentIndex(0)
                typed[info.name] = info.empty
        enter(qtbot, dialog)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)

    with answering(fill):
        press(qtbot, window, f"Ctrl+{position}")
    assert seen["title"] == f"{kind.title} — Nina Berg"
    assert seen["labels"] == [f.label + (f" ({f.unit})" if f.unit else "") for f in kind.fields]
    headers, cells = table(window, kind.record)
    assert headers == [c.column for c in kind.columns()]
    [row] = cells
    shown = dict(zip(headers, row, strict=True))
    assert shown[kind.field_named(kind.time_field).column] == f"{NOW:%d %b %Y %H:%M}"
    for name, text in typed.items():
        info = kind.field_named(name)
        if info.in_table:
            assert shown[info.column] == text, name


def test_a_count_source_from_a_file_is_kept_when_the_count_is_corrected(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    from_a_file = PlateletCount(hours_ago(5), 41.0, "unspecified", "A7")
    window = open_on_nina(qtbot, services, tmp_path, from_a_file)
    tab = window.workspace.record_tabs[PlateletCount]
    tab.select_row(0)
    seen: list[str] = []

    def fill(dialog: QDialog) -> None:
        combo = dialog.findChild(QComboBox, "source")
        assert combo is not None
        seen.append(combo.currentText())
        type_into(qtbot, dialog, "value", "14")
        type_into(qtbot, dialog, "reason", "lab phoned: misread")
        enter(qtbot, dialog)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)

    with answering(fill):
        tab.correct.click()
    assert seen == ["unspecified"]
    headers, cells = table(window, PlateletCount)
    assert [dict(zip(headers, row, strict=True))["Source"] for row in cells] == ["unspecified"]
    assert [row[1] for row in cells] == ["14"]


def test_a_column_sorts_by_its_values_and_an_empty_end_comes_last(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    window = open_on_nina(
        qtbot,
        services,
        tmp_path,
        PlateletCount(hours_ago(30), 120.0, "lab"),
        PlateletCount(hours_ago(20), 9.0, "lab"),
        PlateletCount(hours_ago(10), 45.0, "lab"),
        Treatment("prednisone", hours_ago(50), None, "20 mg daily"),
        Treatment("ivig", hours_ago(90), hours_ago(60), "1 g/kg"),
        Treatment("anti_d", hours_ago(70), hours_ago(65)),
    )

    def column(record_type: type, header: str, order: Qt.SortOrder) -> list[str]:
        tab = window.workspace.record_tabs[record_type]
        headers, _ = table(window, record_type)
        tab.table.sortByColumn(headers.index(header), order)
        _, cells = table(window, record_type)
        return [row[headers.index(header)] for row in cells]

    # as opened: the newest first, by the time the description names (Started, not Treatment)
    assert [row[0] for row in table(window, Treatment)[1]] == ["prednisone", "anti-D", "IVIG"]
    ascending, descending = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
    assert column(PlateletCount, "×10⁹/L", ascending) == ["9", "45", "120"]
    earlier, later = (f"{hours_ago(h):%d %b %Y %H:%M}" for h in (65, 60))
    assert column(Treatment, "Ended", ascending) == [earlier, later, "ongoing"]
    assert column(Treatment, "Ended", descending)[0] == "ongoing"
    assert column(Treatment, "Treatment", ascending) == ["anti-D", "IVIG", "prednisone"]
