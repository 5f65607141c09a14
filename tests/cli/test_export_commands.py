"""`export-csv`, `export-series`, `export-fhir` and `report` as scripts use them."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest

COMMAND = shutil.which("itp-monitor", path=str(Path(sys.executable).parent)) or "itp-monitor"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ITP_MONITOR_DB", "QT_QPA_PLATFORM")}
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def ward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "w.sqlite"
    assert run("--db", str(path), "demo").returncode == 0
    return path


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def pdf_pages(path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(path)
    try:
        return [pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf))]
    finally:
        pdf.close()


def test_export_csv_of_the_ward_and_of_one_patient(ward: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    done = run("--db", str(ward), "export-csv", str(out))
    assert done.returncode == 0, done.stderr
    assert "of 13 patients" in done.stdout
    assert {r["mrn"] for r in rows(out)} >= {"DEMO-01", "DEMO-03"}
    one = tmp_path / "one.csv"
    assert run("--db", str(ward), "export-csv", str(one), "--mrn", "demo-03").returncode == 0
    assert {r["mrn"] for r in rows(one)} == {"DEMO-03"}
    assert {r["record"] for r in rows(one)} == {"platelet_count", "rhtpo_injection"}


def test_export_series_csv_and_pdf(ward: Path, tmp_path: Path) -> None:
    out = tmp_path / "series.csv"
    done = run("--db", str(ward), "export-series", str(out))
    assert done.returncode == 0, done.stderr
    assert "de-identified case series" in done.stdout
    assert "mrn" not in rows(out)[0] and "DEMO-" not in out.read_text(encoding="utf-8-sig")
    named = tmp_path / "named.csv"
    assert run("--db", str(ward), "export-series", str(named), "--identified").returncode == 0
    assert rows(named)[0]["mrn"].startswith("DEMO-")
    pdf = tmp_path / "series.pdf"
    done = run("--db", str(ward), "export-series", str(pdf))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no Qt chatter on the command line
    assert "Case series" in pdf_pages(pdf)[0]


def test_export_fhir(ward: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    done = run("--db", str(ward), "export-fhir", str(out), "--mrn", "DEMO-03")
    assert done.returncode == 0, done.stderr
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle"
    assert f"of {len(bundle['entry'])} resources" in done.stdout


def test_report_of_a_patient_and_of_the_ward(ward: Path, tmp_path: Path) -> None:
    handover = tmp_path / "h.pdf"
    done = run("--db", str(ward), "report", str(handover), "--mrn", "DEMO-03")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    (page,) = pdf_pages(handover)
    assert "Chloe Osei" in page
    summary = tmp_path / "ward.pdf"
    done = run("--db", str(ward), "report", str(summary), "--ward", "--at", "2026-01-01")
    assert done.returncode == 0, done.stderr
    assert "Ward summary" in pdf_pages(summary)[0]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["export-fhir", "x.json"], 2, "--mrn"),
        (["export-fhir", "x.json", "--mrn", "NOPE"], 1, "NOPE is not in the database"),
        (["export-csv", "x.csv", "--mrn", "NOPE"], 1, "NOPE is not in the database"),
        (["report", "x.pdf"], 2, "one of the arguments --mrn --ward is required"),
        (["report", "x.pdf", "--mrn", "DEMO-01", "--ward"], 2, "not allowed with"),
        (["report", "x.pdf", "--mrn", "NOPE"], 1, "NOPE is not in the database"),
        (["report", "x.pdf", "--ward", "--at", "yesterday"], 2, "is not a date"),
    ],
)
def test_errors(ward: Path, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    args[1] = str(tmp_path / args[1])
    done = run("--db", str(ward), *args)
    assert done.returncode == code
    assert message in done.stderr
    assert not Path(args[1]).exists()
