"""What each entry form asks, and how its values become a record (and a record its values)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itp_monitor.domain.protocol import Protocol
from itp_monitor.domain.records import (
    AdverseEvent,
    BleedingAssessment,
    ClinicalRecord,
    Delivery,
    Injection,
    NeonatalCount,
    PatientDetails,
    PlateletCount,
    Treatment,
)
from itp_monitor.domain.validation import fmt_number
from itp_monitor.domain.vocab import (
    AdverseEventGrade,
    Anaesthesia,
    DeliveryMode,
    InjectionSite,
    TreatmentKind,
    WhoBleedingGrade,
)
from itp_monitor.gui.forms.fields import FieldSpec
from itp_monitor.gui.forms.typed_time import as_typed
from itp_monitor.services.results import Stored

COUNT_SOURCES = [
    ("laboratory", "lab"),
    ("point of care", "point_of_care"),
    ("ward entry", "manual"),
]


def _choices(enum: Any, optional: str | None = None) -> list[tuple[str, Any]]:
    items = [(getattr(m, "label", m.value.replace("_", " ")), m.value) for m in enum]
    return [(optional, None), *items] if optional else items


def in_sentence(title: str) -> str:
    """'Platelet count' -> 'platelet count', 'rhTPO injection' unchanged."""
    return title[0].lower() + title[1:]


@dataclass(frozen=True)
class FormKind:
    """One kind of entry form."""

    title: str  # "Platelet count"
    record_type: type
    specs: list[FieldSpec]
    shortcut: str

    def make(self, values: dict[str, Any]) -> ClinicalRecord:
        names = {f.name for f in dataclasses.fields(self.record_type)}
        record: ClinicalRecord = self.record_type(**{k: v for k, v in values.items() if k in names})
        return record

    def values_of(self, record: ClinicalRecord) -> dict[str, Any]:
        return dataclasses.asdict(record)


FORMS: dict[type, FormKind] = {
    PlateletCount: FormKind(
        "Platelet count",
        PlateletCount,
        [
            FieldSpec("collected_at", "Collected", "datetime"),
            FieldSpec("value", "Count", "number", unit="×10⁹/L", placeholder="e.g. 42"),
            FieldSpec("source", "Source", "choice", choices=COUNT_SOURCES),
            FieldSpec("accession", "Accession number", "text", required=False),
        ],
        "Ctrl+1",
    ),
    Injection: FormKind(
        "rhTPO injection",
        Injection,
        [
            FieldSpec("given_at", "Given", "datetime"),
            FieldSpec("weight_kg", "Weight the dose is based on", "number", unit="kg"),
            FieldSpec("dose_units", "Dose", "whole", unit="U"),
            FieldSpec("site", "Site", "choice", choices=_choices(InjectionSite, "not recorded")),
            FieldSpec("lot", "Lot", "text", required=False),
            FieldSpec("given_by", "Given by", "text", required=False),
            FieldSpec("notes", "Notes", "text", required=False),
        ],
        "Ctrl+2",
    ),
    BleedingAssessment: FormKind(
        "Bleeding assessment",
        BleedingAssessment,
        [
            FieldSpec("assessed_at", "Assessed", "datetime"),
            FieldSpec(
                "who_grade",
                "WHO grade",
                "choice",
                choices=[(f"{g.value}: {g.description}", g.value) for g in WhoBleedingGrade],
            ),
            FieldSpec("notes", "Notes", "text", required=False),
        ],
        "Ctrl+3",
    ),
    Treatment: FormKind(
        "Other treatment",
        Treatment,
        [
            FieldSpec("kind", "Treatment", "choice", choices=_choices(TreatmentKind)),
            FieldSpec("started_at", "Started", "datetime"),
            FieldSpec("ended_at", "Ended (empty: ongoing)", "optional_datetime", required=False),
            FieldSpec("dose", "Dose", "text", required=False, placeholder="e.g. 20 mg daily"),
            FieldSpec("notes", "Notes", "text", required=False),
        ],
        "Ctrl+4",
    ),
    Delivery: FormKind(
        "Delivery",
        Delivery,
        [
            FieldSpec("delivered_at", "Delivered", "datetime"),
            FieldSpec("mode", "Mode", "choice", choices=_choices(DeliveryMode)),
            FieldSpec(
                "anaesthesia",
                "Anaesthesia",
                "choice",
                choices=_choices(Anaesthesia, "not recorded"),
            ),
            FieldSpec("blood_loss_ml", "Blood loss", "whole", required=False, unit="mL"),
            FieldSpec("notes", "Notes", "text", required=False),
        ],
        "Ctrl+5",
    ),
    NeonatalCount: FormKind(
        "Newborn platelet count",
        NeonatalCount,
        [
            FieldSpec("collected_at", "Collected", "datetime"),
            FieldSpec("value", "Count", "number", unit="×10⁹/L"),
            FieldSpec("notes", "Notes", "text", required=False, placeholder="e.g. cord blood"),
        ],
        "Ctrl+6",
    ),
    AdverseEvent: FormKind(
        "Adverse event",
        AdverseEvent,
        [
            FieldSpec("onset_at", "Onset", "datetime"),
            FieldSpec("description", "What happened", "text"),
            FieldSpec(
                "grade",
                "Grade (CTCAE)",
                "choice",
                choices=[
                    (f"{g.value}: {g.name.replace('_', ' ').lower()}", g.value)
                    for g in AdverseEventGrade
                ],
            ),
            FieldSpec(
                "related_to_rhtpo",
                "Related to rhTPO",
                "choice",
                choices=[("not judged", None), ("yes", True), ("no", False)],
                required=False,
            ),
            FieldSpec("notes", "Notes", "text", required=False),
        ],
        "Ctrl+7",
    ),
}

PATIENT_SPECS = [
    FieldSpec("mrn", "MRN", "text"),
    FieldSpec("name", "Name", "text"),
    FieldSpec("date_of_birth", "Date of birth", "optional_date", required=False),
    FieldSpec("edd", "EDD", "date"),
    FieldSpec("weight_kg", "Weight", "number", required=False, unit="kg"),
    FieldSpec("notes", "Notes", "text", required=False),
]


def make_patient(values: dict[str, Any]) -> PatientDetails:
    return PatientDetails(**values)


def new_values(
    record_type: type,
    now: datetime,
    *,
    weight: float | None,
    protocol: Protocol,
    user: str,
    last_site: str | None,
) -> dict[str, Any]:
    """What a new form is filled with: now, her weight, the protocol dose, the next site."""
    time_field = next(s.name for s in FORMS[record_type].specs if s.kind == "datetime")
    values: dict[str, Any] = {time_field: now}
    if record_type is PlateletCount:
        values["source"] = "lab"
    if record_type is Injection:
        values["weight_kg"] = weight
        if weight:
            values["dose_units"] = round(protocol.dose_per_kg * weight)
        values["given_by"] = user
        sites = [s.value for s in InjectionSite]
        values["site"] = (
            sites[(sites.index(last_site) + 1) % len(sites)] if last_site in sites else sites[0]
        )
    return values


def injection_note(values: dict[str, Any]) -> dict[str, str]:
    """The dose in U/kg as it is typed."""
    dose, weight = values.get("dose_units"), values.get("weight_kg")
    if dose and weight:
        return {"dose_units": f"= {dose / weight:.0f} U/kg at {fmt_number(weight)} kg"}
    return {"dose_units": ""}


_VALUE_WORDS: dict[type, Callable[[Any], str]] = {
    PlateletCount: lambda r: f"{fmt_number(r.value)} ×10⁹/L",
    Injection: lambda r: f"{fmt_number(r.dose_units)} U",
    BleedingAssessment: lambda r: f"WHO grade {r.who_grade}",
    Treatment: lambda r: " ".join(filter(None, [TreatmentKind(r.kind).label, r.dose])),
    Delivery: lambda r: DeliveryMode(r.mode).label,
    NeonatalCount: lambda r: f"{fmt_number(r.value)} ×10⁹/L",
    AdverseEvent: lambda r: _shortened(r.description),
}
SHORT_TEXT = 60


def _shortened(text: str) -> str:
    return text if len(text) <= SHORT_TEXT else text[: SHORT_TEXT - 1].rstrip() + "…"


def naming(stored: Stored[Any]) -> str:
    """'platelet count of 12 Nov 2026 08:00, 45 ×10⁹/L, entered by nurse.li': which record,
    in the words on the screen, so a question about it cannot be taken for its neighbour."""
    record = stored.record
    title = in_sentence(FORMS[type(record)].title)
    return (
        f"{title} of {as_typed(record.at)}, {_VALUE_WORDS[type(record)](record)}, "
        f"entered by {stored.entered_by}"
    )


LIVE_NOTES: dict[type, Callable[[dict[str, Any]], dict[str, str]]] = {Injection: injection_note}
