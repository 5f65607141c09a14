"""The panels the main window is composed of, one per file."""
