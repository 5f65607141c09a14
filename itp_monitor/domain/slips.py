"""Likely slips: entries a ward really makes but seldom, asked before they are saved.

Never a refusal: the app asks for a confirmation, and an import saves the
entry with a note. Each is judged from the record, the protocol and what the
caller found of her other current records near its time (`Nearby`): callers
query only those windows, so a save costs the same for a woman with 500
counts as for one with none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from itp_monitor.domain.gestation import gestational_age
from itp_monitor.domain.kinds import kind_of
from itp_monitor.domain.problems import Problem, fmt_number, fmt_span, fmt_time
from itp_monitor.domain.protocol import Definitions, Protocol
from itp_monitor.domain.records import ClinicalRecord, Injection, NeonatalCount, PlateletCount


@dataclass(frozen=True)
class Nearby:
    """What the checks need of her other current records (never the record being corrected).

    `counts` (time, value) and `injections` (time, units) may hold more than the
    windows; only those within them are used.
    """

    edd: date | None = None
    counts: Sequence[tuple[datetime, float]] = ()
    injections: Sequence[tuple[datetime, int]] = ()


def count_span(p: Protocol) -> timedelta:
    """Counts less than this apart are compared with each other."""
    return timedelta(hours=p.count_change_within_hours)


def injection_span(p: Protocol) -> timedelta:
    """Injections this far apart or less are a second injection."""
    return timedelta(hours=p.second_injection_within_hours)


def likely_slips(record: ClinicalRecord, nearby: Nearby, p: Protocol) -> list[Problem]:
    """The warnings for a record whose fields are each valid."""
    found: list[Problem] = []
    low = p.count_confirm_at_most
    if isinstance(record, (PlateletCount, NeonatalCount)) and record.value <= low:
        found.append(Problem("value", _low_count(record.value, p)))
    if nearby.counts and isinstance(record, PlateletCount):
        found += _count_change(record, nearby.counts, p)
    if nearby.injections and isinstance(record, Injection):
        found += _second_injection(record, nearby.injections, p)
    if nearby.edd is not None:
        found += _far_from_pregnancy(record, nearby.edd, p)
    return found


def entry_gestation(edd: date, today: date, p: Protocol, d: Definitions) -> list[Problem]:
    """A gestational age today that makes the EDD look mistyped (admission, EDD corrected)."""
    age = gestational_age(edd, today, d)
    low, high = p.entry_gestation_min_weeks, p.entry_gestation_max_weeks
    said = (
        str(age)
        if age.days >= 0
        else f"not yet pregnant ({(edd - today).days} days before her EDD; a pregnancy is 280)"
    )
    if age.days > 7 * high:
        return [
            Problem(
                "edd",
                f"{edd} makes her {said} today ({today}), over {high}+0; is the EDD right? "
                "An EDD in the past is usually a slip",
            )
        ]
    if age.days < 7 * low:
        return [
            Problem(
                "edd",
                f"{edd} makes her {said} today ({today}), under {low}+0; is the EDD right?",
            )
        ]
    return []


def _low_count(value: float, p: Protocol) -> str:
    if value == 0:
        return "a count of 0 ×10⁹/L is seldom real; is it the count, not a slip?"
    return (
        f"a count of {fmt_number(value)} ×10⁹/L is at or below "
        f"{fmt_number(p.count_confirm_at_most)} ×10⁹/L; is it the count, not a slip?"
    )


def _fraction(fold: float) -> str:
    return "half" if fold == 2 else f"1/{fmt_number(fold)}"


def _times(fold: float) -> str:
    return {2.0: "twice", 3.0: "three times"}.get(fold, f"{fmt_number(fold)} times")


def _change(earlier: float, later: float, p: Protocol) -> str | None:
    """'fall' or 'rise' when `later` is too far from `earlier`, else None."""
    if later < earlier / p.count_fall_fold:
        return "fall"
    if earlier > 0 and later > earlier * p.count_rise_fold:  # no fold from 0
        return "rise"
    return None


def _count_change(
    record: PlateletCount, counts: Sequence[tuple[datetime, float]], p: Protocol
) -> list[Problem]:
    span = count_span(p)
    t, v = record.collected_at, record.value
    for at, other in sorted(counts, key=lambda c: abs(c[0] - t)):  # the nearest that differs
        if abs(at - t) >= span:
            break
        # A count at the same time has no order: either way round may be the slip.
        change = _change(other, v, p) if at <= t else None
        later_one = change is None and at >= t
        if later_one:
            change = _change(v, other, p)
        if change is None:
            continue
        how = (
            f"less than {_fraction(p.count_fall_fold)} of"
            if change == "fall"
            else f"more than {_times(p.count_rise_fold)}"
        )
        if at == t:
            when, side = "at the same time", ""
        else:
            when, side = (
                f"at {fmt_time(at)}, {fmt_span(at - t)}",
                " later" if later_one else " before",
            )
        if later_one:
            text = f"her count {when}{side}, {fmt_number(other)}, is {how} this {fmt_number(v)}"
        else:
            text = f"{fmt_number(v)} is {how} her count of {fmt_number(other)} {when}{side}"
        hours = p.count_change_within_hours
        return [Problem("value", f"{text}; a count seldom changes so much within {hours} hours")]
    return []


def _second_injection(
    record: Injection, injections: Sequence[tuple[datetime, int]], p: Protocol
) -> list[Problem]:
    span = injection_span(p)
    t = record.given_at
    near = [(at, units) for at, units in injections if at != t and abs(at - t) <= span]
    if not near:
        return []
    at, units = min(near, key=lambda i: abs(i[0] - t))
    side = "later" if at > t else "earlier"
    return [
        Problem(
            "given_at",
            f"another injection ({fmt_number(units)} U) is recorded at {fmt_time(at)}, "
            f"{fmt_span(at - t)} {side}; rhTPO is given once a day, and a second injection "
            f"within {p.second_injection_within_hours} hours is likely a slip",
        )
    ]


def _far_from_pregnancy(record: ClinicalRecord, edd: date, p: Protocol) -> list[Problem]:
    at = record.at
    field = kind_of(record).time_field
    before = (edd - at.date()).days
    if before > p.record_before_edd_days:
        return [
            Problem(
                field,
                f"{fmt_time(at)} is {before:,} days before her EDD ({edd}), more than "
                f"{p.record_before_edd_days} days: before this pregnancy began",
            )
        ]
    if -before > p.record_after_edd_days:
        return [
            Problem(
                field,
                f"{fmt_time(at)} is {-before:,} days after her EDD ({edd}), more than "
                f"{p.record_after_edd_days} days: long after this pregnancy",
            )
        ]
    return []
