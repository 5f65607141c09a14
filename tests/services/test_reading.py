"""The one number reader and time reader behind every import (interfaces.md, "Reading
values safely"): what each reads, and what each refuses with a reason."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from itp_monitor.domain.reading import (
    NumberReader,
    Unreadable,
    check_time_format,
    formatted_time,
    hl7_time,
    iso_date,
    iso_time,
    json_float,
    json_int,
    json_number,
    json_whole,
    not_text,
    quoted,
    shown,
)

POINT = NumberReader(decimal_comma=False)
COMMA = NumberReader(decimal_comma=True)


@pytest.mark.parametrize(
    ("reader", "text", "value"),
    [
        (POINT, "42", 42.0),
        (POINT, " 38.5 ", 38.5),
        (POINT, "0", 0.0),
        (COMMA, "31,5", 31.5),
        (COMMA, "31.5", 31.5),
    ],
)
def test_plain_numbers_are_read(reader: NumberReader, text: str, value: float) -> None:
    assert reader(text) == value


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1_000", "(no underscores)"),
        ("１２", "(digits 0–9 only)"),
        ("١٢", "(digits 0–9 only)"),
        ("1e2", "(no exponent)"),
        ("-5", "(no sign)"),
        ("+5", "(no sign)"),
        ("1.2.3", ""),
        ("<10", ""),
        (".5", ""),
        ("5.", ""),
        ("", ""),
        ("nan", ""),
        ("inf", ""),
        ("4" * 400, "(400 characters)"),
    ],
)
def test_anything_but_ascii_digits_and_one_separator_is_refused(text: str, why: str) -> None:
    with pytest.raises(Unreadable, match="is not a plain number") as refused:
        POINT(text)
    assert str(refused.value).endswith(why)
    assert len(str(refused.value)) < 120  # a 400-digit number is quoted short


def test_a_comma_is_a_decimal_separator_only_where_the_format_allows_it() -> None:
    with pytest.raises(Unreadable):
        POINT("31,5")
    assert COMMA("31,5") == 31.5


@pytest.mark.parametrize(
    "text",
    [
        "150000",
        "150.000",
        "150,000",
        "150 000",
        "150\u00a0000",
        "150'000",
    ],
)
@pytest.mark.parametrize("reader", [POINT, COMMA])
def test_per_microlitre_counts_are_whole_with_thousands_separators(
    reader: NumberReader, text: str
) -> None:
    assert reader(text, per_microlitre=True) == 150_000


@pytest.mark.parametrize(
    "text",
    ["1,500,000", "1.500.000", "1 500 000"],
)
def test_more_than_one_thousands_separator_of_one_kind(text: str) -> None:
    assert POINT(text, per_microlitre=True) == 1_500_000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("150.5", "is not a whole number"),
        ("45000.5", "is not a whole number"),
        ("150.00", "is not a whole number"),
        ("1500.000", "is not a whole number"),  # not grouped by threes: could be 1500 or 1.5M
        ("1.500,000", "is not a plain number"),  # two kinds of separator
        ("15,0000", "is not a whole number"),
        ("-150,000", "is not a plain number (no sign)"),
    ],
)
def test_per_microlitre_counts_with_any_other_fraction_are_refused(text: str, message: str) -> None:
    with pytest.raises(Unreadable, match=message.replace("(", r"\(").replace(")", r"\)")):
        COMMA(text, per_microlitre=True)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-11-24T08:00", datetime(2026, 11, 24, 8)),
        ("2026-11-24 08:00:30", datetime(2026, 11, 24, 8, 0, 30)),
        ("2026-11-24T08:00:30.25", datetime(2026, 11, 24, 8, 0, 30, 250_000)),
        ("2026-11-24", datetime(2026, 11, 24)),  # a date alone means 00:00
        ("0001-01-01", datetime(1, 1, 1)),  # read; the Checker refuses it as before 1900
    ],
)
def test_iso_times(text: str, moment: datetime) -> None:
    assert iso_time(text) == moment


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026", "gives only the year; a time needs at least a day"),
        ("2026-11", "gives only the year and month; a time needs at least a day"),
        ("2026-11-24T08:00+01:00", "has a time-zone offset; give local time"),
        ("2026-11-24T08:00:00Z", "has a time-zone offset; give local time"),
        ("2026-02-30T08:00", "is not a real date and time"),
        ("0000-01-01", "is not a real date and time"),
        ("2026-11-24T08", "is not a date and time"),
        ("２０２６-11-24", "is not a date and time"),
        ("20261124", "is not a date and time"),
        ("2026-W48-2", "is not a date and time"),
        ("24/11/2026 08:00", "is not a date and time"),
    ],
)
def test_iso_times_refused(text: str, message: str) -> None:
    with pytest.raises(Unreadable, match=message):
        iso_time(text)


def test_iso_dates() -> None:
    assert iso_date("2026-12-20") == date(2026, 12, 20)
    for text in ("20/12/2026", "2026-W51-7", "20261220", "2026-12", "２０２６-12-20"):
        with pytest.raises(Unreadable, match="is not a date"):
            iso_date(text)
    with pytest.raises(Unreadable, match="is not a real date"):
        iso_date("2026-02-30")


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("20261124", datetime(2026, 11, 24)),
        ("2026112408", datetime(2026, 11, 24, 8)),
        ("202611240815", datetime(2026, 11, 24, 8, 15)),
        ("20261124081530.25", datetime(2026, 11, 24, 8, 15, 30, 250_000)),
    ],
)
def test_hl7_times(text: str, moment: datetime) -> None:
    assert hl7_time(text) == moment


def test_an_hl7_offset_becomes_local_time() -> None:
    stated = datetime(2026, 11, 24, 8, 15, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))
    assert hl7_time("202611240815-0530") == stated.astimezone().replace(tzinfo=None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026", "gives only the year; a time needs at least a day"),
        ("202611", "gives only the year and month; a time needs at least a day"),
        ("202611240815+2400", "has an offset no time zone has"),
        ("202611240815+0160", "has an offset no time zone has"),
        ("202611240815+1500", "has an offset no time zone has"),
        ("20261324", "is not a real date and time"),
        ("2026-11-24", "is not a date and time"),
        ("", "is not a date and time"),
    ],
)
def test_hl7_times_refused(text: str, message: str) -> None:
    with pytest.raises(Unreadable, match=message):
        hl7_time(text)


@pytest.mark.parametrize("text", ["00010101+1400", "00010101000000-1200", "99991231235959-1200"])
def test_an_offset_at_the_ends_of_the_calendar_is_refused_or_read_never_an_overflow(
    text: str,
) -> None:
    # Converting to local time may leave the calendar, depending on this computer's zone.
    try:
        moment = hl7_time(text)
    except Unreadable as refused:
        assert "cannot be converted to local time" in str(refused)
    else:
        assert moment.year in (1, 9999)


def test_a_time_format_needs_a_day_and_ascii_digits() -> None:
    for whole in ("%d/%m/%Y %H:%M", "%Y%j", "%d %b %y", "%c", "%x %H:%M"):
        check_time_format(whole)
    for layout in ("%Y", "%Y-%m", "%m/%Y %H:%M", "%d %Y", "%%d/%m/%Y"):
        with pytest.raises(Unreadable, match="gives no day"):
            check_time_format(layout)
    for layout in ("%d/%m %H:%M", "%j"):  # strptime would make it 1900
        with pytest.raises(Unreadable, match="gives no year"):
            check_time_format(layout)
    assert formatted_time("24/11/2026 08:00", "%d/%m/%Y %H:%M") == datetime(2026, 11, 24, 8)
    with pytest.raises(Unreadable, match=r"digits 0–9 only"):
        formatted_time("２４/11/2026 08:00", "%d/%m/%Y %H:%M")
    with pytest.raises(Unreadable, match="is not a date and time"):
        formatted_time("2026", "%Y%Y")  # a layout the time module cannot even compile


def test_json_numbers_read_by_the_file_reader() -> None:
    parsed = json.loads(
        f"[42, 38.5, 1e400, -1e400, 1{'0' * 400}, 1{'0' * 5000}.5, 12345678901234567]",
        parse_int=json_int,
        parse_float=json_float,
    )
    assert json_number(parsed[0]) == 42.0
    assert json_number(parsed[1]) == 38.5
    for out_of_reach in parsed[2:6]:
        with pytest.raises(Unreadable, match="is not a number a record can hold") as refused:
            json_number(out_of_reach)
        assert len(str(refused.value)) < 120
    with pytest.raises(Unreadable, match="is not a number a record can hold"):
        json_whole(parsed[6])  # 17 digits: more than a float holds exactly
    assert json_whole(10**15) == 10**15
    with pytest.raises(Unreadable, match=r"20400\.5 is not a whole number"):
        json_whole(20400.5)
    assert json_whole(20400.0) == 20400
    for not_a_number in (True, "18", None, [1], {"a": 1}, float("nan")):
        with pytest.raises(Unreadable, match="is not a number"):
            json_number(not_a_number)


def test_quotes_of_file_content_are_short_and_printable() -> None:
    assert quoted("x" * 1000) == repr("x" * 40 + "…")
    assert quoted("A\x00\x1b1") == repr("A\x00\x1b1") and "\x00" not in quoted("A\x00")
    assert shown([[[]]]) == "a list" and shown({"a": 1}) == "an object"
    assert shown(10**5000) == "a number too large to quote"
    assert shown(20400.5) == "20400.5" and shown("18") == "'18'"


def test_binary_content_is_told_from_text() -> None:
    assert not_text("mrn,collected,plt\nA1001,2026-11-24 08:00,42\n") is None
    assert not_text("病人,时间,血小板\n") is None
    assert not_text("a\x00b") == "it holds NUL bytes"
    assert not_text("\x01\x02\x03\x04 header\x05\x06\x07\x08") == (
        "it holds mostly unprintable characters"
    )
