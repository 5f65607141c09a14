"""The ward summary: the board on paper, the most urgent first, in the board's words."""

from __future__ import annotations

from collections import Counter

from itp_monitor import __version__
from itp_monitor.gui.models.ward import COLUMNS, FLAGS_COLUMN, NUMERIC
from itp_monitor.gui.palette import SEVERITY
from itp_monitor.gui.reports.page import Cell, esc, table
from itp_monitor.services.evaluation import PatientEvaluation
from itp_monitor.services.reports import WardSummary


def _flag_lines(r: PatientEvaluation) -> Cell:
    flags = r.evaluation.flags
    if not flags:
        return "no flags"
    return [f"{SEVERITY[f.severity.value][2]} {f.severity.value}: {f.code.heading}" for f in flags]


def ward_html(ward: WardSummary) -> str:
    worst = Counter(
        r.evaluation.flags[0].severity.value for r in ward.patients if r.evaluation.flags
    )
    counted = ", ".join(f"{worst[s]} {s}" for s in SEVERITY if worst[s]) or "no flags"
    rows = [
        [_flag_lines(r) if i == FLAGS_COLUMN else text(r)[0] for i, (_, text) in enumerate(COLUMNS)]
        for r in ward.patients
    ]
    return (
        '<table width="100%" cellspacing="0" cellpadding="0" border="0"><tr>'
        "<td><h1>Ward summary</h1></td>"
        f"<td align=right class=quiet>At {esc(f'{ward.at:%d %b %Y %H:%M}'.lstrip('0'))}, "
        f"printed by {esc(ward.printed_by)}<br>ITP Monitor {esc(__version__)}</td>"
        "</tr></table>"
        f"<p>{len(ward.patients)} women on the ward, most urgent first; by their most "
        f"severe flag: {esc(counted)}. Counts in ×10⁹/L; “Taken” is the age of the latest "
        "count.</p>" + table([h for h, _ in COLUMNS], rows, numeric=NUMERIC)
    )
