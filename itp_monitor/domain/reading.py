"""Reading numbers and times from files: one reader for lab CSV, HL7 and record files."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

# The rules are those of interfaces.md, "Reading values safely": a value is taken only
# when the file clearly meant it; anything that could be read two ways is refused. Whether
# a value that was read is plausible (not before 1900, not in the future, a count within
# 0–1,500) is the Checker's, from the limits in protocol.toml, as for an entry in the app.

MAX_NUMBER_CHARACTERS = 32  # longer than any value a file means; refused before conversion
MAX_WHOLE = 10**15  # larger whole numbers lose digits as floats: never a value of a record
QUOTED = 40  # characters of file content quoted in a message
MAX_OFFSET = timedelta(hours=14)  # the widest time-zone offsets in use: -12:00 and +14:00


class Unreadable(ValueError):
    """A value that cannot be read as meant; the message says why, quoting it briefly."""


def quoted(text: str, limit: int = QUOTED) -> str:
    """File content for a message, in quotes: anything unprintable escaped (as repr does),
    and no longer than `limit` characters, escapes included."""
    escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])
    cut = len(text) > limit or len(escaped) > limit
    return f"'{escaped[:limit]}{'…' if cut else ''}'"


# Characters a text file holds besides printable ones: tab, line ends, MLLP framing.
_UNPRINTABLE = re.compile(r"[^\t\r\n\x0b\x1c\x20-\x7e\xa0-\ufffc\U00010000-\U0010ffff]")
SAMPLE = 4096  # characters looked at to tell text from a binary file
MOSTLY_UNPRINTABLE = 0.05  # more than this share of them unprintable: not text


def not_text(text: str) -> str | None:
    """Why decoded file content is not text (NUL bytes, mostly unprintable), or None."""
    if "\x00" in text:
        return "it holds NUL bytes"
    sample = text[:SAMPLE]
    if len(_UNPRINTABLE.findall(sample)) > MOSTLY_UNPRINTABLE * len(sample):
        return "it holds mostly unprintable characters"
    return None


# --- numbers ------------------------------------------------------------------------

_WHOLE = re.compile(r"[0-9]+")
# A per-µL count with thousands separators: one kind of separator, groups of three.
_GROUPED = re.compile(r"[0-9]{1,3}([.,' \u00a0])[0-9]{3}(?:\1[0-9]{3})*")
_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")


def _why_not(text: str) -> str:
    """A hint at what in a number is not accepted, for the message."""
    if _NON_ASCII_DIGIT.search(text):
        return " (digits 0–9 only)"
    if text[:1] in "+-":
        return " (no sign)"
    if "_" in text:
        return " (no underscores)"
    if re.fullmatch(r"[0-9.,]*[eE][+-]?[0-9]+", text):
        return " (no exponent)"
    return ""


class NumberReader:
    """Reads the numbers of one file format; its patterns are compiled once, not per row.

    ASCII digits with at most one decimal separator (a point, or also a comma where
    `decimal_comma`); per-µL counts are whole numbers, where a point, comma, space,
    no-break space or apostrophe before exactly three digits separates thousands.
    """

    def __init__(self, *, decimal_comma: bool) -> None:
        separator = "[.,]" if decimal_comma else r"\."
        self._plain = re.compile(rf"[0-9]+(?:{separator}[0-9]+)?")
        self._decimal_comma = decimal_comma

    def __call__(self, text: str, *, per_microlitre: bool = False) -> float:
        """The number `text` means; Unreadable when it is not plainly one."""
        text = text.strip()
        if len(text) > MAX_NUMBER_CHARACTERS:
            raise Unreadable(f"{quoted(text)} is not a plain number ({len(text):,} characters)")
        if per_microlitre:
            if _WHOLE.fullmatch(text):
                return float(text)
            if _GROUPED.fullmatch(text):
                return float(re.sub(r"[^0-9]", "", text))
            if self._plain.fullmatch(text):
                raise Unreadable(
                    f"{quoted(text)} is not a whole number: a per-µL count has no fraction "
                    "(a separator before exactly three digits separates thousands)"
                )
            raise Unreadable(f"{quoted(text)} is not a plain number{_why_not(text)}")
        if not self._plain.fullmatch(text):
            raise Unreadable(f"{quoted(text)} is not a plain number{_why_not(text)}")
        return float(text.replace(",", ".") if self._decimal_comma else text)


# --- numbers parsed from JSON -----------------------------------------------------------


@dataclass(frozen=True)
class OutOfReach:
    """A JSON number too long or too large to be a value; kept to be refused by name."""

    text: str

    def __repr__(self) -> str:
        if len(self.text) <= MAX_NUMBER_CHARACTERS:  # short, but beyond a float: 1e400
            return self.text
        return f"{self.text[:12]}… (a number of {len(self.text):,} characters)"


def json_int(text: str) -> int | OutOfReach:
    """json.loads' parse_int: Python refuses to convert more than 4,300 digits with a
    ValueError no caller expects, and no value of a record has more than 15."""
    return OutOfReach(text) if len(text) > MAX_NUMBER_CHARACTERS else int(text)


def json_float(text: str) -> float | OutOfReach:
    """json.loads' parse_float: a number too long to mean anything, or beyond a float
    (1e400 would become infinity), is kept as OutOfReach."""
    if len(text) > MAX_NUMBER_CHARACTERS:
        return OutOfReach(text)
    value = float(text)
    return value if math.isfinite(value) else OutOfReach(text)


def json_number(value: object) -> float:
    """A number from a parsed JSON file; Unreadable for anything else, never an overflow."""
    if isinstance(value, OutOfReach):
        raise Unreadable(f"{value!r} is not a number a record can hold")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable(f"{shown(value)} is not a number")
    if isinstance(value, int) and abs(value) > MAX_WHOLE:
        raise Unreadable(f"{shown(value)} is not a number a record can hold")
    if not math.isfinite(value):
        raise Unreadable(f"{shown(value)} is not a number")
    return float(value)


def json_whole(value: object) -> int:
    """A whole number from a parsed JSON file (20400 or 20400.0)."""
    number = json_number(value)
    if not number.is_integer():
        raise Unreadable(f"{shown(value)} is not a whole number")
    if abs(number) > MAX_WHOLE:
        raise Unreadable(f"{shown(value)} is not a number a record can hold")
    return int(number)


def shown(value: object) -> str:
    """Any parsed JSON value as a message quotes it: short, printable, never recursive."""
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WHOLE:
        return "a number too large to quote"  # str() of 4,300 digits or more raises
    return quoted(repr(value))[1:-1]


# --- times --------------------------------------------------------------------------

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?)?"
)
_ISO_OFFSET = re.compile(r".*[0-9](?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)")
_ISO_PART = re.compile(r"[0-9]{4}(-[0-9]{2})?")
_HL7 = re.compile(
    r"([0-9]{4})([0-9]{2})([0-9]{2})"
    r"(?:([0-9]{2})(?:([0-9]{2})(?:([0-9]{2})(?:\.([0-9]{1,4}))?)?)?)?"
    r"(?:([+-])([0-9]{2})([0-9]{2}))?"
)
_HL7_PART = re.compile(r"[0-9]{4}([0-9]{2})?")


def _only_part(text: str, month: bool) -> Unreadable:
    given = "the year and month" if month else "the year"
    return Unreadable(f"{quoted(text)} gives only {given}; a time needs at least a day")


def _made(text: str, parts: tuple[str | None, ...]) -> datetime:
    """The datetime of matched parts; Unreadable when the calendar has no such moment."""
    year, month, day, hour, minute, second, fraction = parts
    try:
        moment = datetime(
            int(year or 0),
            int(month or 0),
            int(day or 0),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "").ljust(6, "0")),
        )
    except ValueError:
        raise Unreadable(f"{quoted(text)} is not a real date and time") from None
    return moment


def iso_time(text: str) -> datetime:
    """`2026-10-01T08:00[:00[.000000]]`, `T` or a space, or a date alone (00:00).

    A year or a month alone, or an offset, is Unreadable.
    """
    text = text.strip()
    found = _ISO.fullmatch(text)
    if found is not None:
        return _made(text, found.groups())
    if _ISO_OFFSET.fullmatch(text) and _ISO.match(text):
        raise Unreadable(f"{quoted(text)} has a time-zone offset; give local time")
    part = _ISO_PART.fullmatch(text)
    if part is not None:
        raise _only_part(text, month=part.group(1) is not None)
    raise Unreadable(f"{quoted(text)} is not a date and time")


def iso_date(text: str) -> date:
    """`2026-10-01` and nothing else."""
    text = text.strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise Unreadable(f"{quoted(text)} is not a date (2026-10-01)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Unreadable(f"{quoted(text)} is not a real date") from None


def check_time_format(time_format: str) -> None:
    """A strptime layout that gives a whole date: a year, and a month and day or a day of
    the year (strptime fills what is missing from 1 January 1900, which is never meant)."""
    given = set(re.findall(r"%(.)", time_format.replace("%%", "")))
    whole = "c" in given or "x" in given
    year = bool(given & {"Y", "y", "G"})
    day = ("d" in given and bool(given & {"m", "b", "B"})) or "j" in given
    if not (whole or (year and day)):
        missing = "no year" if day else "no day"
        raise Unreadable(
            f"the time format {quoted(time_format)} gives {missing} (as %d/%m/%Y does); "
            "a time needs a whole date"
        )


def formatted_time(text: str, time_format: str) -> datetime:
    """A time in the layout `time_format` (strptime), with ASCII digits only."""
    text = text.strip()
    if _NON_ASCII_DIGIT.search(text):
        raise Unreadable(f"{quoted(text)} is not a date and time (digits 0–9 only)")
    try:
        moment = datetime.strptime(text, time_format)
    except (ValueError, re.error):  # re.error: a layout naming one part twice (%Y%Y)
        raise Unreadable(f"{quoted(text)} is not a date and time") from None
    return moment


def hl7_time(text: str) -> datetime:
    """An HL7 DTM, `YYYYMMDD[HH[MM[SS[.S]]]][+/-ZZZZ]`, as a local time.

    An offset is converted to the local time of this computer. A year or a month
    alone, or an offset no time zone has, is Unreadable.
    """
    text = text.strip()
    found = _HL7.fullmatch(text)
    if found is None:
        part = _HL7_PART.fullmatch(text)
        if part is not None:
            raise _only_part(text, month=part.group(1) is not None)
        raise Unreadable(f"{quoted(text)} is not a date and time")
    *parts, sign, hours, minutes = found.groups()
    moment = _made(text, tuple(parts))
    if sign is None:
        return moment
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    if int(minutes) > 59 or offset > MAX_OFFSET:
        raise Unreadable(f"{quoted(text)} has an offset no time zone has ({sign}{hours}{minutes})")
    zone = timezone(-offset if sign == "-" else offset)
    try:  # near year 1 or 9999 the local time may lie outside the calendar
        local = moment.replace(tzinfo=zone).astimezone().replace(tzinfo=None)
    except (OverflowError, ValueError, OSError):
        raise Unreadable(f"{quoted(text)} cannot be converted to local time") from None
    return local
