"""Likely slips ask before they are saved in the app, naming the numbers; never a refusal.

Each rule on both sides of its threshold through the RecordService (corrections
too, judged against her other records), the gestation at admission, and each
threshold the protocol's: change the setting, the question moves. Files:
test_likely_slips_from_files.py.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from typing import Any

import pytest
from helpers import NOW, USER, hours_ago
from slip_cases import CASES, WEIGHT, at, dose, lab
from sqlalchemy import insert

from itp_monitor.domain.records import ClinicalRecord, Delivery, PatientDetails
from itp_monitor.domain.slips import Nearby
from itp_monitor.services import recorder as recorder_module
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.errors import NeedsConfirmation
from itp_monitor.services.results import PatientInfo
from itp_monitor.storage.models import PlateletCountRow


def asks(services: Services, patient_id: int, record: ClinicalRecord) -> str | None:
    """What the app asks before saving `record`, or None when it saves it at once.

    When it asks, nothing is saved until the entry is confirmed; confirmed, it is saved.
    """
    before = services.patients.records(patient_id)
    try:
        services.records.record(patient_id, record)
    except NeedsConfirmation as question:
        assert services.patients.records(patient_id) == before
        assert services.records.record(patient_id, record, confirmed=True).record == record
        return str(question)
    return None


@pytest.mark.parametrize(("what", "before", "record", "question"), CASES, ids=[c[0] for c in CASES])
def test_the_app_asks_before_saving_a_likely_slip_and_saves_it_once_confirmed(
    services: Services,
    patient: PatientInfo,
    what: str,
    before: list[ClinicalRecord],
    record: ClinicalRecord,
    question: str | None,
) -> None:
    for earlier in before:
        services.records.record(patient.id, earlier)
    asked = asks(services, patient.id, record)
    if question is None:
        assert asked is None
    else:
        assert asked is not None and re.search(question, asked), asked


def test_a_record_more_than_a_year_after_the_edd_is_asked_about(services: Services) -> None:
    her = services.patients.add(
        PatientDetails("P2", "Pat Old", date(2025, 11, 24), weight_kg=WEIGHT), confirmed=True
    )
    assert asks(services, her.id, lab(42, at("2026-11-24 23:59"))) is None  # 365 days after
    question = asks(services, her.id, lab(43, at("2026-11-25 00:00")))
    assert question == (
        "collected_at: 2026-11-25 00:00 is 366 days after her EDD (2025-11-24), "
        "more than 365 days: long after this pregnancy"
    )


def test_corrections_are_judged_against_her_other_records_not_their_own_old_version(
    services: Services, patient: PatientInfo
) -> None:
    first = services.records.record(patient.id, lab(100, at("2026-11-25 08:00")))
    # 100 -> 45 halves against nothing: the version being corrected is not one of her others.
    corrected = services.records.correct(
        first.id, dataclasses.replace(first.record, value=45), "typo"
    )
    other = services.records.record(patient.id, lab(44, at("2026-11-25 10:00")))
    with pytest.raises(NeedsConfirmation, match=r"value: 150 is more than three times her count"):
        services.records.correct(other.id, dataclasses.replace(other.record, value=150), "typo")
    assert services.patients.records(patient.id).counts[-1].record.value == 44
    saved = services.records.correct(
        other.id, dataclasses.replace(other.record, value=150), "typo", confirmed=True
    )
    assert [c.record.value for c in services.patients.records(patient.id).counts] == [45, 150]
    assert corrected.supersedes_id == first.id and saved.supersedes_id == other.id


def test_moving_an_injection_within_12_hours_of_another_is_asked_about(
    services: Services, patient: PatientInfo
) -> None:
    services.records.record(patient.id, dose(at("2026-11-24 09:00")))
    second = services.records.record(patient.id, dose(at("2026-11-25 09:00")))
    with pytest.raises(NeedsConfirmation, match=r"another injection .* 2026-11-24 09:00, 6 hours"):
        services.records.correct(
            second.id, dataclasses.replace(second.record, given_at=at("2026-11-24 15:00")), "time"
        )


# --- the gestation at admission ---------------------------------------------------------


def admitted(edd: date) -> PatientDetails:
    return PatientDetails("N1", "New Woman", edd, weight_kg=WEIGHT)


@pytest.mark.parametrize(
    ("edd", "question"),
    [
        (date(2026, 11, 11), None),  # 42+0 today
        (
            date(2026, 11, 10),
            r"edd: 2026-11-10 makes her 42\+1 today \(2026-11-25\), over 42\+0; is the EDD right\?",
        ),
        (date(2026, 10, 14), r"edd: 2026-10-14 makes her 46\+0 today"),  # an EDD 6 weeks past
        (date(2027, 8, 4), None),  # 4+0 today
        (date(2027, 8, 5), r"edd: 2027-08-05 makes her 3\+6 today \(2026-11-25\), under 4\+0"),
        (
            date(2027, 9, 21),
            r"edd: 2027-09-21 makes her not yet pregnant \(300 days before her EDD; a "
            r"pregnancy is 280\) today",
        ),
    ],
)
def test_a_gestation_at_admission_over_42_or_under_4_weeks_is_asked_about(
    services: Services, edd: date, question: str | None
) -> None:
    if question is None:
        services.patients.add(admitted(edd))
    else:
        with pytest.raises(NeedsConfirmation, match=question):
            services.patients.add(admitted(edd))
        assert services.patients.find("N1") is None
        services.patients.add(admitted(edd), confirmed=True)
    assert services.patients.find("N1") is not None


def test_correcting_her_details_asks_about_the_gestation_only_when_the_edd_changes(
    services: Services,
) -> None:
    her = services.patients.add(admitted(date(2026, 11, 11)))  # 42+0: she delivers soon
    later = build_services(services.db, user=USER, clock=lambda: NOW + timedelta(days=60))
    # Two months on she is "50+4" by her EDD, but only her weight is corrected: no question.
    later.patients.correct(her.id, dataclasses.replace(her.details, weight_kg=70.0), "weighed")
    moved = dataclasses.replace(her.details, weight_kg=70.0, edd=date(2026, 11, 12))
    with pytest.raises(NeedsConfirmation, match=r"edd: 2026-11-12 makes her 50\+3 today"):
        later.patients.correct(her.id, moved, "dating scan")
    later.patients.correct(her.id, moved, "dating scan", confirmed=True)
    assert later.patients.get(her.id).edd == date(2026, 11, 12)


def test_after_her_delivery_a_corrected_edd_is_not_judged_by_today(
    services: Services, patient: PatientInfo
) -> None:
    services.records.record(patient.id, Delivery(hours_ago(5), "caesarean"))
    long_past = dataclasses.replace(patient.details, edd=date(2026, 9, 1))  # 50+0 "today"
    services.patients.correct(patient.id, long_past, "EDD from the dating scan")
    assert services.patients.get(patient.id).edd == date(2026, 9, 1)


# --- the thresholds are the protocol's ---------------------------------------------------


def ask_after(services: Services, patient: PatientInfo, before: list[Any], record: Any) -> bool:
    for earlier in before:
        services.records.record(patient.id, earlier, confirmed=True)
    try:
        services.records.record(patient.id, record)
    except NeedsConfirmation:
        return True
    return False


MOVES: list[tuple[str, float, list[Any], Any, bool]] = [
    # setting, new value, her records, the new one, asked under the default
    ("second_injection_within_hours", 6, [dose(hours_ago(9))], dose(hours_ago(1)), True),
    ("count_confirm_at_most", 2, [], lab(1.5, hours_ago(1)), False),
    ("count_change_within_hours", 12, [lab(100, hours_ago(21))], lab(40, hours_ago(1)), True),
    ("count_fall_fold", 3, [lab(100, hours_ago(5))], lab(40, hours_ago(1)), True),
    ("count_rise_fold", 4, [lab(20, hours_ago(5))], lab(70, hours_ago(1)), True),
    ("record_before_edd_days", 350, [], lab(42, at("2026-03-01 08:00")), True),
]


@pytest.mark.parametrize(
    ("key", "value", "before", "record", "by_default"), MOVES, ids=[m[0] for m in MOVES]
)
def test_each_threshold_is_a_protocol_setting(
    services: Services,
    patient: PatientInfo,
    key: str,
    value: float,
    before: list[Any],
    record: Any,
    by_default: bool,
) -> None:
    services.protocol.change(key, value, "the unit's own threshold")
    assert ask_after(services, patient, before, record) is not by_default


def test_the_gestation_thresholds_are_protocol_settings(services: Services) -> None:
    at_43 = admitted(date(2026, 11, 4))  # 43+0 today
    with pytest.raises(NeedsConfirmation):
        services.patients.add(at_43)
    services.protocol.change("entry_gestation_max_weeks", 44, "post-dates clinic")
    services.protocol.change("entry_gestation_min_weeks", 6, "booked from 6 weeks")
    services.patients.add(at_43)
    with pytest.raises(NeedsConfirmation, match=r"under 6\+0"):
        services.patients.add(PatientDetails("N2", "Early", date(2027, 7, 22)))  # 5+6


def test_a_save_reads_only_her_records_near_its_time(
    services: Services, patient: PatientInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A woman with 500 counts: the check of a new one reads the day around it, not all."""
    stamp = {"status": "current", "entered_at_utc": NOW, "entered_by": "test", "source": "lab"}
    with services.db.writing() as session:
        session.execute(
            insert(PlateletCountRow),
            [
                {"patient_id": patient.id, "collected_at": hours_ago(6 * k + 3), "value": 60.0}
                | stamp
                for k in range(500)
            ],
        )
    seen: list[Nearby] = []
    real = recorder_module.nearby

    def spying(*args: Any) -> Nearby:
        seen.append(real(*args))
        return seen[-1]

    monkeypatch.setattr(recorder_module, "nearby", spying)
    with pytest.raises(NeedsConfirmation, match=r"value: 25 is less than half of her count of 60"):
        services.records.record(patient.id, lab(25, hours_ago(1)))
    [around] = seen
    assert sorted(at for at, _ in around.counts) == [hours_ago(h) for h in (21, 15, 9, 3)]
