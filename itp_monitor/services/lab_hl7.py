"""Reading HL7 v2 ORU^R01 messages (docs/command-line.md): a LabResult per platelet OBX."""

from __future__ import annotations

import re
from collections.abc import Iterator

import hl7

from itp_monitor.domain.reading import NumberReader, Unreadable, hl7_time, quoted
from itp_monitor.services.lab_results import LabResult, UnreadableFile, check_code, convert

PLATELET_LOINC = ("777-3", "26515-7")

SKIPPED_SEGMENTS = ("FHS", "BHS", "BTS", "FTS")


def is_hl7(text: str) -> bool:
    """HL7 when the first non-blank text is MSH, FHS or BHS followed by a field separator."""
    start = text.lstrip("\x0b \t\r\n\ufeff")
    return bool(re.match(r"(MSH|FHS|BHS)[^A-Za-z0-9\s]", start))


def _segments(text: str) -> list[str]:
    """Segments in file order; CR, LF or CRLF end them; MLLP framing is dropped."""
    text = text.replace("\x0b", "").replace("\x1c", "")
    return [s for s in re.split(r"\r\n|\r|\n", text)]


def _component(field_value: object, component: int = 1, repetition: int = 0) -> str:
    """The text of one component of a field (1-based), '' when absent."""
    try:
        rep = field_value[repetition]  # type: ignore[index]
        if isinstance(rep, str):
            return rep if component == 1 else ""
        value = rep[component - 1]
        return str(value) if value is not None else ""
    except (IndexError, TypeError):
        return ""


def _field(segment: hl7.Segment, number: int) -> object:
    return segment[number] if len(segment) > number else ""


# MSH-1 and MSH-2: the separators, each a distinct mark (MSH|^~\&|); the parser trusts them.
_MSH = re.compile(r"MSH([^A-Za-z0-9\s])([^A-Za-z0-9\s]{1,5})\1")
# What python-hl7 raises on a message it cannot follow; AssertionError on damaged separators.
_PARSE_ERRORS = (hl7.ParseException, ValueError, IndexError, KeyError, AssertionError)


def _time_of(result: LabResult, when: str) -> None:
    """Sets result.collected_at from an HL7 time, or result.problem."""
    try:
        result.collected_at = hl7_time(when)
    except Unreadable as e:
        result.problem = result.problem or f"OBX-14/OBR-7: {e}"


def _parsed(body: list[tuple[int, str]], segment_number: int) -> hl7.Message:
    """One message parsed; UnreadableFile naming its MSH segment when it cannot be."""
    found = _MSH.match(body[0][1])
    # Separators the file leaves out are the standard ones: all five must differ.
    marks = found and (found.group(1) + found.group(2) + "^~\\&"[len(found.group(2)) :])[:5]
    if not marks or len(set(marks)) != len(marks):
        raise UnreadableFile(
            f"segment {segment_number}: the MSH segment is damaged: it must begin with its "
            "separators, each a different mark (MSH|^~\\&|)"
        )
    try:
        message = hl7.parse("\r".join(s for _, s in body))
    except _PARSE_ERRORS as e:
        why = f" ({quoted(str(e), 80)})" if str(e) else ""
        raise UnreadableFile(f"segment {segment_number}: not a readable HL7 message{why}") from None
    if len(message) != len(body):  # each segment read as one, or the numbering is off
        raise UnreadableFile(f"segment {segment_number}: not a readable HL7 message")
    return message


def _is_platelet(obx: hl7.Segment, local_codes: set[str]) -> bool:
    observation = _field(obx, 3)
    for code_at, system_at in ((1, 3), (4, 6)):  # identifier, then alternate identifier
        code = _component(observation, code_at)
        system = _component(observation, system_at)
        if (system == "LN" and code in PLATELET_LOINC) or (code and code in local_codes):
            return True
    return False


def _mrn(pid: hl7.Segment | None) -> str | None:
    if pid is None:
        return None
    ids = _field(pid, 3)
    try:
        repetitions = list(ids)  # type: ignore[call-overload]
    except TypeError:
        return None
    for i in range(len(repetitions)):
        if _component(ids, 5, i) == "MR":
            return _component(ids, 1, i).strip() or None
    return _component(ids, 1, 0).strip() or None


def read_hl7(text: str, *, unit: str | None, local_codes: set[str]) -> Iterator[LabResult]:
    """A LabResult per platelet OBX of ORU^R01 messages; `line`: the OBX's segment number."""
    numbers = NumberReader(decimal_comma=False)  # HL7 writes a decimal point
    segments = _segments(text)
    starts = [i for i, s in enumerate(segments) if s.startswith("MSH")]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(segments)
        body = [
            (i, s)
            for i, s in enumerate(segments[start:end], start)
            if s.strip() and not s.startswith(SKIPPED_SEGMENTS)
        ]
        message = _parsed(body, start + 1)
        kind = _field(message[0], 9)
        if (_component(kind, 1), _component(kind, 2)) != ("ORU", "R01"):
            continue
        pid = next((seg for seg in message if str(seg[0]) == "PID"), None)
        mrn = _mrn(pid)
        obr: hl7.Segment | None = None
        platelets_under_obr = 0
        for (index, _), segment in zip(body, message, strict=True):
            name = str(segment[0])
            if name == "PID":
                pid, mrn = segment, _mrn(segment)
            if name == "OBR":
                obr, platelets_under_obr = segment, 0
                continue
            if name != "OBX" or not _is_platelet(segment, local_codes):
                continue
            platelets_under_obr += 1
            result = LabResult(index + 1)
            result.mrn = check_code(result, "PID-3", mrn or "")
            if obr is not None:
                accession = _component(_field(obr, 3)).strip()
                result.accession = check_code(result, "OBR-3", accession)
            status = str(_field(segment, 11)).strip()
            result.corrected = status == "C"
            when = str(_field(segment, 14)).strip() or (
                str(_field(obr, 7)).strip() if obr is not None else ""
            )
            if platelets_under_obr > 1:
                result.problem = "a second platelet result under the same OBR"
            elif status not in ("F", "C"):
                result.problem = (
                    f"OBX-11: result status {quoted(status)} is not final (F) or corrected (C)"
                )
            elif not result.problem and not result.mrn:
                result.problem = "PID-3: no MRN"
            _time_of(result, when)
            if not result.problem:
                value_text = str(_field(segment, 5))
                convert(result, value_text, _component(_field(segment, 6)), unit, numbers, "OBX-5")
            yield result
