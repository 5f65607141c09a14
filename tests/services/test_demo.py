"""The demonstration ward covers what a ward sees, and always looks current."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from itp_monitor.services.container import Services, build_services
from itp_monitor.services.demo import DemoAlreadyLoaded, demo_ward
from itp_monitor.services.results import PatientRecords
from itp_monitor.storage.database import Database


def _ward(services: Services) -> dict[str, PatientRecords]:
    services.demo.load()
    return {
        s.patient.mrn: services.patients.records(s.patient.id)
        for s in services.patients.summaries(include_archived=True)
    }


def _weeks_pregnant(r: PatientRecords, today: date) -> float:
    return (280 - (r.patient.edd - today).days) / 7


def _responded(r: PatientRecords) -> bool:
    """At least 30 and twice the last count before the first injection (the IWG response)."""
    first = r.injections[0].record.given_at
    baseline = [c.record.value for c in r.counts if c.record.collected_at <= first][-1]
    after = [c.record.value for c in r.counts if c.record.collected_at > first]
    return any(v >= 30 and v >= 2 * baseline for v in after)


@pytest.fixture
def ward(services: Services) -> dict[str, PatientRecords]:
    return _ward(services)


def test_about_a_dozen_patients_one_of_them_archived(
    services: Services, ward: dict[str, PatientRecords]
) -> None:
    assert len(ward) == 13
    assert len(services.patients.summaries()) == 12
    assert [mrn for mrn, r in ward.items() if r.patient.archived] == ["DEMO-13"]


def test_a_series_like_the_published_one_four_women_two_responding(
    ward: dict[str, PatientRecords],
) -> None:
    series = [r for r in ward.values() if "Seed series" in (r.patient.details.notes or "")]
    assert len(series) == 4
    assert sorted(_responded(r) for r in series) == [False, False, True, True]


def test_a_woman_near_term_below_the_delivery_cutoff(ward: dict[str, PatientRecords]) -> None:
    today = date(2026, 11, 25)
    near_term_low = [
        mrn
        for mrn, r in ward.items()
        if r.delivery is None and _weeks_pregnant(r, today) >= 36 and r.counts[-1].record.value < 50
    ]
    assert len(near_term_low) >= 2  # one untreated-looking, one non-responder


def test_one_woman_is_bleeding_now(ward: dict[str, PatientRecords]) -> None:
    now = datetime(2026, 11, 25, 12)
    bleeding = [
        mrn
        for mrn, r in ward.items()
        if any(
            b.record.who_grade >= 2 and now - b.record.assessed_at <= timedelta(days=7)
            for b in r.bleeding
        )
    ]
    assert bleeding == ["DEMO-06"]


def test_one_woman_on_treatment_is_overdue_for_a_count(ward: dict[str, PatientRecords]) -> None:
    today = date(2026, 11, 25)
    overdue = [
        mrn
        for mrn, r in ward.items()
        if r.injections
        and (today - r.injections[-1].record.given_at.date()).days <= 21
        and (today - r.counts[-1].record.collected_at.date()).days > 7
    ]
    assert overdue == ["DEMO-07"]


def test_a_delivered_woman_with_newborn_counts(ward: dict[str, PatientRecords]) -> None:
    delivered = [
        mrn
        for mrn, r in ward.items()
        if r.delivery and r.neonatal_counts and not r.patient.archived
    ]
    assert delivered == ["DEMO-08"]
    assert [n.record.value for n in ward["DEMO-08"].neonatal_counts] == [142.0, 118.0, 88.0]


@pytest.mark.parametrize("today", [date(2026, 11, 25), date(2031, 2, 28)])
def test_dates_follow_today_so_the_ward_always_looks_current(today: date) -> None:
    data = demo_ward(today)
    for patient in data["patients"]:
        if patient.get("archived"):
            continue
        latest = max(datetime.fromisoformat(c["collected_at"]) for c in patient["platelet_counts"])
        assert latest.date() < today  # never in the future, whatever the hour
        assert (today - latest.date()).days <= 9
        weeks = (280 - (date.fromisoformat(patient["edd"]) - today).days) / 7
        assert 20 <= weeks <= 39


def test_loading_it_twice_is_refused(services: Services, ward: dict[str, PatientRecords]) -> None:
    with pytest.raises(DemoAlreadyLoaded, match="already in this database"):
        services.demo.load()


def test_it_loads_whatever_the_time_of_day(db: Database) -> None:
    just_after_midnight = datetime(2026, 11, 25, 0, 0, 1)
    services = build_services(db, user="x", clock=lambda: just_after_midnight)
    assert len(services.demo.load().created) == 13
