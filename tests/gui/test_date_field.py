"""Dates and times typed as staff type them: read back in words, Tab to the next field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from gui_driver import answering, enter, open_window, press
from helpers import NOW
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.gui.forms.fields import locale_order
from itp_monitor.gui.forms.typed_time import (
    DateOrder,
    Unreadable,
    read_date,
    read_moment,
    read_time,
)
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services

TODAY = NOW.date()  # Wed 25 November 2026

# --- the reader, without Qt ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("15mar2027", date(2027, 3, 15)),
        ("15 March 2027", date(2027, 3, 15)),
        ("15-Mar-2027", date(2027, 3, 15)),
        ("March 15, 2027", date(2027, 3, 15)),
        ("15/03/2027", date(2027, 3, 15)),
        ("15.03.2027", date(2027, 3, 15)),
        ("2027-03-15", date(2027, 3, 15)),
        ("2027/3/15", date(2027, 3, 15)),
        ("2027年3月15日", date(2027, 3, 15)),
        ("20270315", date(2027, 3, 15)),
        ("15032027", date(2027, 3, 15)),
        ("t", date(2026, 11, 25)),
        ("T", date(2026, 11, 25)),
        ("t-1", date(2026, 11, 24)),
        ("t+2", date(2026, 11, 27)),
        ("today - 30", date(2026, 10, 26)),
        ("Mon 15 March 2027", date(2027, 3, 15)),
    ],
)
def test_a_date_is_read_as_staff_write_it(typed: str, meant: date) -> None:
    assert read_date(typed, TODAY).value == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("0800", time(8, 0)),
        ("800", time(8, 0)),
        ("8:00", time(8, 0)),
        ("08:00", time(8, 0)),
        ("8.30", time(8, 30)),
        ("2359", time(23, 59)),
        ("8am", time(8, 0)),
        ("8:30 pm", time(20, 30)),
        ("12am", time(0, 0)),
    ],
)
def test_a_time_is_read_as_staff_write_it(typed: str, meant: time) -> None:
    assert read_time(typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("t 0800", datetime(2026, 11, 25, 8, 0)),
        ("t-1 8:00", datetime(2026, 11, 24, 8, 0)),
        ("15/03/2026 08:00", datetime(2026, 3, 15, 8, 0)),
        ("15mar2026 0800", datetime(2026, 3, 15, 8, 0)),
        ("2026-03-15T08:00", datetime(2026, 3, 15, 8, 0)),
        ("15/03/2026, 8:00 pm", datetime(2026, 3, 15, 20, 0)),
        ("0800", datetime(2026, 11, 25, 8, 0)),  # a time alone is today
        ("Sun 15 March 2026, 08:00", datetime(2026, 3, 15, 8, 0)),  # the reading itself
    ],
)
def test_a_date_and_time_together(typed: str, meant: datetime) -> None:
    assert read_moment(typed, NOW).value == meant


def test_an_entry_read_two_ways_follows_the_locale_and_says_so() -> None:
    day_first = read_date("03/04/2027", TODAY, DateOrder.DAY_FIRST)
    month_first = read_date("03/04/2027", TODAY, DateOrder.MONTH_FIRST)
    assert (day_first.value, month_first.value) == (date(2027, 4, 3), date(2027, 3, 4))
    assert day_first.words() == "Sat 3 April 2027 (read day first, as your locale writes dates)"
    assert month_first.words() == "Thu 4 March 2027 (read month first, as your locale writes dates)"
    # 15/03 can be read one way only: no remark
    assert read_date("3/15/2027", TODAY, DateOrder.MONTH_FIRST).words() == "Mon 15 March 2027"


def test_the_locale_decides_the_order() -> None:
    assert locale_order(QLocale("en_GB")) is DateOrder.DAY_FIRST
    assert locale_order(QLocale("en_US")) is DateOrder.MONTH_FIRST
    assert locale_order(QLocale("de_DE")) is DateOrder.DAY_FIRST
    assert locale_order(QLocale("zh_CN")) is DateOrder.DAY_FIRST  # y/m/d: year first


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("31/02/2027", "February 2027 has no day 31"),
        ("03/15/2027", "there is no month 15 (dates are read day first)"),
        ("15/03/27", "write the year in full"),
        ("15/03", "give the year as well"),
        ("15mar", "give the year as well"),
        ("2026", "give the day as well"),
        ("2026-11", "give the day as well"),
        ("202611", "give the day as well"),
        ("0001-01-01", "dates before 1900 are not accepted"),
        ("１５/03/2027", "is not a date"),
        ("Tue 15 March 2027", "15 March 2027 is a Monday"),
        ("yesterday", "is not a date"),
    ],
)
def test_a_date_that_cannot_be_read_is_refused_with_the_reason(typed: str, why: str) -> None:
    with pytest.raises(Unreadable, match=re.escape(why)):
        read_date(typed, TODAY)


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("15/03/2026", "Sun 15 March 2026: add the time as well"),  # never midnight by default
        ("t", "Wed 25 November 2026: add the time as well"),
        ("t 2460", "is not a time of day"),
        ("t 25:00", "is not a time of day"),
        ("13pm", "with am or pm the hour is 1 to 12"),
        ("t 8", "is not a time"),
        ("soon", "is not a date and time"),
    ],
)
def test_a_date_and_time_that_cannot_be_read_is_refused(typed: str, why: str) -> None:
    with pytest.raises(Unreadable, match=re.escape(why)):
        read_moment(typed, NOW)


# --- in the entry form -----------------------------------------------------------------


@pytest.fixture
def locale() -> Iterator[None]:
    before = QLocale()
    yield
    QLocale.setDefault(before)


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path, locale: None) -> MainWindow:
    QLocale.setDefault(QLocale("en_GB"))
    edd = NOW.date() + timedelta(days=20)
    patient = services.patients.add(PatientDetails("N1", "Nina Berg", edd, date(1992, 5, 5), 68.0))
    w = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    w.open_patient(patient.id)
    return w


def counts(services: Services, window: MainWindow) -> list[tuple[datetime, float]]:
    records = services.patients.records(window.workspace.patient_id)
    return [(c.record.collected_at, c.record.value) for c in records.counts]


def active(qtbot: QtBot, dialog: QDialog) -> None:
    """The dialog as the window typed into (leaving a field then tells it so)."""
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)


def type_here(qtbot: QtBot, dialog: QDialog, text: str) -> None:
    """Types where the focus is, replacing what is there, as a person who selected it."""
    widget = dialog.focusWidget()
    assert isinstance(widget, QLineEdit)
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def tab(qtbot: QtBot, dialog: QDialog) -> None:
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)


def test_time_then_tab_then_count_saves_both_where_they_were_meant(
    qtbot: QtBot, window: MainWindow, services: Services
) -> None:
    seen: dict[str, str] = {}

    def fill(dialog: QDialog) -> None:
        assert dialog.focusWidget().objectName() == "collected_at"
        type_here(qtbot, dialog, "24/11/2026 08:00")
        seen["reading"] = dialog.findChild(QLabel, "collected_at_reading").text()
        tab(qtbot, dialog)
        seen["after tab"] = dialog.focusWidget().objectName()
        type_here(qtbot, dialog, "42")
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert seen == {"reading": "Tue 24 November 2026, 08:00", "after tab": "value"}
    assert counts(services, window) == [(datetime(2026, 11, 24, 8, 0), 42.0)]


def test_t_minus_one_and_a_time(qtbot: QtBot, window: MainWindow, services: Services) -> None:
    def fill(dialog: QDialog) -> None:
        type_here(qtbot, dialog, "t-1 0730")
        tab(qtbot, dialog)
        type_here(qtbot, dialog, "18")
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert counts(services, window) == [(datetime(2026, 11, 24, 7, 30), 18.0)]


def test_a_new_record_starts_at_now(qtbot: QtBot, window: MainWindow) -> None:
    seen: list[str] = []

    def look(dialog: QDialog) -> None:
        seen.append(dialog.findChild(QLineEdit, "collected_at").text())
        seen.append(dialog.findChild(QLabel, "collected_at_reading").text())
        dialog.reject()

    with answering(look):
        press(qtbot, window, "Ctrl+1")
    assert seen == ["25 Nov 2026 12:00", "Wed 25 November 2026, 12:00"]


@pytest.mark.parametrize(
    ("name", "reading"),
    [
        ("en_GB", "Sat 3 October 2026, 08:00 (read day first, as your locale writes dates)"),
        ("en_US", "Tue 10 March 2026, 08:00 (read month first, as your locale writes dates)"),
    ],
)
def test_an_entry_that_reads_two_ways_follows_the_locale_in_words(
    qtbot: QtBot, services: Services, tmp_path: Path, locale: None, name: str, reading: str
) -> None:
    QLocale.setDefault(QLocale(name))
    edd = NOW.date() + timedelta(days=20)
    patient = services.patients.add(PatientDetails("N2", "Nora Lund", edd, None, 60.0))
    window = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    window.open_patient(patient.id)
    seen: list[str] = []

    def fill(dialog: QDialog) -> None:
        type_here(qtbot, dialog, "03/10/2026 08:00")
        seen.append(dialog.findChild(QLabel, "collected_at_reading").text())
        dialog.reject()

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert seen == [reading]


def test_unreadable_text_is_a_message_beside_the_field_and_nothing_is_saved(
    qtbot: QtBot, window: MainWindow, services: Services
) -> None:
    seen: dict[str, str] = {}

    def fill(dialog: QDialog) -> None:
        active(qtbot, dialog)
        type_here(qtbot, dialog, "31/02/2026 08:00")
        tab(qtbot, dialog)  # leaving the field says what is wrong with it
        seen["beside"] = dialog.findChild(QLabel, "collected_at_reading").text()
        type_here(qtbot, dialog, "42")
        enter(qtbot, dialog)
        seen["message"] = dialog.findChild(QLabel, "collected_at_message").text()
        seen["open"] = str(dialog.isVisible())
        dialog.reject()

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert "February 2026 has no day 31" in seen["beside"]
    assert "February 2026 has no day 31" in seen["message"]
    assert seen["open"] == "True"
    assert counts(services, window) == []


def test_a_date_without_a_time_is_not_taken_as_midnight(
    qtbot: QtBot, window: MainWindow, services: Services
) -> None:
    seen: list[str] = []

    def fill(dialog: QDialog) -> None:
        type_here(qtbot, dialog, "24/11/2026")
        tab(qtbot, dialog)
        type_here(qtbot, dialog, "42")
        enter(qtbot, dialog)
        seen.append(dialog.findChild(QLabel, "collected_at_message").text())
        dialog.reject()

    with answering(fill):
        press(qtbot, window, "Ctrl+1")
    assert seen[0].startswith("Tue 24 November 2026: add the time as well")
    assert counts(services, window) == []


def test_the_patient_form_reads_the_edd_typed(
    qtbot: QtBot, window: MainWindow, services: Services
) -> None:
    seen: list[str] = []

    def fill(dialog: QDialog) -> None:
        edd = dialog.findChild(QLineEdit, "edd")
        seen.append(edd.text())
        edd.setFocus()
        type_here(qtbot, dialog, "t+21")
        seen.append(dialog.findChild(QLabel, "edd_reading").text())
        dialog.findChild(QLineEdit, "reason").setFocus()
        type_here(qtbot, dialog, "dating scan")
        enter(qtbot, dialog)

    with answering(fill):
        window.workspace.header.edit_requested.emit()
    assert seen == ["15 Dec 2026", "Wed 16 December 2026"]
    assert services.patients.get(window.workspace.patient_id).edd == date(2026, 12, 16)


def test_a_correction_keeps_the_time_it_had(
    qtbot: QtBot, window: MainWindow, services: Services
) -> None:
    patient_id = window.workspace.patient_id
    services.records.record(patient_id, PlateletCount(datetime(2026, 11, 24, 8, 5), 18.0, "lab"))
    window.refresh_all()
    tab_ = window.workspace.record_tabs[PlateletCount]
    tab_.select_row(0)

    def fill(dialog: QDialog) -> None:
        dialog.findChild(QLineEdit, "value").setFocus()
        type_here(qtbot, dialog, "19")
        dialog.findChild(QLineEdit, "reason").setFocus()
        type_here(qtbot, dialog, "typo")
        enter(qtbot, dialog)

    with answering(fill):
        tab_.correct.click()
    assert counts(services, window) == [(datetime(2026, 11, 24, 8, 5), 19.0)]
