"""Every rule of docs/flags.md, on both sides of every threshold and window."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from rule_builders import DOSE, WEIGHT, at, course, history, run

from itp_monitor.domain.evaluation import evaluation_time
from itp_monitor.domain.flags import FlagCode, Severity
from itp_monitor.domain.gestation import (
    GestationalAge,
    TermCategory,
    date_reaching,
    gestational_age,
)
from itp_monitor.domain.history import CountPoint, DosePoint, PatientHistory
from itp_monitor.domain.response import ResponseStatus

F = FlagCode

# --- flags raised by the latest count --------------------------------------------------------

COUNT_CASES = [
    # (name, history, flag, raised?)
    ("19.9 is critical", history(counts=[(1, 19.9)]), F.PLT_CRITICAL, True),
    ("20 is not critical", history(counts=[(1, 20)]), F.PLT_CRITICAL, False),
    ("20 is below treatment", history(counts=[(1, 20)]), F.PLT_BELOW_TREATMENT, True),
    (
        "19.9 is critical, not 'below treatment'",
        history(counts=[(1, 19.9)]),
        F.PLT_BELOW_TREATMENT,
        False,
    ),
    ("29.9 is below treatment", history(counts=[(1, 29.9)]), F.PLT_BELOW_TREATMENT, True),
    ("30 is not below treatment", history(counts=[(1, 30)]), F.PLT_BELOW_TREATMENT, False),
    ("400 is not thrombocytosis", history(counts=[(1, 400)]), F.THROMBOCYTOSIS, False),
    ("400.1 is thrombocytosis", history(counts=[(1, 400.1)]), F.THROMBOCYTOSIS, True),
    (
        "36+0 with 49.9",
        history(pregnant=(36, 0), counts=[(1, 49.9)]),
        F.DELIVERY_BELOW_CUTOFF,
        True,
    ),
    ("36+0 with 50", history(pregnant=(36, 0), counts=[(1, 50)]), F.DELIVERY_BELOW_CUTOFF, False),
    ("35+6 with 40", history(pregnant=(35, 6), counts=[(1, 40)]), F.DELIVERY_BELOW_CUTOFF, False),
    (
        "36+0 with 69.9",
        history(pregnant=(36, 0), counts=[(1, 69.9)]),
        F.NEURAXIAL_BELOW_CUTOFF,
        True,
    ),
    ("36+0 with 70", history(pregnant=(36, 0), counts=[(1, 70)]), F.NEURAXIAL_BELOW_CUTOFF, False),
    ("35+6 with 60", history(pregnant=(35, 6), counts=[(1, 60)]), F.NEURAXIAL_BELOW_CUTOFF, False),
    (
        "delivered: no longer in the window",
        history(pregnant=(38, 0), counts=[(1, 40)], delivered=0.5),
        F.DELIVERY_BELOW_CUTOFF,
        False,
    ),
    (
        "45 in the window raises both cutoffs",
        history(pregnant=(37, 0), counts=[(1, 45)]),
        F.NEURAXIAL_BELOW_CUTOFF,
        True,
    ),
    (
        "the latest count counts, not the lowest",
        history(counts=[(5, 12), (1, 35)]),
        F.PLT_CRITICAL,
        False,
    ),
    (
        "of two counts at one time, the lower counts",
        history(counts=[(1, 35), (1, 15)]),
        F.PLT_CRITICAL,
        True,
    ),
]

# --- bleeding, courses, response, monitoring, the newborn ------------------------------------

BASE = [(14, 10)]  # a baseline count of 10, 14 days before T

OTHER_CASES = [
    ("WHO 2, 7 days ago", history(bleeding=[(7, 2)]), F.BLEEDING, True),
    ("WHO 2, 8 days ago", history(bleeding=[(8, 2)]), F.BLEEDING, False),
    ("WHO 1 today", history(bleeding=[(0, 1)]), F.BLEEDING, False),
    ("WHO 4 yesterday", history(bleeding=[(1, 4)]), F.BLEEDING, True),
    (
        "day 13, no response yet",
        history(counts=[*BASE, (1, 12)], injections=course(12, 1)),
        F.NON_RESPONSE,
        False,
    ),
    (
        "day 14, no response",
        history(counts=[*BASE, (1, 12)], injections=course(13, 1)),
        F.NON_RESPONSE,
        True,
    ),
    (
        "day 14 with a response",
        history(counts=[*BASE, (1, 35)], injections=course(13, 1)),
        F.NON_RESPONSE,
        False,
    ),
    (
        "no baseline within 14 days",
        history(counts=[(16, 10)], injections=course(1, 1)),
        F.NO_BASELINE,
        True,
    ),
    (
        "baseline 14 days before",
        history(counts=[(15, 10)], injections=course(1, 1)),
        F.NO_BASELINE,
        False,
    ),
    ("no course, no baseline needed", history(counts=[(30, 10)]), F.NO_BASELINE, False),
    (
        "on rhTPO, count 7 days ago",
        history(counts=[(7, 40)], injections=course(10, 1)),
        F.COUNT_OVERDUE,
        False,
    ),
    (
        "on rhTPO, count 8 days ago",
        history(counts=[(8, 40)], injections=course(10, 1)),
        F.COUNT_OVERDUE,
        True,
    ),
    ("on rhTPO, no count at all", history(injections=course(3, 1)), F.COUNT_OVERDUE, True),
    (
        "in the window, count 8 days ago",
        history(pregnant=(37, 0), counts=[(8, 90)]),
        F.COUNT_OVERDUE,
        True,
    ),
    (
        "neither, count 30 days ago",
        history(pregnant=(30, 0), counts=[(30, 90)]),
        F.COUNT_OVERDUE,
        False,
    ),
    (
        "100 after the first injection, last injection 2 days ago",
        history(counts=[*BASE, (1, 100)], injections=course(10, 2)),
        F.STOP_THRESHOLD_REACHED,
        True,
    ),
    (
        "last injection 3 days ago",
        history(counts=[*BASE, (1, 100)], injections=course(10, 3)),
        F.STOP_THRESHOLD_REACHED,
        False,
    ),
    (
        "99.9 has not reached the stop threshold",
        history(counts=[*BASE, (1, 99.9)], injections=course(10, 2)),
        F.STOP_THRESHOLD_REACHED,
        False,
    ),
    (
        "a count of 150 before the first injection",
        history(counts=[(3, 150)], injections=course(2, 1)),
        F.STOP_THRESHOLD_REACHED,
        False,
    ),
    ("delivered 7 days ago, no newborn count", history(delivered=7), F.NEONATAL_COUNT_DUE, True),
    ("delivered 8 days ago, no newborn count", history(delivered=8), F.NEONATAL_COUNT_DUE, False),
    (
        "delivered, newborn counted",
        history(delivered=2, newborn=[(1, 150)]),
        F.NEONATAL_COUNT_DUE,
        False,
    ),
    ("newborn 99.9", history(delivered=2, newborn=[(1, 99.9)]), F.NEONATAL_LOW, True),
    ("newborn 100", history(delivered=2, newborn=[(1, 100)]), F.NEONATAL_LOW, False),
    (
        "only the latest newborn count",
        history(delivered=3, newborn=[(2, 60), (1, 120)]),
        F.NEONATAL_LOW,
        False,
    ),
]


@pytest.mark.parametrize(
    ("name", "h", "code", "raised"),
    COUNT_CASES + OTHER_CASES,
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_each_flag_on_both_sides_of_its_threshold(
    name: str, h: PatientHistory, code: FlagCode, raised: bool
) -> None:
    evaluation = run(h)
    assert (code in evaluation.codes) is raised, [f.message for f in evaluation.flags]


@pytest.mark.parametrize(
    ("value", "severity"),
    [(49.9, Severity.CRITICAL), (50, Severity.WARNING), (99.9, Severity.WARNING)],
)
def test_a_low_newborn_count_is_critical_below_50(value: float, severity: Severity) -> None:
    [flag] = [
        f for f in run(history(delivered=2, newborn=[(1, value)])).flags if f.code is F.NEONATAL_LOW
    ]
    assert flag.severity is severity


# --- response status ---------------------------------------------------------------------

S = ResponseStatus


def status_of(h: PatientHistory) -> tuple[ResponseStatus, bool]:
    response = run(h).response
    return response.status, response.confirmed


@pytest.mark.parametrize(
    ("name", "h", "status", "confirmed"),
    [
        ("no injection", history(counts=[(1, 15)]), S.NOT_ON_TREATMENT, False),
        (
            "last injection 21 days ago",
            history(counts=[(1, 15)], injections=course(30, 21)),
            S.NO_RESPONSE,
            False,
        ),
        (
            "last injection 22 days ago",
            history(counts=[(1, 15)], injections=course(30, 22)),
            S.NOT_ON_TREATMENT,
            False,
        ),
        (
            "day 13, nothing yet",
            history(counts=[*BASE, (1, 12)], injections=course(12, 1)),
            S.TOO_EARLY,
            False,
        ),
        (
            "day 14, nothing",
            history(counts=[*BASE, (1, 12)], injections=course(13, 1)),
            S.NO_RESPONSE,
            False,
        ),
        (
            "30 and twice 10",
            history(counts=[*BASE, (1, 30)], injections=course(10, 1)),
            S.RESPONSE,
            False,
        ),
        (
            "29.9 is too low",
            history(counts=[*BASE, (1, 29.9)], injections=course(10, 1)),
            S.TOO_EARLY,
            False,
        ),
        (
            "39.9 is not twice 20",
            history(counts=[(14, 20), (1, 39.9)], injections=course(10, 1)),
            S.TOO_EARLY,
            False,
        ),
        (
            "40 is twice 20",
            history(counts=[(14, 20), (1, 40)], injections=course(10, 1)),
            S.RESPONSE,
            False,
        ),
        (
            "no baseline: 30 is enough",
            history(counts=[(1, 30)], injections=course(10, 1)),
            S.RESPONSE,
            False,
        ),
        (
            "100 is complete",
            history(counts=[*BASE, (1, 100)], injections=course(10, 1)),
            S.COMPLETE_RESPONSE,
            False,
        ),
        (
            "99.9 is a response",
            history(counts=[*BASE, (1, 99.9)], injections=course(10, 1)),
            S.RESPONSE,
            False,
        ),
        (
            "100 without twice the baseline of 60 is still complete",
            history(counts=[(14, 60), (1, 100)], injections=course(10, 1)),
            S.COMPLETE_RESPONSE,
            False,
        ),
        (
            "two responses 6 days apart",
            history(counts=[*BASE, (7, 40), (1, 45)], injections=course(10, 1)),
            S.RESPONSE,
            False,
        ),
        (
            "two responses 7 days apart: confirmed",
            history(counts=[*BASE, (8, 40), (1, 45)], injections=course(10, 1)),
            S.RESPONSE,
            True,
        ),
        (
            "two complete responses 6 days apart",
            history(counts=[*BASE, (7, 120), (1, 130)], injections=course(10, 1)),
            S.COMPLETE_RESPONSE,
            False,
        ),
        (
            "two complete responses 7 days apart: confirmed",
            history(counts=[*BASE, (8, 120), (1, 130)], injections=course(10, 1)),
            S.COMPLETE_RESPONSE,
            True,
        ),
        (
            "bleeding 7 days before the count: not a response",
            history(counts=[*BASE, (1, 45)], injections=course(10, 1), bleeding=[(8, 2)]),
            S.TOO_EARLY,
            False,
        ),
        (
            "bleeding 8 days before the count: a response",
            history(counts=[*BASE, (1, 45)], injections=course(10, 1), bleeding=[(9, 2)]),
            S.RESPONSE,
            False,
        ),
        (
            "bleeding after the count does not undo it",
            history(counts=[*BASE, (3, 45)], injections=course(10, 1), bleeding=[(1, 2)]),
            S.RESPONSE,
            False,
        ),
        (
            "grade 1 is not bleeding for the response",
            history(counts=[*BASE, (1, 45)], injections=course(10, 1), bleeding=[(2, 1)]),
            S.RESPONSE,
            False,
        ),
        (
            "responded, then two low counts on two days: lost",
            history(counts=[*BASE, (8, 45), (3, 25), (1, 22)], injections=course(20, 1)),
            S.LOSS_OF_RESPONSE,
            False,
        ),
        (
            "responded, then two low counts on one day: not yet lost",
            history(counts=[*BASE, (8, 45), (1, 25), (1.2, 22)], injections=course(20, 1)),
            S.RESPONSE,
            False,
        ),
        (
            "responded, one low count after: not lost",
            history(counts=[*BASE, (8, 45), (1, 25)], injections=course(20, 1)),
            S.RESPONSE,
            False,
        ),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_response_status(
    name: str, h: PatientHistory, status: ResponseStatus, confirmed: bool
) -> None:
    assert status_of(h) == (status, confirmed)


def test_course_day_baseline_and_time_to_response() -> None:
    response = run(
        history(counts=[(21, 30), (20, 12), (13, 28), (6, 40)], injections=course(20, 7))
    ).response
    assert response.course_day == 21  # first injection 20 days before T: day 21
    assert (
        response.baseline is not None and response.baseline.value == 12
    )  # the latest on or before
    assert response.time_to_response_days == 14
    assert response.status is S.RESPONSE


def test_the_baseline_can_be_taken_the_same_morning_as_the_first_injection() -> None:
    response = run(
        history(counts=[(10, 11)], injections=course(10, 1))
    ).response  # 08:00, dose 09:00
    assert response.baseline is not None and response.baseline.value == 11


def test_a_count_taken_after_the_first_injection_is_not_its_baseline() -> None:
    h = PatientHistory(
        edd=history().edd,
        counts=[CountPoint(at(10, hour=10), 11.0)],
        injections=[DosePoint(at(10, hour=9), DOSE, WEIGHT)],
    )
    assert run(h).response.baseline is None


def test_courses_are_split_by_a_gap_of_more_than_7_days() -> None:
    together = run(history(injections=[20, 13])).courses
    apart = run(history(injections=[21, 13])).courses
    assert [c.number for c in together] == [2]
    assert [c.number for c in apart] == [1, 1]


def test_the_dose_of_a_course_in_units_and_per_kg() -> None:
    [c] = run(history(injections=course(14, 1))).courses
    assert (c.number, c.units) == (14, 14 * DOSE)
    assert c.per_kg == pytest.approx(14 * DOSE / WEIGHT)
    assert c.per_kg == pytest.approx(4200)


# --- the projection to term --------------------------------------------------------------

FALLING = [(20, 80), (10, 70), (1, 61)]  # about 1 a day
STEEP = [(20, 90), (10, 70), (1, 52)]  # 2 a day: 48.7 by the next midnight


@pytest.mark.parametrize(
    ("name", "h", "raised"),
    [
        ("falling at 31+0", history(pregnant=(31, 0), counts=FALLING), True),
        ("falling at 28+0", history(pregnant=(28, 0), counts=FALLING), True),
        ("falling at 27+6", history(pregnant=(27, 6), counts=FALLING), False),
        ("falling fast at 36+6", history(pregnant=(36, 6), counts=STEEP), True),
        ("falling fast at 37+0", history(pregnant=(37, 0), counts=STEEP), False),
        ("falling slowly at 36+6: 59 by 37+0", history(pregnant=(36, 6), counts=FALLING), False),
        ("two counts only", history(pregnant=(31, 0), counts=FALLING[1:]), False),
        (
            "the third is 22 days old",
            history(pregnant=(31, 0), counts=[(22, 80), *FALLING[1:]]),
            False,
        ),
        (
            "the third is 21 days old",
            history(pregnant=(31, 0), counts=[(21, 80), *FALLING[1:]]),
            True,
        ),
        ("steady", history(pregnant=(31, 0), counts=[(20, 60), (10, 60), (1, 60)]), False),
        (
            "latest below 50 already",
            history(pregnant=(31, 0), counts=[(20, 80), (10, 60), (1, 49.9)]),
            False,
        ),
        (
            # "latest count ≥ 50": exactly 50 and falling is the woman this flag is for
            "latest exactly 50 and falling",
            history(pregnant=(31, 0), counts=[(20, 80), (10, 65), (1, 50)]),
            True,
        ),
        ("delivered", history(pregnant=(33, 0), counts=FALLING, delivered=0.5), False),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_projected_below_delivery(name: str, h: PatientHistory, raised: bool) -> None:
    assert (F.PROJECTED_BELOW_DELIVERY in run(h).codes) is raised


def test_three_counts_at_one_time_draw_no_line() -> None:
    h = history(pregnant=(31, 0), counts=[(1, 80), (1, 70), (1, 60)])
    assert run(h).projection is None


def test_the_projection_is_the_least_squares_line_at_00_00_on_the_day_of_37_0() -> None:
    h = history(pregnant=(31, 0), counts=FALLING)
    projection = run(h).projection
    assert projection is not None
    assert projection.target_date == h.edd - timedelta(days=21)
    # by hand: x in days from the first count, y the values
    xs = [(c.at - h.counts[0].at).total_seconds() / 86400 for c in h.counts]
    ys = [c.value for c in h.counts]
    mx, my = sum(xs) / 3, sum(ys) / 3
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    target_x = (
        datetime.combine(projection.target_date, datetime.min.time()) - h.counts[0].at
    ).total_seconds() / 86400
    assert projection.projected == pytest.approx(my + slope * (target_x - mx))
    flag = next(f for f in run(h).flags if f.code is F.PROJECTED_BELOW_DELIVERY)
    assert f"project {max(projection.projected, 0):.0f} on" in flag.message
    assert "(37+0)" in flag.message


def test_a_projection_exactly_at_the_cutoff_is_not_below_it() -> None:
    flat = history(pregnant=(31, 0), counts=[(20, 50), (10, 50), (1, 50)])
    assert run(flat).projection is not None
    assert F.PROJECTED_BELOW_DELIVERY not in run(flat).codes


# --- what the flags say ------------------------------------------------------------------


def test_a_message_names_the_numbers_it_used() -> None:
    flags = run(history(pregnant=(36, 2), counts=[(3, 42)])).flags
    delivery = next(f for f in flags if f.code is F.DELIVERY_BELOW_CUTOFF)
    assert delivery.message == "latest count 42 on 22 Nov, below the delivery cutoff of 50 at 36+2"
    assert "Provan" in delivery.source
    assert delivery.severity is Severity.CRITICAL


def test_flags_come_most_severe_first_each_at_most_once() -> None:
    flags = run(history(pregnant=(36, 2), counts=[(1, 15)], bleeding=[(1, 3), (2, 2)])).flags
    assert [f.code for f in flags] == [
        F.PLT_CRITICAL,
        F.DELIVERY_BELOW_CUTOFF,
        F.BLEEDING,
        F.NEURAXIAL_BELOW_CUTOFF,
    ]
    assert "WHO grade 3" in flags[2].message


# --- gestational age ---------------------------------------------------------------------


def test_gestational_age_from_the_edd() -> None:
    edd = date(2026, 12, 20)
    assert str(gestational_age(edd, edd)) == "40+0"
    assert str(gestational_age(edd, date(2026, 11, 29))) == "37+0"
    assert str(gestational_age(edd, date(2026, 11, 25))) == "36+3"
    assert date_reaching(edd, GestationalAge.of(37)) == date(2026, 11, 29)
    assert date_reaching(edd, GestationalAge.parse("36+2")) == date(2026, 11, 24)


@pytest.mark.parametrize(
    ("age", "category"),
    [
        ("36+6", TermCategory.PRETERM),
        ("37+0", TermCategory.EARLY_TERM),
        ("38+6", TermCategory.EARLY_TERM),
        ("39+0", TermCategory.FULL_TERM),
        ("40+6", TermCategory.FULL_TERM),
        ("41+0", TermCategory.LATE_TERM),
        ("41+6", TermCategory.LATE_TERM),
        ("42+0", TermCategory.POST_TERM),
    ],
)
def test_term_categories(age: str, category: TermCategory) -> None:
    assert GestationalAge.parse(age).category() is category


def test_once_delivered_the_age_is_the_age_at_delivery() -> None:
    evaluation = run(history(pregnant=(38, 3), delivered=2))
    assert evaluation.gestational_age is None
    assert str(evaluation.age_at_delivery) == "38+1"


# --- T -----------------------------------------------------------------------------------


def test_a_date_means_the_end_of_that_day() -> None:
    assert evaluation_time("2026-11-01") == datetime(2026, 11, 1, 23, 59, 59)
    assert evaluation_time("2026-11-01T08:30") == datetime(2026, 11, 1, 8, 30)
    with pytest.raises(ValueError, match="offset"):
        evaluation_time("2026-11-01T08:30+01:00")


def test_records_after_t_are_ignored() -> None:
    h = history(counts=[(3, 45), (1, 12)])
    assert F.PLT_CRITICAL in run(h).codes
    assert F.PLT_CRITICAL not in run(h, when=at(2)).codes
