"""The `flags` command's output: the JSON of docs/command-line.md, or a table for people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from itp_monitor.domain.problems import fmt_number
from itp_monitor.services.evaluation import PatientEvaluation


def as_json(at: datetime, results: Sequence[PatientEvaluation]) -> dict[str, Any]:
    patients = []
    for r in results:
        e = r.evaluation
        response = e.response
        patients.append(
            {
                "mrn": r.patient.mrn,
                "name": r.patient.name,
                # Pregnant now: her age at T; once delivered, null here and the age at
                # delivery beside it (the screen shows "delivered at 38+2" the same way).
                "gestational_age": str(e.gestational_age) if e.gestational_age else None,
                "age_at_delivery": str(e.age_at_delivery) if e.age_at_delivery else None,
                "latest_count": (
                    {"value": e.latest_count.value, "collected_at": e.latest_count.at.isoformat()}
                    if e.latest_count
                    else None
                ),
                "response": {
                    "status": response.status.value,
                    "confirmed": response.confirmed,
                    "course_day": response.course_day,
                    "baseline": response.baseline.value if response.baseline else None,
                    "time_to_response_days": response.time_to_response_days,
                },
                "flags": [
                    {
                        "code": f.code.value,
                        "severity": f.severity.value,
                        "message": f.message,
                        "source": f.source,
                    }
                    for f in e.flags
                ],
            }
        )
    return {"evaluated_at": at.isoformat(), "patients": patients}


def as_table(at: datetime, results: Sequence[PatientEvaluation]) -> str:
    """Patients most urgent first, each flag on a line of its own."""
    lines = [f"Flags at {at:%Y-%m-%d %H:%M} for {len(results)} patients, most urgent first", ""]
    rows = [(r, _age(r), _latest(r), _status(r)) for r in results]
    widths = [
        max((len(text) for text in column), default=0)
        for column in zip(
            *((r.patient.mrn, r.patient.name, a, la) for r, a, la, _ in rows), strict=True
        )
    ] or [0, 0, 0, 0]
    for r, age, latest, status in rows:
        cells = (r.patient.mrn, r.patient.name, age, latest)
        lines.append(
            "  ".join(f"{c:<{w}}" for c, w in zip(cells, widths, strict=True)) + f"  {status}"
        )
        for f in r.evaluation.flags:
            lines.append(f"    {f.severity.value.upper():<8}  {f.code.value:<24}  {f.message}")
        if not r.evaluation.flags:
            lines.append("    no flags")
        lines.append("")
    lines.append("Each flag's threshold and source: itp-monitor flags --json, or docs/flags.md.")
    return "\n".join(lines)


def _age(r: PatientEvaluation) -> str:
    e = r.evaluation
    if e.gestational_age is not None:
        return str(e.gestational_age)
    return f"delivered at {e.age_at_delivery}" if e.age_at_delivery else "—"


def _latest(r: PatientEvaluation) -> str:
    c = r.evaluation.latest_count
    return f"latest {fmt_number(c.value)} ({c.at:%d %b})" if c else "no count"


def _status(r: PatientEvaluation) -> str:
    response = r.evaluation.response
    status = response.status.label
    if response.confirmed:
        status += ", confirmed"
    if response.course_day is not None:
        status += f", course day {response.course_day}"
    return status
