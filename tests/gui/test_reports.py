"""The printed reports, read back from the PDF as a person would read the paper."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from helpers import NOW
from pypdfium2 import raw as pdfium_c
from pytestqt.qtbot import QtBot

from itp_monitor.domain.records import PatientDetails
from itp_monitor.gui.reports import render
from itp_monitor.gui.reports.render import write_handover_pdf, write_series_pdf, write_ward_pdf
from itp_monitor.services.container import Services


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    return services


def pages(path: Path) -> list[str]:
    """The text of each page."""
    pdf = pdfium.PdfDocument(path)
    try:
        return [pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf))]
    finally:
        pdf.close()


def images(path: Path) -> list[tuple[int, int, float]]:
    """Each picture on the first page: its pixels wide and high, and its width in points."""
    pdf = pdfium.PdfDocument(path)
    try:
        found = []
        for o in pdf[0].get_objects(max_depth=3):
            if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                width, height = o.get_px_size()
                left, _, right, _ = o.get_bounds()
                found.append((width, height, right - left))
        return found
    finally:
        pdf.close()


def handover(services: Services, mrn: str, tmp_path: Path, **at: object) -> str:
    path = tmp_path / f"{mrn}.pdf"
    write_handover_pdf(path, services.reports.handover(mrn, **at))  # type: ignore[arg-type]
    (text,) = pages(path)  # one page
    return text


def test_the_handover_of_a_woman_below_both_thresholds(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    text = handover(ward, "DEMO-03", tmp_path)
    assert "Chloe Osei" in text and "MRN DEMO-03" in text
    assert "Gestational age 37+1" in text
    assert "21 ×10⁹/L" in text and "collected 24 Nov 2026 08:00" in text
    assert "28 h ago" in text
    assert "Vaginal or caesarean delivery (≥ 50)" in text
    assert "Neuraxial anaesthesia (≥ 70)" in text
    assert text.count("✘ NOT MET") == 2
    assert "Below delivery cutoff" in text and "No response" in text
    assert "rhTPO courses" in text and "no response (current, day 19)" in text
    assert "IVIG" in text


def test_the_handover_of_a_delivered_woman_above_both(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    text = handover(ward, "DEMO-08", tmp_path)
    assert text.count("✔ MET") == 2
    assert "Delivered" in text and "caesarean" in text
    assert "Newborn count low" in text


def test_the_handover_draws_the_chart_sharp_enough_to_print(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    handover(ward, "DEMO-01", tmp_path)
    ((width, height, points),) = images(tmp_path / "DEMO-01.pdf")
    assert points > 500  # across the page: A4 less the margins is 527 points
    assert width / (points / 72) >= 300  # dots per inch on paper
    assert 0.3 < height / width < 0.7  # a chart, not a sliver


def test_a_handover_without_counts_says_so(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    services.patients.add(PatientDetails("N1", "New Arrival", NOW.date() + timedelta(days=30)))
    text = handover(services, "N1", tmp_path)
    assert "no count" in text and text.count("? NO COUNT") == 2
    assert "No rhTPO recorded." in text and "No flags." in text


def test_a_handover_at_an_earlier_time_shows_the_records_as_they_were(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    text = handover(ward, "DEMO-03", tmp_path, at=NOW - timedelta(days=5))
    assert "collected 24 Nov" not in text  # not yet collected then
    assert "Printed 20 Nov 2026 12:00" in text


def test_the_ward_summary_lists_the_board_most_urgent_first(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    path = tmp_path / "ward.pdf"
    write_ward_pdf(path, ward.reports.ward(NOW))
    (text,) = pages(path)
    board = [r.patient.mrn for r in ward.evaluation.ward(NOW)]
    positions = [text.index(mrn) for mrn in board]
    assert positions == sorted(positions)
    assert "12 women on the ward" in text
    assert "▲ critical: Below delivery cutoff" in text


def test_the_series_pdf_names_no_one_unless_asked(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    path = tmp_path / "series.pdf"
    series = ward.exports.case_series(NOW)
    write_series_pdf(path, series)
    text = "".join(pages(path))
    assert "Case series" in text and "De-identified" in text
    assert "DEMO-" not in text and "Chloe" not in text
    assert f"{series.summary.women} women, {series.summary.courses} courses" in text
    write_series_pdf(path, series, identified=True)
    text = "".join(pages(path))
    assert "DEMO-03" in text and "Chloe Osei" in text


def test_a_report_that_fails_half_way_leaves_the_old_file_as_it_was(
    qtbot: QtBot, ward: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "ward.pdf").write_bytes(b"yesterday's summary")

    def broken(page: object, body: str, text_pt: float = 0) -> None:
        raise RuntimeError("the printer caught fire")

    monkeypatch.setattr(render, "paint_flowing", broken)
    with pytest.raises(RuntimeError):
        write_ward_pdf(out / "ward.pdf", ward.reports.ward(NOW))
    assert [p.name for p in out.iterdir()] == ["ward.pdf"]
    assert (out / "ward.pdf").read_bytes() == b"yesterday's summary"
