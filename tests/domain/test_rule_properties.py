"""Properties the rules keep for any history: T, order and raised counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from itp_monitor.domain.evaluation import evaluate
from itp_monitor.domain.flags import FlagCode
from itp_monitor.domain.history import BleedPoint, CountPoint, DosePoint, PatientHistory
from itp_monitor.domain.protocol import default_protocol_in_force
from itp_monitor.domain.response import latest

T = datetime(2026, 11, 25, 20, 0)
PROTOCOL = default_protocol_in_force()


def moments(lo_days: float, hi_days: float) -> st.SearchStrategy[datetime]:
    """Times from lo to hi days after T (negative: before), to the minute."""
    return st.integers(int(lo_days * 1440), int(hi_days * 1440)).map(
        lambda m: T + timedelta(minutes=m)
    )


before_t = moments(-70, 0)
after_t = moments(0.001, 30)
values = st.floats(0, 500, allow_nan=False).map(lambda v: round(v, 1))


@st.composite
def histories(draw: st.DrawFn, when: st.SearchStrategy[datetime] = before_t) -> PatientHistory:
    delivered = draw(st.none() | when)
    newborn = (
        draw(st.lists(st.builds(CountPoint, moments(-5, 30), values), max_size=3))
        if delivered
        else []
    )
    return PatientHistory(
        edd=(T + timedelta(days=draw(st.integers(-30, 140)))).date(),
        counts=draw(st.lists(st.builds(CountPoint, when, values), max_size=12)),
        injections=draw(
            st.lists(st.builds(DosePoint, when, st.just(20400), st.just(68.0)), max_size=20)
        ),
        bleeding=draw(st.lists(st.builds(BleedPoint, when, st.integers(0, 4)), max_size=3)),
        delivered_at=delivered,
        neonatal_counts=[n for n in newborn if delivered and n.at >= delivered],
    )


def judged(h: PatientHistory):  # type: ignore[no-untyped-def]
    return evaluate(h, T, PROTOCOL)


@settings(max_examples=300, deadline=None)
@given(histories(), histories(when=after_t))
def test_records_timed_after_t_never_change_the_result(
    h: PatientHistory, later: PatientHistory
) -> None:
    with_later = PatientHistory(
        edd=h.edd,
        counts=[*h.counts, *later.counts],
        injections=[*h.injections, *later.injections],
        bleeding=[*h.bleeding, *later.bleeding],
        delivered_at=h.delivered_at or later.delivered_at,
        neonatal_counts=[*h.neonatal_counts, *later.neonatal_counts],
    )
    assert judged(with_later) == judged(h)


@settings(max_examples=300, deadline=None)
@given(histories(moments(-70, 10)), st.randoms(use_true_random=False))
def test_the_order_records_were_entered_in_never_changes_the_result(h: PatientHistory, rnd) -> None:  # type: ignore[no-untyped-def]
    def shuffled(items):  # type: ignore[no-untyped-def]
        items = list(items)
        rnd.shuffle(items)
        return items

    reordered = PatientHistory(
        edd=h.edd,
        counts=shuffled(h.counts),
        injections=shuffled(h.injections),
        bleeding=shuffled(h.bleeding),
        delivered_at=h.delivered_at,
        neonatal_counts=shuffled(h.neonatal_counts),
    )
    assert judged(reordered) == judged(h)


LOW_COUNT = {
    FlagCode.PLT_CRITICAL,
    FlagCode.PLT_BELOW_TREATMENT,
    FlagCode.DELIVERY_BELOW_CUTOFF,
    FlagCode.NEURAXIAL_BELOW_CUTOFF,
}


@settings(max_examples=300, deadline=None)
@given(histories(), st.floats(0.1, 300).map(lambda v: round(v, 1)))
def test_raising_the_latest_count_never_adds_a_low_count_flag(
    h: PatientHistory, rise: float
) -> None:
    newest = latest(c for c in h.counts if c.at <= T)
    if newest is None:
        return
    counts = list(h.counts)
    counts[counts.index(newest)] = CountPoint(newest.at, newest.value + rise)
    before = judged(h).codes & LOW_COUNT
    after = (
        judged(
            PatientHistory(
                h.edd, counts, h.injections, h.bleeding, h.delivered_at, h.neonatal_counts
            )
        ).codes
        & LOW_COUNT
    )
    added = after - before
    # Leaving the band below 20 may show the milder 20–30 flag in place of the critical one.
    assert added <= {FlagCode.PLT_BELOW_TREATMENT}
    if added:
        assert FlagCode.PLT_CRITICAL in before and FlagCode.PLT_CRITICAL not in after
