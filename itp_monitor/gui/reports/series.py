"""The case-series table on paper, shaped like the tables of the published series."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from itp_monitor import __version__
from itp_monitor.domain.problems import fmt_number
from itp_monitor.domain.response import ResponseStatus
from itp_monitor.domain.vocab import Anaesthesia, DeliveryMode, TreatmentKind
from itp_monitor.gui.reports.page import Cell, esc, table
from itp_monitor.services.exports import CaseSeries

SERIES_PT = 7.5  # a wide table: smaller than the other reports
ABBREVIATIONS = {
    ResponseStatus.COMPLETE_RESPONSE: "CR",
    ResponseStatus.RESPONSE: "R",
    ResponseStatus.NO_RESPONSE: "NR",
    ResponseStatus.LOSS_OF_RESPONSE: "LR",
    ResponseStatus.TOO_EARLY: "TE",
}
LEGEND = (
    "CR complete response, R response, NR no response, LR response lost, TE too early to "
    "judge; * confirmed (two qualifying counts at least {confirm} days apart)"
)


def _n(value: Any) -> str:
    return "—" if value is None else fmt_number(value)


def _text(value: Any) -> str:
    return "—" if value is None else str(value)


def _delivery(row: dict[str, Any]) -> list[str]:
    """Mode, GA, anaesthesia; and the date when the table is identified."""
    if row["delivery_mode"] is None:
        return ["—"]
    lines = [DeliveryMode(row["delivery_mode"]).label, f"at {row['ga_delivery']}"]
    if row["anaesthesia"]:
        lines.append(Anaesthesia(row["anaesthesia"]).label)
    if row.get("identified"):
        lines.append(row["delivered_on"])
    return lines


def _first(row: dict[str, Any]) -> list[str]:
    """GA at the first injection; and the date when the table is identified."""
    return [row["ga_first_injection"], *([row["first_injection"]] if row.get("identified") else [])]


def _other(row: dict[str, Any]) -> list[str] | str:
    kinds = row["other_treatments"]
    return [TreatmentKind(k).label for k in kinds.split("; ")] if kinds else "—"


# header, cell of a row (the CSV's values), right-aligned?
Column = tuple[str, Callable[[dict[str, Any]], Cell], bool, float]  # ..., width share
IDENTIFYING: list[Column] = [("Patient", lambda r: [r["name"], r["mrn"]], False, 9)]
COLUMNS: list[Column] = [
    ("Case", lambda r: str(r["case"]), True, 3.5),
    ("Course", lambda r: str(r["course"]), True, 5),
    ("Age (y)", lambda r: _n(r["age_years"]), True, 3.5),
    ("GA at first injection", _first, False, 5.5),
    ("Baseline", lambda r: _n(r["baseline"]), True, 4.8),
    ("Peak", lambda r: _n(r["peak"]), True, 3.5),
    ("Days to response", lambda r: _n(r["time_to_response_days"]), True, 6),
    (
        "Response",
        lambda r: (
            ABBREVIATIONS[ResponseStatus(r["response"])]
            + ("*" if r["response_confirmed"] == "yes" else "")
        ),
        False,
        6,
    ),
    ("Injections (days)", lambda r: f"{r['injections']} ({r['course_days']})", True, 5.5),
    (
        "Total dose",
        lambda r: [f"{_n(r['total_dose_units'])} U", f"{_n(r['total_dose_u_per_kg'])} U/kg"],
        True,
        7,
    ),
    ("Other treatments", _other, False, 8),
    ("Count before delivery", lambda r: _n(r["count_before_delivery"]), True, 5.5),
    ("Delivery", _delivery, False, 7),
    ("Blood loss (mL)", lambda r: _n(r["blood_loss_ml"]), True, 4.5),
    ("Newborn lowest", lambda r: _n(r["newborn_lowest"]), True, 6),
    ("Adverse events", lambda r: _text(r["adverse_events"]), False, 10),
]


def series_html(series: CaseSeries, identified: bool) -> str:
    _, rows = series.table(identified)
    columns = [*COLUMNS[:2], *(IDENTIFYING if identified else []), *COLUMNS[2:]]
    s, p = series.summary, series.protocol.values
    share = f" ({s.responded_percent:.0f}%)" if s.responded_percent is not None else ""
    privacy = (
        "Identified: names, MRNs and dates are shown; do not share outside the care team."
        if identified
        else "De-identified: no names, MRNs or dates; cases are numbered by first injection."
    )
    n = fmt_number
    return (
        '<table width="100%" cellspacing="0" cellpadding="0" border="0"><tr>'
        "<td><h1>Case series: rhTPO for ITP in pregnancy</h1></td>"
        f"<td align=right class=quiet>As of {esc(f'{series.at:%d %b %Y}'.lstrip('0'))}"
        f"<br>ITP Monitor {esc(__version__)}</td></tr></table>"
        f"<p><b>{s.women} women, {s.courses} courses of rhTPO; a response in {s.responded}"
        f"{esc(share)}, complete in {s.complete}.</b> {esc(privacy)}</p>"
        + table(
            [c[0] for c in columns],
            [[c[1]({**row, "identified": identified}) for c in columns] for row in rows],
            numeric=[i for i, c in enumerate(columns) if c[2]],
            widths=[c[3] for c in columns],
        )
        + f"<p class=quiet>{esc(LEGEND.format(confirm=p.confirm_days))}.</p>"
        + '<p class=quiet style="font-size:7pt">Counts in ×10⁹/L; GA in weeks+days. '
        "Response (International Working Group, Rodeghiero et al., Blood 2009;113:2386, "
        f"as set in the unit's protocol): complete ≥ {esc(n(p.complete_response_min))} "
        f"without bleeding; response ≥ {esc(n(p.response_min))} and at least "
        f"{esc(n(p.response_fold))} × the baseline without bleeding; no response by course "
        f"day {p.assessment_day}. The baseline is the latest count up to "
        f"{p.baseline_window_days} days before the first injection; the peak the highest "
        "count of the course; time to response the days from the first injection to the "
        "first responding count. Each course is judged at the end of its follow-up "
        f"({p.course_gap_days + p.follow_up_days} days after its last injection), before the "
        "next course, or at the date above. “Count before delivery” is the latest count "
        "before the birth.</p>"
    )
