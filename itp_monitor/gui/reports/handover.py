"""The delivery handover: one page an anaesthetist can read in ten seconds.

Top to bottom: who she is and how far on; the latest count, how old it is, and
whether it meets the delivery and neuraxial thresholds (in words and symbols,
not colour alone); her active flags; the chart; the rhTPO courses with their
response; bleeding and other treatments; the sources of the thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from itp_monitor import __version__
from itp_monitor.domain.gestation import gestational_age
from itp_monitor.domain.history import CountPoint
from itp_monitor.domain.problems import fmt_number
from itp_monitor.domain.records import PatientDetails
from itp_monitor.domain.response import days_between
from itp_monitor.domain.series import CourseOutcome, age_on
from itp_monitor.domain.vocab import Anaesthesia, DeliveryMode, TreatmentKind, WhoBleedingGrade
from itp_monitor.domain.wording import counted
from itp_monitor.gui.chart.chart import PlateletChart
from itp_monitor.gui.chart.data import chart_data
from itp_monitor.gui.palette import OKABE_ITO, SEVERITY
from itp_monitor.gui.reports.page import Page, esc, table
from itp_monitor.services.reports import Handover

CHART_WIDTH_PX = 900  # the chart is laid out this wide, as on screen, then scaled to the page
CHART_MM = (48, 105)  # smallest and largest height of the chart on paper
LIST_LIMIT = 4  # rows of bleeding and other treatments; older ones are counted
MET = ("✔ MET", "#d8f0e6", OKABE_ITO["green"])
NOT_MET = ("✘ NOT MET", "#f9dccb", OKABE_ITO["vermillion"])
UNKNOWN = ("? NO COUNT", "#eeeeee", OKABE_ITO["grey"])


def when(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y %H:%M}"


def on(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def count_age(count: CountPoint, at: datetime) -> str:
    """How old a count is, as a person says it: 5 h ago, 3 days ago."""
    hours = (at - count.at).total_seconds() / 3600
    if hours < 48:
        return f"{max(hours, 0):.0f} h ago"
    return f"{days_between(at, count.at)} days ago"


def header(h: Handover) -> str:
    return (
        '<table width="100%" cellspacing="0" cellpadding="0" border="0"><tr>'
        "<td><h1>Delivery handover: ITP on rhTPO</h1></td>"
        f"<td align=right class=quiet>Printed {esc(when(h.at))} by {esc(h.printed_by)}"
        f"<br>ITP Monitor {esc(__version__)}</td></tr></table>"
    )


def identity(h: Handover) -> str:
    d: PatientDetails = h.patient.details
    e = h.evaluation.evaluation
    born = ""
    if d.date_of_birth:
        born = f" · born {on_date(d.date_of_birth)} ({age_on(d.date_of_birth, h.at.date())} y)"
    weight = f" · {fmt_number(d.weight_kg)} kg" if d.weight_kg else ""
    lines = [
        f'<span style="font-size:13pt"><b>{esc(d.name)}</b></span> &nbsp; '
        f"MRN <b>{esc(d.mrn)}</b>{esc(born)}{esc(weight)}"
    ]
    delivery = h.records.delivery.record if h.records.delivery else None
    if delivery is not None:
        how = [DeliveryMode(delivery.mode).label]
        if delivery.anaesthesia:
            how.append(Anaesthesia(delivery.anaesthesia).label)
        if delivery.blood_loss_ml is not None:
            how.append(f"blood loss {delivery.blood_loss_ml} mL")
        lines.append(
            f"<b>Delivered</b> {esc(when(delivery.delivered_at))} at {esc(e.age_at_delivery)}: "
            + esc(", ".join(how))
            + f" · EDD was {esc(on_date(d.edd))}"
        )
    elif e.gestational_age is not None:
        window = " · <b>in the delivery window</b>" if e.in_delivery_window else ""
        lines.append(
            f"Gestational age <b>{esc(e.gestational_age)}</b> on {esc(on(h.at))}"
            f" · EDD <b>{esc(on_date(d.edd))}</b>{window}"
        )
    else:
        lines.append(f"EDD {esc(on_date(d.edd))}")
    return "<br>".join(lines)


def on_date(d: object) -> str:
    return f"{d:%d %b %Y}".lstrip("0")


def decision(h: Handover) -> str:
    """The latest count and the two delivery thresholds, side by side, big."""
    p = h.evaluation.protocol or h.protocol.values
    latest = h.evaluation.evaluation.latest_count
    if latest is None:
        count_cell = '<span style="font-size:16pt"><b>no count</b></span>'
    else:
        count_cell = (
            f'<span style="font-size:20pt"><b>{esc(fmt_number(latest.value))}</b></span>'
            f" ×10⁹/L<br>collected {esc(when(latest.at))}<br>"
            f"<b>{esc(count_age(latest, h.at))}</b>"
        )

    def threshold(label: str, minimum: float) -> str:
        words, fill, _ = UNKNOWN if latest is None else MET if latest.value >= minimum else NOT_MET
        return (
            f'<td width="34%" bgcolor="{fill}">{esc(label)} (≥ {esc(fmt_number(minimum))})<br>'
            f'<span style="font-size:16pt"><b>{esc(words)}</b></span></td>'
        )

    return (
        '<table width="100%" cellspacing="3" cellpadding="5"><tr>'
        f'<td width="32%" bgcolor="#eeeeee">Latest platelet count<br>{count_cell}</td>'
        + threshold("Vaginal or caesarean delivery", p.delivery_min)
        + threshold("Neuraxial anaesthesia", p.neuraxial_min)
        + "</tr></table>"
    )


def flags(h: Handover) -> str:
    found = h.evaluation.evaluation.flags
    if not found:
        return "<h2>Active flags</h2>No flags."
    rows = []
    for f in found:
        symbol = SEVERITY[f.severity.value][2]
        rows.append((f"{symbol} {f.severity.value}", f.code.heading, f.message))
    return "<h2>Active flags</h2>" + table(("Severity", "Flag", "What"), rows)


def courses(h: Handover) -> str:
    outcomes: Sequence[CourseOutcome] = h.courses
    if not outcomes:
        return "<h2>rhTPO</h2>No rhTPO recorded."
    current = h.evaluation.evaluation.response.course
    rows = []
    shown = outcomes[-3:]
    for o in shown:
        c, r = o.course, o.response
        status = r.status.label + (", confirmed" if r.confirmed else "")
        if c == current:
            status += f" (current, day {h.evaluation.evaluation.response.course_day})"
        rows.append(
            (
                str(o.number),
                f"{on(c.first.at)} ({ga_on(h, c.first.at)})",
                on(c.last.at),
                f"{c.number} in {counted(o.days, 'day')}",
                f"{fmt_number(c.units)} U ({c.per_kg:,.0f} U/kg)",
                fmt_number(r.baseline.value) if r.baseline else "none",
                fmt_number(r.best.value) if r.best else "—",
                status,
                (
                    counted(r.time_to_response_days, "day")
                    if r.time_to_response_days is not None
                    else "—"
                ),
            )
        )
    earlier = len(outcomes) - len(shown)
    note = (
        f"<br><span class=quiet>{counted(earlier, 'earlier course')} not shown.</span>"
        if earlier
        else ""
    )
    return (
        "<h2>rhTPO courses</h2>"
        + table(
            (
                "#",
                "Started (GA)",
                "Last injection",
                "Injections",
                "Cumulative dose",
                "Baseline",
                "Best",
                "Response",
                "Time to response",
            ),
            rows,
            numeric=(5, 6),
            widths=(3, 13, 12, 11, 14, 9, 6, 20, 12),
        )
        + note
    )


def ga_on(h: Handover, moment: datetime) -> str:
    return str(gestational_age(h.patient.edd, moment.date()))


def bleeding_and_treatments(h: Handover) -> str:
    assessed = h.records.bleeding[-LIST_LIMIT:]
    if assessed:
        bleed = table(
            ("Assessed", "WHO grade"),
            [
                (
                    when(s.record.assessed_at),
                    f"{s.record.who_grade}: {WhoBleedingGrade(s.record.who_grade).description}",
                )
                for s in reversed(assessed)
            ],
        )
    else:
        bleed = "No bleeding assessment recorded."
    given = h.records.treatments[-LIST_LIMIT:]
    if given:
        other = table(
            ("Treatment", "From", "To"),
            [
                (
                    TreatmentKind(s.record.kind).label
                    + (f" {s.record.dose}" if s.record.dose else ""),
                    on(s.record.started_at),
                    on(s.record.ended_at) if s.record.ended_at else "ongoing",
                )
                for s in reversed(given)
            ],
        )
    else:
        other = "No other treatment recorded."
    return (
        '<table width="100%" cellspacing="0" cellpadding="0" border="0"><tr>'
        f'<td width="49%"><h2>Bleeding (latest first)</h2>{bleed}</td><td width="2%"></td>'
        f'<td width="49%"><h2>Other treatments (latest first)</h2>{other}</td>'
        "</tr></table>"
    )


def footer(h: Handover) -> str:
    p = h.evaluation.protocol or h.protocol.values
    return (
        '<span class=quiet style="font-size:7pt">Counts in ×10⁹/L. '
        f"Delivery ≥ {esc(fmt_number(p.delivery_min))}: {esc(h.protocol.source('delivery_min'))}."
        f" Neuraxial anaesthesia ≥ {esc(fmt_number(p.neuraxial_min))}: "
        f"{esc(h.protocol.source('neuraxial_min'))}. "
        "Flags and response as defined in the unit's protocol (docs/flags.md); "
        "check the latest count in the laboratory system before a neuraxial block.</span>"
    )


def chart_widget(h: Handover, aspect: float) -> PlateletChart:
    """The workspace's chart with her data, laid out off screen for painting, its plots
    `aspect` times as high as wide (so that the page scales them without distortion)."""
    chart = PlateletChart()
    chart.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    chart.resize(CHART_WIDTH_PX, CHART_WIDTH_PX)
    p = h.evaluation.protocol or h.protocol.values
    chart.set_data(chart_data(h.records, h.evaluation.evaluation, p))
    chart.show()
    QApplication.processEvents()
    controls = chart.height() - chart.print_size().height()  # the row above the plots
    chart.resize(CHART_WIDTH_PX, round(CHART_WIDTH_PX * aspect) + controls)
    QApplication.processEvents()
    chart.reset_view()
    QApplication.processEvents()
    return chart


def paint_handover(page: Page, h: Handover) -> None:
    """Paints the handover; a second page only if the flags and lists cannot fit one."""
    page.html(header(h))
    page.gap(1.5)
    page.html(identity(h))
    page.gap(2)
    page.html(decision(h))
    page.gap(1)
    page.html(flags(h))
    page.gap(2)
    tail = courses(h) + "<br>" + bleeding_and_treatments(h)
    tail_height = page.block_height(tail) + page.block_height(footer(h)) + page.mm(4)
    chart_height = min(max(page.left() - tail_height, page.mm(CHART_MM[0])), page.mm(CHART_MM[1]))
    chart = chart_widget(h, chart_height / page.width)
    try:
        page.drawing(chart.print_size(), chart.paint_for_print, chart_height)
    finally:
        chart.close()
        chart.deleteLater()
    page.gap(1)
    if page.left() < tail_height:
        page.device.newPage()
        page.y = 0.0
        page.html(f"<b>{esc(h.patient.name)}, MRN {esc(h.patient.mrn)}</b> (continued)")
        page.gap(2)
    page.html(tail)
    page.y = page.height - page.block_height(footer(h))
    page.html(footer(h))
