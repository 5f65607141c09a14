"""Wiring for the desktop app: open the database, build the services, show the main window."""

from __future__ import annotations

import sys

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMessageBox

from itp_monitor.bootstrap import open_services
from itp_monitor.gui.main_window import TITLE, MainWindow
from itp_monitor.storage.migrate import SchemaError

READABLE_POINT_SIZE = 11


def make_application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv)
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
