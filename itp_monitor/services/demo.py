"""The demonstration ward: a dozen made-up women covering what an obstetric ward sees.

Every date is relative to today, so the ward always looks current; every record
is timed yesterday or earlier, so none is in the future whatever the hour. The
ward is a record file, loaded through the ordinary import with all its checks.
MRNs start with DEMO- so the patients cannot be taken for real ones.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

from itp_monitor.domain.protocol import default_protocol
from itp_monitor.services.context import Clock
from itp_monitor.services.exchange import ExchangeService
from itp_monitor.services.patients import PatientService
from itp_monitor.services.results import ImportOutcome

DEMO_PREFIX = "DEMO-"


class DemoAlreadyLoaded(ValueError):
    pass


class _Ward:
    """Helpers that turn day offsets from today into record-file entries."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.dose_per_kg = default_protocol().dose_per_kg
        self.accessions = itertools.count(1)

    def at(self, day: int, hour: int = 8, minute: int = 0) -> str:
        assert day < 0, "demo records are timed yesterday or earlier"
        moment = datetime.combine(self.today + timedelta(days=day), time(hour, minute))
        return moment.isoformat()

    def edd_for(self, weeks: int, days: int) -> str:
        """The EDD of a woman who is weeks+days pregnant today."""
        return (self.today + timedelta(days=280 - (7 * weeks + days))).isoformat()

    def counts(self, *pairs: tuple[int, float]) -> list[dict[str, Any]]:
        return [
            {
                "collected_at": self.at(day),
                "value": value,
                "source": "lab",
                "accession": f"DEMO-L{next(self.accessions):05d}",
            }
            for day, value in pairs
        ]

    def course(self, first: int, last: int, weight: float, every: int = 1) -> list[dict[str, Any]]:
        """Daily injections (or every `every` days) of the protocol dose."""
        sites = ("abdomen-left", "abdomen-right", "thigh-left", "thigh-right")
        dose = round(self.dose_per_kg * weight / 100) * 100  # drawn up to the nearest 100 U
        return [
            {
                "given_at": self.at(day, 9),
                "dose_units": dose,
                "weight_kg": weight,
                "site": sites[i % len(sites)],
                "lot": "TP2611A",
                "given_by": "RN Demo",
            }
            for i, day in enumerate(range(first, last + 1, every))
        ]


