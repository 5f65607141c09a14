"""The top of a patient's workspace: who she is, how far along, and her current course."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from itp_monitor.domain.evaluation import Evaluation
from itp_monitor.domain.problems import fmt_number
from itp_monitor.services.results import PatientInfo


def years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class PatientHeader(QWidget):
    back_requested = Signal()
    edit_requested = Signal()
    archive_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel()
        self.title.setObjectName("patient_title")
        self.facts: dict[str, QLabel] = {}
        grid = QGridLayout()
        names = ["MRN", "Age", "Gestation", "EDD", "Weight", "Course", "Dose so far", "Response"]
        for i, name in enumerate(names):
            value = QLabel("—")
            value.setObjectName(f"header_{name.lower().replace(' ', '_')}")
            grid.addWidget(QLabel(f"<span style='color:#555'>{name}</span>"), 0, i)
            grid.addWidget(value, 1, i)
            self.facts[name] = value
        back = QPushButton("← Ward board")
        back.setToolTip("Back to the ward board (Ctrl+B)")
        back.clicked.connect(self.back_requested)
        edit = QPushButton("Edit details…")
        edit.clicked.connect(self.edit_requested)
        self.archive = QPushButton("Archive…")
        self.archive.clicked.connect(self.archive_requested)
        top = QHBoxLayout()
        top.addWidget(back)
        top.addWidget(self.title, 1)
        top.addWidget(edit)
        top.addWidget(self.archive)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(grid)

    def show_patient(self, patient: PatientInfo, e: Evaluation) -> None:
        d = patient.details
        archived = " <span style='color:#8A5A00'>(archived)</span>" if patient.archived else ""
        self.title.setText(f"<h2 style='margin:0'>{d.name}{archived}</h2>")
        self.archive.setText("Restore…" if patient.archived else "Archive…")
        today = e.at.date()
        f = self.facts
        f["MRN"].setText(d.mrn)
        f["Age"].setText(f"{years_between(d.date_of_birth, today)} y" if d.date_of_birth else "—")
        if e.gestational_age is not None:
            f["Gestation"].setText(f"{e.gestational_age} ({e.gestational_age.category().value})")
        elif e.age_at_delivery is not None and e.delivered_at is not None:
            f["Gestation"].setText(f"delivered {e.delivered_at:%d %b} at {e.age_at_delivery}")
        else:
            f["Gestation"].setText("—")
        f["EDD"].setText(f"{d.edd:%d %b %Y}")
        f["Weight"].setText(f"{fmt_number(d.weight_kg)} kg" if d.weight_kg else "not recorded")
        course = e.response.course
        if course is not None:
            f["Course"].setText(f"day {e.response.course_day} (from {course.first.at:%d %b})")
            f["Dose so far"].setText(
                f"{course.number} injections, {fmt_number(course.units)} U "
                f"= {course.per_kg:,.0f} U/kg"
            )
        elif e.courses:
            last = e.courses[-1]
            f["Course"].setText(f"none now (last ended {last.last.at:%d %b})")
            f["Dose so far"].setText(f"last course {fmt_number(last.units)} U")
        else:
            f["Course"].setText("no rhTPO")
            f["Dose so far"].setText("—")
        status = e.response.status.label + (", confirmed" if e.response.confirmed else "")
        if e.response.time_to_response_days is not None:
            status += f" (in {e.response.time_to_response_days} d)"
        f["Response"].setText(status)
