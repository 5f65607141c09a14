"""Reads the dates and times staff type (15mar2027, 15/03/2027, t-1 0800); pure Python, no Qt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

EARLIEST_YEAR = 1900  # the contract's floor for any time ("Reading values safely")
MAX_DAYS_OFFSET = 36_600  # t-N beyond a century is a slip, and keeps date arithmetic in range
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DATE_EXAMPLES = "“15/03/2027”, “15mar2027”, “2027-03-15”, “t” (today), “t-1”"
MOMENT_EXAMPLES = "“t 0800”, “t-1 8:00”, “15/03/2027 08:00”, “15mar2027 0800”"


class Unreadable(ValueError):
    """What was typed cannot be read as this field's kind of value; the text says why."""


class DateOrder(StrEnum):
    """Which comes first in 03/04/2027 when the year is last: the locale decides."""

    DAY_FIRST = "day first"
    MONTH_FIRST = "month first"


@dataclass(frozen=True)
class Reading:
    """A value as it was read, and whether day and month could have been read the other way."""

    value: date | datetime
    ambiguous: bool = False
    order: DateOrder = DateOrder.DAY_FIRST

    def words(self) -> str:
        """'Mon 15 March 2027, 08:00' (and how an entry such as 03/04/2027 was taken)."""
        shown = in_words(self.value)
        return (
            f"{shown} (read {self.order}, as your locale writes dates)" if self.ambiguous else shown
        )


def in_words(value: date | datetime) -> str:
    day = f"{WEEKDAYS[value.weekday()][:3]} {value.day} {MONTHS[value.month - 1]} {value.year}"
    if not isinstance(value, datetime):
        return day
    seconds = f":{value.second:02d}" if value.second else ""
    return f"{day}, {value.hour:02d}:{value.minute:02d}{seconds}"


def as_typed(value: date | datetime) -> str:
    """The text a field shows for a value: '15 Mar 2027 08:00', read back as the same value.

    Month names are written here, not by strftime, whose %b follows the process locale.
    """
    day = f"{value.day:02d} {MONTHS[value.month - 1][:3]} {value.year}"
    if not isinstance(value, datetime):
        return day
    seconds = f":{value.second:02d}" if value.second else ""
    return f"{day} {value.hour:02d}:{value.minute:02d}{seconds}"


# --- dates ------------------------------------------------------------------------------

_FLAGS = re.ASCII  # \d and \s mean ASCII only: ١٢ or １２ are not digits here
_WEEKDAY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+(.*)$", _FLAGS)
_RELATIVE = re.compile(r"^(?:t|today)(?:\s*([+-])\s*(\d{1,6}))?$", _FLAGS)
_WORD_DAY_FIRST = re.compile(r"^(\d{1,2})[\s./-]*([a-z]{3,9})\.?[\s.,/-]*(\d+)$", _FLAGS)
_WORD_MONTH_FIRST = re.compile(
    r"^([a-z]{3,9})\.?[\s./-]*(\d{1,2})(?:st|nd|rd|th)?[\s,]+(\d+)$", _FLAGS
)
_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$", _FLAGS)
_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$", _FLAGS)
_YEAR_LAST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d+)$", _FLAGS)
_EIGHT_DIGITS = re.compile(r"^(\d{8})$", _FLAGS)
_NO_YEAR = re.compile(r"^(\d{1,2}[-/.]\d{1,2}|\d{1,2}\s*[a-z]{3,9}|[a-z]{3,9}\s*\d{1,2})$", _FLAGS)
_NO_DAY = re.compile(r"^(\d{4}|\d{4}[-/.]\d{1,2}|\d{6}|[a-z]{3,9}\s*\d{4})$", _FLAGS)


