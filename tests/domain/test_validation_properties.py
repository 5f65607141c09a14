"""Counts are accepted exactly when plausible; the per-µL hint appears exactly when it helps."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from itp_monitor.domain.protocol import default_protocol, limits
from itp_monitor.domain.records import PlateletCount
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
