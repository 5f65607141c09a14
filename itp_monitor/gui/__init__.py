"""The desktop app: PySide6 widgets and pyqtgraph, driven only through the services."""
