"""Wiring for the desktop app: open the database, build the services, show the main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from itp_monitor.bootstrap import open_services
from itp_monitor.gui.main_window import TITLE, MainWindow
from itp_monitor.storage.migrate import SchemaError

READABLE_POINT_SIZE = 11


def make_application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        # Qt 6 scales for high-DPI screens by itself; keep fractional scales (150 %) exact.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(argv)
    app.setApplicationName(TITLE)
    app.setOrganizationName("ITP Monitor")
    font = QFont(app.font())
    font.setPointSize(max(font.pointSize(), READABLE_POINT_SIZE))
    app.setFont(font)
    return app


def run_app(db_option: str | None) -> int:
    app = make_application(sys.argv)
    try:
        services = open_services(db_option)
    except SchemaError as e:
        QMessageBox.critical(None, TITLE, str(e))
        return 1
    window = MainWindow(services)
    window.show()
    try:
        return app.exec()
    finally:
        services.db.dispose()
