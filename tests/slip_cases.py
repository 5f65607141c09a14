"""The likely slips each way in is tried with: her records already there, the new one,
and what the app asks (a pattern), or None when it saves the entry at once."""

from __future__ import annotations

from datetime import date, datetime

from helpers import hours_ago

from itp_monitor.domain.records import BleedingAssessment, ClinicalRecord, Injection, PlateletCount

EDD = date(2027, 1, 10)  # the `patient` fixture's: 33+3 on NOW, 2026-11-25 12:00
WEIGHT = 68.0
DOSE = 20400  # 300 U/kg at 68 kg


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def lab(value: float, when: datetime) -> PlateletCount:
    return PlateletCount(when, value, "lab")


def dose(when: datetime) -> Injection:
    return Injection(when, DOSE, WEIGHT)


# (what, her records already there, the new record, what the app asks: a pattern or None)
Case = tuple[str, list[ClinicalRecord], ClinicalRecord, str | None]

CASES: list[Case] = [
    (
        "a second injection 12 hours after another",
        [dose(at("2026-11-24 23:00"))],
        dose(at("2026-11-25 11:00")),
        r"given_at: another injection \(20,400 U\) is recorded at 2026-11-24 23:00, 12 hours "
        r"earlier; rhTPO is given once a day, and a second injection within 12 hours",
    ),
    (
        "a second injection 12 hours before another",
        [dose(at("2026-11-25 11:00"))],
        dose(at("2026-11-24 23:00")),
        r"given_at: another injection \(20,400 U\) is recorded at 2026-11-25 11:00, 12 hours later",
    ),
    (
        "an injection 12 hours and a minute after another",
        [dose(at("2026-11-24 23:00"))],
        dose(at("2026-11-25 11:01")),
        None,
    ),
    ("a count of 0", [], lab(0, hours_ago(1)), r"value: a count of 0 ×10⁹/L is seldom real"),
    ("a count of 0.1", [], lab(0.1, hours_ago(1)), None),
    (
        "a count that more than halved within a day",
        [lab(100, at("2026-11-24 16:00"))],
        lab(49.9, at("2026-11-25 11:00")),
        r"value: 49.9 is less than half of her count of 100 at 2026-11-24 16:00, 19 hours "
        r"before; a count seldom changes so much within 24 hours",
    ),
    (
        "a count that halved exactly",
        [lab(100, at("2026-11-24 16:00"))],
        lab(50, at("2026-11-25 11:00")),
        None,
    ),
    (
        "a count that more than tripled within a day",
        [lab(20, at("2026-11-24 16:00"))],
        lab(60.1, at("2026-11-25 11:00")),
        r"value: 60.1 is more than three times her count of 20 at 2026-11-24 16:00",
    ),
    (
        "a count that tripled exactly",
        [lab(20, at("2026-11-24 16:00"))],
        lab(60, at("2026-11-25 11:00")),
        None,
    ),
    (
        "a halving 23 hours 59 minutes apart",
        [lab(100, at("2026-11-24 11:01"))],
        lab(40, at("2026-11-25 11:00")),
        r"value: 40 is less than half of her count of 100 at 2026-11-24 11:01, 24 hours before",
    ),
    (
        "a halving 24 hours apart",
        [lab(100, at("2026-11-24 11:00"))],
        lab(40, at("2026-11-25 11:00")),
        None,
    ),
    (
        "an earlier count entered after a later one that is less than half of it",
        [lab(40, at("2026-11-25 11:00"))],
        lab(100, at("2026-11-25 07:00")),
        r"value: her count at 2026-11-25 11:00, 4 hours later, 40, is less than half of this 100",
    ),
    (
        "an earlier count entered after a later one more than three times it",
        [lab(20, at("2026-11-25 11:00"))],
        lab(5, at("2026-11-25 07:00")),
        r"value: her count at 2026-11-25 11:00, 4 hours later, 20, is more than three times this 5",
    ),
    (
        "a count 301 days before the EDD",
        [],
        lab(42, at("2026-03-15 23:59")),
        r"collected_at: 2026-03-15 23:59 is 301 days before her EDD \(2027-01-10\), more than "
        r"300 days: before this pregnancy began",
    ),
    ("a count 300 days before the EDD", [], lab(42, at("2026-03-16 00:00")), None),
    (
        "a bleeding assessment 301 days before the EDD",
        [],
        BleedingAssessment(at("2026-03-15 08:00"), 1),
        r"assessed_at: 2026-03-15 08:00 is 301 days before her EDD",
    ),
]
