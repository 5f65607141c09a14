"""Tables that leave the ward: counts and injections as CSV, and the case-series table.

Both are written whole or not at all (services/files.py), as UTF-8 with a byte
order mark so that a spreadsheet opened by double-click shows names and units
as typed. The case series is de-identified unless asked otherwise: cases are
numbered by the date of their first injection, there are no names, MRNs or
dates, and her name or MRN typed into an adverse event's description is
replaced by "[patient]" (docs/command-line.md).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from itp_monitor.domain.problems import fmt_time
from itp_monitor.domain.protocol import ProtocolInForce
from itp_monitor.domain.series import SeriesRow, SeriesSummary, series_rows, summarise
from itp_monitor.services.context import to_utc
from itp_monitor.services.evaluation import history_of
from itp_monitor.services.fhir import patient_bundle
from itp_monitor.services.files import write_atomically
from itp_monitor.services.patients import load_records, patients_named
from itp_monitor.services.protocol_store import protocol_in_force
from itp_monitor.services.results import PatientRecords
from itp_monitor.services.unit import ServiceBase

ENCODING = "utf-8-sig"  # a BOM: spreadsheets then read the file as UTF-8
RECORD_COLUMNS = (
    "mrn",
    "name",
    "record",
    "time",
    "platelets_10e9_per_l",
    "source",
    "accession",
    "dose_units",
    "weight_kg",
    "dose_u_per_kg",
    "site",
    "lot",
    "given_by",
    "entered_by",
    "entered_at_utc",
)
IDENTIFYING = ("mrn", "name", "first_injection", "delivered_on")
SERIES_COLUMNS = (
    "case",
    "course",
    *IDENTIFYING,
    "age_years",
    "ga_first_injection",
    "baseline",
    "peak",
    "time_to_response_days",
    "response",
    "response_confirmed",
    "injections",
    "course_days",
    "total_dose_units",
    "total_dose_u_per_kg",
    "other_treatments",
    "count_before_delivery",
    "delivery_mode",
    "ga_delivery",
    "anaesthesia",
    "blood_loss_ml",
    "newborn_lowest",
    "adverse_events",
)
SCRUBBED = "[patient]"


def csv_text(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return out.getvalue()


def number(value: float | None) -> float | int | None:
    """42.0 -> 42: numbers as a person would type them."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 2)


