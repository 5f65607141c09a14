"""Benchmark: cold start of the app to a populated ward board, against a bare Qt window.

The bare script imports PySide6, pyqtgraph and SQLAlchemy and shows an empty
window. The app is the real `itp-monitor` command opening the demonstration
ward. Each quits as soon as its event loop has shown the window; what is timed
is the whole process, from launch to exit. Runs alternate between the two.
Target: the app within 1.3 times the bare script.

    .venv/bin/python benchmarks/cold_start.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.3

# Both quit on the first turn of their event loop, once the window is shown.
QUIT_WHEN_SHOWN = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
_exec = QApplication.exec
def _exec_once(*_args):
    QTimer.singleShot(0, QApplication.instance().quit)
    return _exec()
QApplication.exec = _exec_once
"""

BARE = (
    QUIT_WHEN_SHOWN
    + """
import sys
import pyqtgraph, sqlalchemy, sqlalchemy.orm
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1280, 800)
window.show()
app.exec()
"""
)

APP = (
    QUIT_WHEN_SHOWN
    + """
import sys
from itp_monitor.cli import main
sys.exit(main(["--db", sys.argv[1]]))
"""
)


def run(code: str, *args: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-P", "-c", code, *args],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "ward.sqlite")
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": folder,
            "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        }
        subprocess.run(
            [sys.executable, "-P", "-m", "itp_monitor", "--db", db, "demo"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        run(BARE, env=env)  # warm the disk cache for both
        run(APP, db, env=env)
        bare, app = [], []
        for _ in range(args.runs):
            bare.append(run(BARE, env=env))
            app.append(run(APP, db, env=env))
    b, a = statistics.median(bare), statistics.median(app)
    print(f"Cold start to a shown window, {args.runs} runs each, platform {env['QT_QPA_PLATFORM']}")
    for label, times in (
        ("bare PySide6 + pyqtgraph + SQLAlchemy window", bare),
        ("itp-monitor, demonstration ward on the board", app),
    ):
        median, best = statistics.median(times) * 1000, min(times) * 1000
        print(f"  {label}  median {median:6.0f} ms  best {best:6.0f} ms")
    verdict = "met" if a / b <= TARGET_RATIO else "NOT met"
    print(f"Target: within {TARGET_RATIO}x the bare script -> {verdict} ({a / b:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
