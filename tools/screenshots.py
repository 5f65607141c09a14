"""Takes the screenshots of docs/ from the real app on a fresh demonstration ward.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python -P tools/screenshots.py docs/images

(`make screenshots` does this.) Each picture is the main window as Qt drew it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from itp_monitor.app import make_application
from itp_monitor.bootstrap import open_services
from itp_monitor.domain.records import NeonatalCount
from itp_monitor.gui.main_window import MainWindow

SIZE = (1400, 900)
# (file, MRN or None for the board, tab to show)
SHOTS = [
    ("ward-board.png", None, None),
    ("non-responder-near-term.png", "DEMO-03", "Counts"),
    ("responder.png", "DEMO-02", "Injections"),
    ("delivered-with-newborn-counts.png", "DEMO-08", "Delivery and newborn"),
    ("projection-to-term.png", "DEMO-10", "Counts"),
]


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    _app = make_application(sys.argv[:1])  # kept alive while the window is drawn
    with tempfile.TemporaryDirectory() as folder:
        services = open_services(str(Path(folder) / "demo.sqlite"))
        services.demo.load()
        window = MainWindow(
            services, QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        )
        window.resize(*SIZE)
        window.show()
        for name, mrn, tab in SHOTS:
            if mrn is None:
                window.show_board()
            else:
                patient = services.patients.find(mrn)
                assert patient is not None
                window.open_patient(patient.id)
                tabs = window.workspace.tabs
                tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.tabText(i) == tab))
                if tab == "Delivery and newborn":
                    window.workspace.record_tabs[NeonatalCount].select_row(0)
            for _ in range(3):
                QApplication.processEvents()
            window.grab().save(str(out / name))
            print(f"wrote {out / name}")
        window.close()
        services.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")))