def record_rows(records: PatientRecords) -> list[dict[str, Any]]:
    """Her counts and injections in time order, one row each."""
    who = {"mrn": records.patient.mrn, "name": records.patient.name}
    rows: list[tuple[datetime, int, dict[str, Any]]] = []
    for c in records.counts:
        count = c.record
        rows.append(
            (
                count.collected_at,
                0,
                {
                    **who,
                    "record": "platelet_count",
                    "time": fmt_time(count.collected_at),
                    "platelets_10e9_per_l": number(count.value),
                    "source": count.source,
                    "accession": count.accession,
                    "entered_by": c.entered_by,
                    "entered_at_utc": fmt_time(c.entered_at_utc),
                },
            )
        )
    for i in records.injections:
        dose = i.record
        rows.append(
            (
                dose.given_at,
                1,
                {
                    **who,
                    "record": "rhtpo_injection",
                    "time": fmt_time(dose.given_at),
                    "dose_units": dose.dose_units,
                    "weight_kg": number(dose.weight_kg),
                    "dose_u_per_kg": number(dose.dose_units / dose.weight_kg),
                    "site": dose.site,
                    "lot": dose.lot,
                    "given_by": dose.given_by,
                    "entered_by": i.entered_by,
                    "entered_at_utc": fmt_time(i.entered_at_utc),
                },
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]


@dataclass(frozen=True)
class CaseSeries:
    at: datetime
    rows: tuple[SeriesRow, ...]  # in case order
    summary: SeriesSummary
    protocol: ProtocolInForce

    def table(self, identified: bool = False) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
        """The columns and one dict per row, values as the CSV writes them."""
        columns = (
            SERIES_COLUMNS
            if identified
            else tuple(c for c in SERIES_COLUMNS if c not in IDENTIFYING)
        )
        cases: dict[str, int] = {}
        out = []
        for row in self.rows:
            case = cases.setdefault(row.details.mrn, len(cases) + 1)
            values = series_values(row, case)
            if not identified:
                values["adverse_events"] = scrub(values["adverse_events"], row)
            out.append(values)
        return columns, out


def scrub(text: str | None, row: SeriesRow) -> str | None:
    """Her MRN, her full name and each part of it longer than two letters -> [patient]."""
    if not text:
        return text
    parts = [row.details.mrn, row.details.name, *row.details.name.split()]
    for part in sorted({p for p in parts if len(p) > 2}, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(part)}\b", SCRUBBED, text, flags=re.IGNORECASE)
    return text


def series_values(row: SeriesRow, case: int) -> dict[str, Any]:
    outcome, response = row.outcome, row.outcome.response
    delivery = row.delivery
    return {
        "case": case,
        "course": outcome.number,
        "mrn": row.details.mrn,
        "name": row.details.name,
        "first_injection": f"{row.first_injection:%Y-%m-%d}",
        "delivered_on": f"{delivery.delivered_at:%Y-%m-%d}" if delivery else None,
        "age_years": row.age_years,
        "ga_first_injection": str(row.ga_first_injection),
        "baseline": number(response.baseline.value) if response.baseline else None,
        "peak": number(response.best.value) if response.best else None,
        "time_to_response_days": response.time_to_response_days,
        "response": response.status.value,
        "response_confirmed": "yes" if response.confirmed else "no",
        "injections": outcome.course.number,
        "course_days": outcome.days,
        "total_dose_units": outcome.course.units,
        "total_dose_u_per_kg": round(outcome.course.per_kg),
        "other_treatments": "; ".join(row.other_treatments) or None,
        "count_before_delivery": (
            number(row.count_before_delivery.value) if row.count_before_delivery else None
        ),
        "delivery_mode": delivery.mode if delivery else None,
        "ga_delivery": str(row.ga_delivery) if row.ga_delivery else None,
        "anaesthesia": delivery.anaesthesia if delivery else None,
        "blood_loss_ml": delivery.blood_loss_ml if delivery else None,
        "newborn_lowest": number(row.newborn_lowest),
        "adverse_events": "; ".join(
            f"{e.description} (grade {e.grade})" for e in row.adverse_events
        )
        or None,
    }


class ExportService(ServiceBase):
    def records(self, mrns: Sequence[str] | None = None) -> list[PatientRecords]:
        with self.db.reading() as session:
            return load_records(session, patients_named(session, mrns))

    def records_csv(self, mrns: Sequence[str] | None = None) -> tuple[str, int]:
        """The CSV of counts and injections, and how many patients it holds."""
        found = self.records(mrns)
        rows = [row for records in found for row in record_rows(records)]
        return csv_text(RECORD_COLUMNS, rows), len(found)

    def write_records_csv(self, path: Path, mrns: Sequence[str] | None = None) -> int:
        text, patients = self.records_csv(mrns)
        write_atomically(path, text.encode(ENCODING))
        return patients

    def fhir_bundle(self, mrn: str) -> dict[str, Any]:
        """A FHIR R4 Bundle of one patient's current counts and injections."""
        (records,) = self.records([mrn])
        return patient_bundle(records, self.clock())

    def write_fhir(self, path: Path, mrn: str) -> int:
        """Writes the Bundle; returns the number of entries."""
        bundle = self.fhir_bundle(mrn)
        text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
        write_atomically(path, text.encode("utf-8"))
        return len(bundle["entry"])

    def case_series(self, at: datetime | None = None) -> CaseSeries:
        """Every woman who had rhTPO before T (archived ones too), one row per course."""
        at = at or self.clock()
        with self.db.reading() as session:
            protocol = protocol_in_force(session, to_utc(at))
            everyone = load_records(session, patients_named(session, None))
        rows: list[SeriesRow] = []
        for records in everyone:
            history = history_of(records)
            rows += series_rows(
                records.patient.details,
                history,
                [s.record for s in records.treatments],
                records.delivery.record if records.delivery else None,
                [s.record for s in records.adverse_events],
                at,
                protocol.values,
            )
        first: dict[str, datetime] = {}
        for row in rows:
            first.setdefault(row.details.mrn, row.first_injection)
        rows.sort(key=lambda r: (first[r.details.mrn], r.details.mrn, r.outcome.number))
        return CaseSeries(at, tuple(rows), summarise(rows), protocol)

    def write_series_csv(
        self, path: Path, *, identified: bool = False, at: datetime | None = None
    ) -> CaseSeries:
        series = self.case_series(at)
        columns, rows = series.table(identified)
        write_atomically(path, csv_text(columns, rows).encode(ENCODING))
        return series
