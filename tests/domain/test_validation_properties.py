"""Counts are accepted exactly when plausible, the per-µL hint appears exactly when it helps,
and the likely slips are asked about exactly at their thresholds."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from itp_monitor.domain.protocol import default_protocol, limits
from itp_monitor.domain.records import Injection, PatientDetails, PlateletCount
from itp_monitor.domain.slips import Nearby
from itp_monitor.domain.validation import Checker

NOW = datetime(2026, 11, 25, 12)
checker = Checker(limits(), default_protocol(), NOW)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e7, max_value=1e7))
def test_a_count_is_accepted_exactly_from_0_to_1500(value: float) -> None:
    errors = checker.check(PlateletCount(NOW, value)).errors
    assert (errors == []) == (0 <= value <= 1500)


@given(st.floats(min_value=1500.0001, max_value=1e7))
def test_the_per_microlitre_hint_is_given_when_dividing_by_1000_would_fit(value: float) -> None:
    [problem] = checker.check(PlateletCount(NOW, value)).errors
    assert ("per-µL" in problem.message) == (value / 1000 <= 1500)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_a_time_is_refused_exactly_when_it_is_after_now(moment: datetime) -> None:
    errors = checker.check(PlateletCount(moment, 42.0)).errors
    assert (errors != []) == (moment > NOW)


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1950, 1, 1)))
def test_a_time_is_refused_exactly_when_it_is_before_1900(moment: datetime) -> None:
    errors = checker.check(PlateletCount(moment, 42.0)).errors
    assert (errors != []) == (moment < datetime(1900, 1, 1))


values = st.floats(min_value=0, max_value=1500).map(lambda v: round(v, 1))


@given(values, values, st.integers(min_value=0, max_value=48 * 60))
@example(100.0, 40.0, 24 * 60)  # the edges of the day, tried every run
@example(100.0, 40.0, 24 * 60 - 1)
@example(20.0, 60.1, 0)
def test_a_count_is_asked_about_exactly_when_it_halved_or_tripled_within_a_day(
    earlier: float, later: float, minutes: int
) -> None:
    first = NOW - timedelta(minutes=minutes)
    # Entered in either order, the pair is judged the same way: by time.
    for new, other in (
        (PlateletCount(NOW, later), (first, earlier)),
        (PlateletCount(first, earlier), (NOW, later)),
    ):
        warnings = checker.check(new, Nearby(counts=[other])).warnings
        changed = [w for w in warnings if "a count seldom changes" in w.message]

        def slip(a: float, b: float) -> bool:  # from a to b
            return b < a / 2 or (a > 0 and b > a * 3)

        # At the same time there is no order: either way round may be the slip.
        either = slip(earlier, later) or (minutes == 0 and slip(later, earlier))
        expected = minutes < 24 * 60 and either
        assert bool(changed) == expected, (earlier, later, minutes, warnings)


@given(st.integers(min_value=0, max_value=24 * 60))
@example(12 * 60)
@example(12 * 60 + 1)
def test_an_injection_is_asked_about_exactly_when_another_is_12_hours_or_less_away(
    minutes: int,
) -> None:
    other = NOW - timedelta(minutes=minutes)
    new = Injection(NOW, 20400, 68.0)
    warnings = checker.check(new, Nearby(injections=[(other, 20400)])).warnings
    assert bool(warnings) == (0 < minutes <= 12 * 60)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 9, 21)))
def test_a_gestation_at_entry_is_asked_about_exactly_outside_4_to_42_weeks(edd: date) -> None:
    findings = checker.check_patient(PatientDetails("M1", "Mia", edd))
    days = 280 - (edd - NOW.date()).days
    assert findings.errors == []
    assert bool(findings.warnings) == (not 28 <= days <= 294)