def _normal(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _month(word: str) -> int | None:
    """'mar', 'march', 'sept' -> 3, 3, 9: a name or the start of one, three letters at least."""
    for number, name in enumerate(MONTHS, start=1):
        if len(word) >= 3 and name.lower().startswith(word):
            return number
    return None


def _make(year: int, month: int, day: int, text: str) -> date:
    if not 1 <= month <= 12:
        raise Unreadable(f"“{text}”: there is no month {month}")
    if year < EARLIEST_YEAR:
        raise Unreadable(f"“{text}”: dates before {EARLIEST_YEAR} are not accepted")
    try:
        return date(year, month, day)
    except ValueError:
        raise Unreadable(f"“{text}”: {MONTHS[month - 1]} {year} has no day {day}") from None


def _year(digits: str, text: str) -> int:
    if len(digits) != 4:
        raise Unreadable(f"“{text}”: write the year in full, e.g. 2027")
    return int(digits)


def read_date(text: str, today: date, order: DateOrder = DateOrder.DAY_FIRST) -> Reading:
    """A date as staff type it; Unreadable says what is wrong (never a guess).

    A weekday in front ('Mon 15 March 2027', as the field reads it back) must be the
    date's own: a mismatch means the date is not the one meant.
    """
    s = _normal(text)
    if m := _WEEKDAY.match(s):
        reading = _read_date(m.group(2), text, today, order)
        weekday = WEEKDAYS[reading.value.weekday()]
        if not weekday.lower().startswith(m.group(1)):
            raise Unreadable(f"“{text.strip()}”: {in_words(reading.value)[4:]} is a {weekday}")
        return reading
    return _read_date(s, text, today, order)


def _read_date(s: str, text: str, today: date, order: DateOrder) -> Reading:
    if not s:
        raise Unreadable("is empty")
    if m := _RELATIVE.match(s):
        sign, days = m.group(1), int(m.group(2) or 0)
        if days > MAX_DAYS_OFFSET:
            raise Unreadable(f"“{text.strip()}”: {days} days is too far from today")
        moved = today + timedelta(days=-days if sign == "-" else days)
        return Reading(_make(moved.year, moved.month, moved.day, text.strip()))
    shown = text.strip()
    if m := _WORD_DAY_FIRST.match(s):
        month = _month(m.group(2))
        if month is not None:
            return Reading(_make(_year(m.group(3), shown), month, int(m.group(1)), shown))
    if m := _WORD_MONTH_FIRST.match(s):
        month = _month(m.group(1))
        if month is not None:
            return Reading(_make(_year(m.group(3), shown), month, int(m.group(2)), shown))
    if m := _YEAR_FIRST.match(s) or _CHINESE.match(s):
        return Reading(_make(int(m.group(1)), int(m.group(2)), int(m.group(3)), shown))
    if m := _YEAR_LAST.match(s):
        first, second, year = int(m.group(1)), int(m.group(2)), _year(m.group(3), shown)
        day, month = (second, first) if order is DateOrder.MONTH_FIRST else (first, second)
        if not 1 <= month <= 12:
            raise Unreadable(f"“{shown}”: there is no month {month} (dates are read {order})")
        two_ways = first != second and first <= 12 and second <= 12
        return Reading(_make(year, month, day, shown), ambiguous=two_ways, order=order)
    if m := _EIGHT_DIGITS.match(s):
        return _eight_digits(m.group(1), shown, order)
    if _NO_DAY.match(s):
        raise Unreadable(f"“{shown}”: give the day as well, e.g. {DATE_EXAMPLES}")
    if _NO_YEAR.match(s):
        raise Unreadable(f"“{shown}”: give the year as well, e.g. 15/03/2027")
    raise Unreadable(f"“{shown}” is not a date; type e.g. {DATE_EXAMPLES}")


def _eight_digits(digits: str, text: str, order: DateOrder) -> Reading:
    """20270315 or 15032027 (03152027 month first): at most one of the two can be a real
    date after 1900, as the year-first month would be 19 or more."""
    try:
        return Reading(_make(int(digits[:4]), int(digits[4:6]), int(digits[6:]), text))
    except Unreadable:
        pass
    return _read_date(f"{digits[:2]}/{digits[2:4]}/{digits[4:]}", text, date.min, order)


# --- times ------------------------------------------------------------------------------

_COLON = re.compile(r"^(\d{1,2})[:.h](\d{2})(?::(\d{2}))?\s*(am|pm)?$", _FLAGS)
_DIGITS = re.compile(r"^(\d{3,4})\s*(am|pm)?$", _FLAGS)
_HOUR = re.compile(r"^(\d{1,2})\s*(am|pm)$", _FLAGS)


def read_time(text: str) -> time:
    """0800, 800, 8:00, 08:00, 8.30, 8am, 8:30 pm."""
    s = _normal(text)
    shown = text.strip()
    if m := _COLON.match(s):
        hour, minute, second, half = int(m[1]), int(m[2]), int(m[3] or 0), m[4]
    elif m := _DIGITS.match(s):
        hour, minute, second, half = int(m[1][:-2]), int(m[1][-2:]), 0, m[2]
    elif m := _HOUR.match(s):
        hour, minute, second, half = int(m[1]), 0, 0, m[2]
    else:
        raise Unreadable(f"“{shown}” is not a time; type e.g. 0800, 8:00 or 08:00")
    if half:
        if not 1 <= hour <= 12:
            raise Unreadable(f"“{shown}”: with am or pm the hour is 1 to 12")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise Unreadable(f"“{shown}” is not a time of day (00:00 to 23:59)")
    return time(hour, minute, second)


_TIME_LIKE = re.compile(r"^[\d:.h]+\s*(am|pm)?$", _FLAGS)


def read_moment(text: str, now: datetime, order: DateOrder = DateOrder.DAY_FIRST) -> Reading:
    """A date with a time: 't 0800', '15/03/2027 08:00', '2027-03-15T08:00'; a time alone
    ('0800') is today. A date alone is refused: midnight is never assumed."""
    s = _normal(text)
    if not s:
        raise Unreadable("is empty")
    if s in ("now", "n"):
        return Reading(now.replace(second=0, microsecond=0))
    s = re.sub(r"(\d)t(?=\d)", r"\1 ", s)  # ISO 8601: 2027-03-15T08:00
    s = " ".join(re.sub(r"\s+(am|pm)$", r"\1", s.replace(",", " ")).split())
    try:
        alone = read_date(s, now.date(), order)
    except Unreadable:
        pass
    else:
        raise Unreadable(f"{in_words(alone.value)}: add the time as well, e.g. {MOMENT_EXAMPLES}")
    if _TIME_LIKE.match(s):
        return Reading(datetime.combine(now.date(), read_time(s)))
    head, _, tail = s.rpartition(" ")
    if not head or not _TIME_LIKE.match(tail):
        raise Unreadable(f"“{text.strip()}” is not a date and time; type e.g. {MOMENT_EXAMPLES}")
    day = read_date(head, now.date(), order)
    return Reading(datetime.combine(day.value, read_time(tail)), day.ambiguous, day.order)
