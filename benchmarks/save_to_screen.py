"""Benchmark: from pressing Save on a new count to the table, chart, flags and board showing it.

A patient with 500 counts and 150 injections has her workspace open. Each run
types a count into the real entry dialog and times its Save (the service
write, with its fsync) and what follows an accepted dialog: her records
updated with what the save returned, judged, and shown in the table, chart,
flags and board. Target: all of that within one frame, 16 ms. The figure with
the paint that follows, and the next tick of the watch for other programs'
changes (which passes over this save), is printed too.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/save_to_screen.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from sqlalchemy import insert

from itp_monitor.app import make_application
from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.gui.forms.dialog import EntryDialog
from itp_monitor.gui.forms.record_forms import FORMS
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import build_services
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate
from itp_monitor.storage.models import InjectionRow, PlateletCountRow

FRAME_MS = 16.0


def busy_patient(services: object, db: Database, now: datetime) -> int:
    """A woman with 500 counts (every 12 hours) and 150 injections (daily, in courses)."""
    patient = services.patients.add(  # type: ignore[attr-defined]
        PatientDetails("BUSY1", "Busy Patient", (now + timedelta(days=30)).date(), weight_kg=70.0)
    )
    stamp = {"status": "current", "entered_at_utc": now, "entered_by": "benchmark"}
    counts = [
        {
            "patient_id": patient.id,
            "collected_at": now - timedelta(hours=12 * k + 3),
            "value": 20.0 + (k * 7) % 90,
            "source": "lab",
            **stamp,
        }
        for k in range(500)
    ]
    doses = [
        {
            "patient_id": patient.id,
            "given_at": now - timedelta(days=d, hours=2),
            "dose_units": 21000,
            "weight_kg": 70.0,
            **stamp,
        }
        for d in [*range(1, 76), *range(120, 195)]
    ]
    with db.writing() as session:
        session.execute(insert(PlateletCountRow), counts)
        session.execute(insert(InjectionRow), doses)
    return int(patient.id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    app = make_application(sys.argv[:1])
    with tempfile.TemporaryDirectory() as folder:
        db = Database(resolve_location(str(Path(folder) / "busy.sqlite")))
        migrate(db)
        services = build_services(db, user="benchmark")
        now = services.records.clock()
        patient_id = busy_patient(services, db, now)
        window = MainWindow(
            services, QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        )
        window.resize(1400, 900)
        window.show()
        window.open_patient(patient_id)
        app.processEvents()
        form = FORMS[PlateletCount]
        to_data, to_paint = [], []
        for run in range(args.runs):
            moment = now - timedelta(minutes=args.runs - run)  # after her last count, before now
            # steady counts: a jump (halved, tripled within a day) would ask to confirm
            value = 40.0 + run % 5

            def save(values: dict[str, object], confirmed: bool) -> object:
                return services.records.record(patient_id, form.make(values), confirmed=confirmed)

            dialog = EntryDialog(
                "count", form.specs, save, values={"collected_at": moment, "source": "lab"}
            )
            dialog.field("value").edit.setText(str(value))
            start = time.perf_counter()
            dialog.try_save()  # the Save button's slot: the service writes, with its fsync
            window.workspace.apply_saved(
                dialog.result_value
            )  # what follows an accepted entry dialog
            to_data.append((time.perf_counter() - start) * 1000)
            QApplication.processEvents()  # paint
            # the watch's next tick, which once read and drew her again for the app's own save
            window.poll_changes()
            QApplication.processEvents()
            to_paint.append((time.perf_counter() - start) * 1000)
            workspace = window.workspace
            table = workspace.record_tabs[PlateletCount].proxy
            assert table.index(0, 1).data() == f"{value:g}", "the table shows the new count first"
            assert workspace.chart.plotted_counts()[-1][1] == value, "the chart shows it"
            assert workspace.evaluation.evaluation.latest_count.value == value, "the flags use it"
            assert window.board.model.evaluation_of(0).evaluation.latest_count.value == value, (
                "board"
            )
            dialog.deleteLater()
        assert workspace.records == services.patients.records(patient_id), "as stored"
        window.close()
        db.dispose()
    print(f"Save a count to screen, patient with 500 counts and 150 injections, {args.runs} runs")
    for label, times in (
        ("saved and every view updated", to_data),
        ("... painted, and the watch's tick", to_paint),
    ):
        print(
            f"  {label:38} best {min(times):5.1f} ms, median {statistics.median(times):5.1f} ms, "
            f"worst {max(times):5.1f} ms"
        )
    median = statistics.median(to_data)
    verdict = "met" if median <= FRAME_MS else "NOT met"
    print(
        f"Target: the views updated within one frame ({FRAME_MS:.0f} ms) -> {verdict} "
        f"({median:.1f} ms median; the paint that follows is the next frame's)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
