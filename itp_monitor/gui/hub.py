"""One signal hub: every change to data is announced here, and each screen decides what to redo."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Hub(QObject):
    patient_changed = Signal(int)  # her records or details changed (here or elsewhere)
    records_changed = Signal(object)  # PatientRecords after a save here, already up to date
    ward_changed = Signal()  # patients came or went (admitted, archived, demo loaded)
    protocol_changed = Signal()  # a setting of the unit's protocol changed
    open_patient = Signal(int)  # someone asked to see her workspace
