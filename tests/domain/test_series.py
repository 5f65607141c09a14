"""The case series: each course judged at the end of its follow-up, and the table's facts."""

from __future__ import annotations

from datetime import date, timedelta

from rule_builders import T, at, course, history

from itp_monitor.domain.protocol import default_protocol
from itp_monitor.domain.records import AdverseEvent, Delivery, PatientDetails, Treatment
from itp_monitor.domain.response import ResponseStatus
from itp_monitor.domain.series import age_on, course_outcomes, series_rows, summarise

P = default_protocol()
FOLLOW_UP = P.course_gap_days + P.follow_up_days


def details(**more: object) -> PatientDetails:
    values: dict[str, object] = {
        "mrn": "A1",
        "name": "Jane Doe",
        "edd": history(pregnant=(30, 0)).edd,
        "date_of_birth": date(1993, 4, 2),
    }
    values.update(more)
    return PatientDetails(**values)  # type: ignore[arg-type]


def test_a_finished_course_is_judged_at_the_end_of_its_follow_up_not_today() -> None:
    # Responded during the course (12 -> 60), then fell back long after its follow-up.
    h = history(
        counts=[(70, 12), (60, 60), (55, 62), (5, 10), (2, 9)],
        injections=course(70, 57),
    )
    (outcome,) = course_outcomes(h, T, P)
    assert outcome.response.status is ResponseStatus.RESPONSE
    assert not outcome.response.confirmed  # 60 and 62 are 5 days apart, not 7
    assert outcome.judged_at == at(57, 9) + timedelta(days=FOLLOW_UP)
    assert outcome.days == 14 and outcome.course.number == 14


def test_an_earlier_course_is_judged_before_the_next_one_starts() -> None:
    h = history(
        counts=[(80, 12), (70, 14), (67, 13), (30, 11), (20, 45), (12, 50)],
        injections=course(80, 67) + course(30, 17),
    )
    first, second = course_outcomes(h, T, P)
    assert (first.number, second.number) == (1, 2)
    assert first.response.status is ResponseStatus.NO_RESPONSE
    assert first.judged_at < at(30, 9)  # the second course's first injection
    assert second.response.status is ResponseStatus.RESPONSE
    assert second.response.baseline is not None and second.response.baseline.value == 11


def test_the_current_course_is_judged_at_t_as_on_the_board() -> None:
    h = history(counts=[(6, 12), (1, 14)], injections=course(5, 0))
    (outcome,) = course_outcomes(h, T, P)
    assert outcome.judged_at == T
    assert outcome.response.status is ResponseStatus.TOO_EARLY


def test_a_row_has_the_facts_of_the_published_tables() -> None:
    h = history(
        counts=[(40, 15), (35, 40), (25, 80), (3, 75)],
        injections=course(40, 27),
        delivered=2,
        newborn=[(2, 140), (1, 95)],
    )
    delivery = Delivery(at(2, 14), "caesarean", "neuraxial", 600)
    treatments = [
        Treatment("ivig", at(50)),
        Treatment("prednisone", at(45)),
        Treatment("ivig", at(20)),
        Treatment("platelet_transfusion", at(0, 23)),  # after the moment of the table
    ]
    events = [AdverseEvent(at(30), "headache", 1)]
    (row,) = series_rows(details(), h, treatments, delivery, events, at(0, 12), P)
    assert row.age_years == age_on(date(1993, 4, 2), at(40).date())
    assert str(row.ga_first_injection) == "24+2"  # 30+0 on T's date, 40 days earlier
    assert row.outcome.response.baseline is not None
    assert row.outcome.response.baseline.value == 15
    assert row.outcome.response.best is not None and row.outcome.response.best.value == 80
    assert row.outcome.response.time_to_response_days == 5
    assert row.other_treatments == ("ivig", "prednisone")  # each once; none after T
    assert row.count_before_delivery is not None and row.count_before_delivery.value == 75
    assert row.ga_delivery is not None and str(row.ga_delivery) == "29+5"
    assert row.newborn_lowest == 95
    assert [e.description for e in row.adverse_events] == ["headache"]


def test_no_course_no_row_and_the_summary_counts_courses() -> None:
    untreated = history(counts=[(3, 40)])
    assert series_rows(details(), untreated, [], None, [], T, P) == []
    treated = history(counts=[(40, 15), (30, 120), (20, 130)], injections=course(40, 27))
    rows = series_rows(details(), treated, [], None, [], T, P)
    rows += series_rows(
        details(mrn="B2"),
        history(counts=[(40, 15), (25, 16)], injections=course(40, 27)),
        [],
        None,
        [],
        T,
        P,
    )
    summary = summarise(rows)
    assert (summary.women, summary.courses, summary.responded, summary.complete) == (2, 2, 1, 1)
    assert summary.responded_percent == 50


def test_age_in_whole_years() -> None:
    assert age_on(date(1993, 4, 2), date(2026, 4, 1)) == 32
    assert age_on(date(1993, 4, 2), date(2026, 4, 2)) == 33


def test_records_after_t_are_left_out() -> None:
    h = history(counts=[(20, 15), (10, 60)], injections=course(20, 7))
    (row,) = series_rows(details(), h, [], None, [], at(15), P)
    assert row.outcome.course.number == 5  # 20 to 16 days before; 15 days before is at 09:00
    assert row.outcome.response.best is None  # no count in the course by then
    assert row.first_injection == at(20, 9)
