"""The platelet chart: a pyqtgraph component with a small API of its own."""