def demo_ward(today: date) -> dict[str, Any]:
    """The demonstration ward as a record file, dated from `today`."""
    w = _Ward(today)
    series = "Demonstration patient. Seed series (as Yu 2023): four women, two respond."
    patients: list[dict[str, Any]] = [
        {
            "mrn": "DEMO-01",
            "name": "Amelia Hart",
            "date_of_birth": "1994-03-12",
            "edd": w.edd_for(33, 2),
            "weight_kg": 64.0,
            "notes": series,
            "platelet_counts": w.counts(
                (-22, 14), (-17, 19), (-13, 38), (-10, 62), (-6, 88), (-2, 95)
            ),
            "injections": w.course(-20, -7, 64.0),
            "bleeding_assessments": [
                {"assessed_at": w.at(-21, 10), "who_grade": 1, "notes": "petechiae on the shins"}
            ],
            "adverse_events": [
                {
                    "onset_at": w.at(-15, 14),
                    "description": "headache",
                    "grade": 1,
                    "related_to_rhtpo": None,
                }
            ],
        },
        {
            "mrn": "DEMO-02",
            "name": "Beatriz Lopes",
            "date_of_birth": "1990-08-30",
            "edd": w.edd_for(35, 0),
            "weight_kg": 71.0,
            "notes": series,
            "platelet_counts": w.counts(
                (-27, 22), (-22, 41), (-18, 76), (-14, 112), (-7, 126), (-3, 118)
            ),
            "injections": w.course(-25, -12, 71.0),
            "treatments": [
                {
                    "kind": "prednisone",
                    "started_at": w.at(-60, 0)[:10],
                    "ended_at": w.at(-30, 0)[:10],
                    "dose": "20 mg daily",
                }
            ],
        },
        {
            "mrn": "DEMO-03",
            "name": "Chloe Osei",
            "date_of_birth": "1996-11-05",
            "edd": w.edd_for(37, 1),
            "weight_kg": 68.0,
            "notes": series,
            "platelet_counts": w.counts(
                (-19, 12), (-15, 15), (-11, 18), (-7, 16), (-4, 19), (-1, 21)
            ),
            "injections": w.course(-18, -5, 68.0),
            "bleeding_assessments": [
                {
                    "assessed_at": w.at(-19, 10),
                    "who_grade": 1,
                    "notes": "petechiae, gum bleeding on brushing",
                }
            ],
            "treatments": [
                {
                    "kind": "ivig",
                    "started_at": w.at(-4, 11),
                    "ended_at": w.at(-3, 15),
                    "dose": "1 g/kg on two days",
                }
            ],
        },
        {
            "mrn": "DEMO-04",
            "name": "Dana Whitfield",
            "date_of_birth": "1988-01-22",
            "edd": w.edd_for(30, 4),
            "weight_kg": 59.0,
            "notes": series,
            "platelet_counts": w.counts((-17, 25), (-13, 27), (-9, 24), (-5, 28), (-2, 26)),
            "injections": w.course(-16, -3, 59.0),
            "treatments": [
                {"kind": "prednisone", "started_at": w.at(-40, 0)[:10], "dose": "10 mg daily"}
            ],
        },
        {
            "mrn": "DEMO-05",
            "name": "Eilidh MacLeod",
            "date_of_birth": "1992-06-14",
            "edd": w.edd_for(36, 5),
            "weight_kg": 76.0,
            "notes": "Demonstration patient. Near term, count below the delivery cutoff.",
            "platelet_counts": w.counts((-6, 31), (-4, 36), (-2, 42)),
            "injections": w.course(-5, -1, 76.0),
        },
        {
            "mrn": "DEMO-06",
            "name": "Fatima Rahman",
            "date_of_birth": "1998-09-03",
            "edd": w.edd_for(26, 3),
            "weight_kg": 55.0,
            "notes": "Demonstration patient. Bleeding with a critical count.",
            "platelet_counts": w.counts((-4, 16), (-1, 9)),
            "injections": w.course(-3, -1, 55.0),
            "bleeding_assessments": [
                {
                    "assessed_at": w.at(-1, 9, 30),
                    "who_grade": 2,
                    "notes": "epistaxis for 40 minutes, gum bleeding",
                }
            ],
            "treatments": [
                {
                    "kind": "platelet_transfusion",
                    "started_at": w.at(-1, 12),
                    "ended_at": w.at(-1, 13),
                    "dose": "1 adult dose",
                }
            ],
        },
        {
            "mrn": "DEMO-07",
            "name": "Grace Ndlovu",
            "date_of_birth": "1991-12-19",
            "edd": w.edd_for(32, 0),
            "weight_kg": 66.0,
            "notes": "Demonstration patient. On treatment, last count 9 days ago.",
            "platelet_counts": w.counts((-15, 22), (-13, 27), (-9, 48)),
            "injections": w.course(-14, -3, 66.0),
        },
        {
            "mrn": "DEMO-08",
            "name": "Hannah Kowalski",
            "date_of_birth": "1993-04-02",
            # delivered 3 days ago at 38+2
            "edd": (today + timedelta(days=-3 + 280 - (38 * 7 + 2))).isoformat(),
            "weight_kg": 70.0,
            "notes": "Demonstration patient. Delivered; newborn count falling.",
            "platelet_counts": w.counts(
                (-30, 19), (-24, 44), (-17, 81), (-10, 92), (-4, 86), (-2, 74)
            ),
            "injections": w.course(-28, -15, 70.0),
            "delivery": {
                "delivered_at": w.at(-3, 14, 20),
                "mode": "caesarean",
                "anaesthesia": "neuraxial",
                "blood_loss_ml": 650,
            },
            "neonatal_counts": [
                {"collected_at": w.at(-3, 14, 30), "value": 142.0, "notes": "cord blood"},
                {"collected_at": w.at(-2, 8), "value": 118.0},
                {"collected_at": w.at(-1, 8), "value": 88.0},
            ],
        },
        {
            "mrn": "DEMO-09",
            "name": "Ines Duarte",
            "date_of_birth": "1995-07-27",
            "edd": w.edd_for(34, 1),
            "weight_kg": 62.0,
            "notes": "Demonstration patient. Responded, then lost the response.",
            "platelet_counts": w.counts(
                (-31, 18), (-24, 45), (-18, 52), (-10, 33), (-6, 26), (-2, 22)
            ),
            "injections": w.course(-30, -17, 62.0),
        },
        {
            "mrn": "DEMO-10",
            "name": "Julia Brandt",
            "date_of_birth": "1989-02-08",
            "edd": w.edd_for(31, 0),
            "weight_kg": 73.0,
            "notes": "Demonstration patient. Untreated; counts falling towards term.",
            "platelet_counts": w.counts((-20, 88), (-13, 80), (-6, 74), (-1, 69)),
        },
        {
            "mrn": "DEMO-11",
            "name": "Keiko Tanaka",
            "date_of_birth": "1994-10-16",
            "edd": w.edd_for(29, 2),
            "weight_kg": 52.0,
            "notes": "Demonstration patient. Overshoot above 400 while still injecting.",
            "platelet_counts": w.counts((-15, 28), (-11, 64), (-8, 158), (-4, 312), (-1, 431)),
            "injections": w.course(-14, -1, 52.0),
            "adverse_events": [
                {
                    "onset_at": w.at(-10, 9, 30),
                    "description": "erythema at the injection site",
                    "grade": 1,
                    "related_to_rhtpo": True,
                }
            ],
        },
        {
            "mrn": "DEMO-12",
            "name": "Laila Haddad",
            "date_of_birth": "1997-05-01",
            "edd": w.edd_for(20, 1),
            "weight_kg": 61.0,
            "notes": "Demonstration patient. Mild thrombocytopenia, watched, untreated.",
            "platelet_counts": w.counts((-28, 95), (-14, 86), (-1, 78)),
        },
        {
            "mrn": "DEMO-13",
            "name": "Maria Petrova",
            "date_of_birth": "1987-03-09",
            "edd": (today - timedelta(days=200)).isoformat(),
            "weight_kg": 67.0,
            "notes": "Demonstration patient. Delivered last spring; archived.",
            "archived": True,
            "platelet_counts": w.counts((-236, 21), (-228, 58), (-214, 104), (-203, 97)),
            "injections": w.course(-234, -221, 67.0),
            "delivery": {
                "delivered_at": w.at(-202, 3, 45),
                "mode": "vaginal",
                "anaesthesia": "neuraxial",
                "blood_loss_ml": 350,
            },
            "neonatal_counts": [
                {"collected_at": w.at(-202, 4), "value": 210.0, "notes": "cord blood"}
            ],
        },
    ]
    return {"format": "itp-monitor/1", "patients": patients}


class DemoService:
    def __init__(self, exchange: ExchangeService, patients: PatientService, clock: Clock) -> None:
        self.exchange = exchange
        self.patients = patients
        self.clock = clock

    def load(self) -> ImportOutcome:
        """Adds the demonstration ward; refused if it is already there."""
        data = demo_ward(self.clock().date())
        present = [p["mrn"] for p in data["patients"] if self.patients.find(p["mrn"])]
        if present:
            raise DemoAlreadyLoaded(
                f"the demonstration ward is already in this database ({', '.join(present[:3])}"
                f"{' …' if len(present) > 3 else ''})"
            )
        return self.exchange.import_data(data, source="the demonstration ward")
