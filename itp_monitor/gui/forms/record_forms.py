"""What each entry form asks, and how its values become a record (and a record its values)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from itp_monitor.domain.kinds import KINDS, FieldKind, RecordKind, kind_of
from itp_monitor.domain.problems import fmt_number
from itp_monitor.domain.protocol import Protocol
from itp_monitor.domain.records import ClinicalRecord, Injection, PatientDetails, PlateletCount
from itp_monitor.domain.vocab import CountSource, InjectionSite
from itp_monitor.gui.forms.fields import FieldSpec
from itp_monitor.gui.forms.typed_time import as_typed
from itp_monitor.services.results import Stored


def in_sentence(title: str) -> str:
    """'Platelet count' -> 'platelet count', 'rhTPO injection' unchanged."""
    return title[0].lower() + title[1:]


@dataclass(frozen=True)
class FormKind:
    """The entry form of one kind of record: a field per described field."""

    kind: RecordKind
    shortcut: str
    specs: list[FieldSpec] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "specs", [FieldSpec.of(f) for f in self.kind.fields])

    @property
    def title(self) -> str:  # "Platelet count"
        return self.kind.title

    @property
    def record_type(self) -> type:
        return self.kind.record

    def make(self, values: dict[str, Any]) -> ClinicalRecord:
        record: ClinicalRecord = self.kind.make(values)
        return record

    def values_of(self, record: ClinicalRecord) -> dict[str, Any]:
        return self.kind.values(record)


FORMS: dict[type, FormKind] = {
    kind.record: FormKind(kind, f"Ctrl+{position}") for position, kind in enumerate(KINDS, 1)
}

PATIENT_SPECS = [
    FieldSpec("mrn", "MRN", FieldKind.TEXT),
    FieldSpec("name", "Name", FieldKind.TEXT),
    FieldSpec("date_of_birth", "Date of birth", FieldKind.DATE, required=False),
    FieldSpec("edd", "EDD", FieldKind.DATE),
    FieldSpec("weight_kg", "Weight", FieldKind.NUMBER, required=False, unit="kg"),
    FieldSpec("notes", "Notes", FieldKind.TEXT, required=False),
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
    values: dict[str, Any] = {kind_of(record_type).time_field: now}
    if record_type is PlateletCount:
        values["source"] = CountSource.LAB.value
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


def naming(stored: Stored[Any]) -> str:
    """'platelet count of 12 Nov 2026 08:00, 45 ×10⁹/L, entered by nurse.li': which record,
    in the words on the screen, so a question about it cannot be taken for its neighbour."""
    record = stored.record
    kind = kind_of(record)
    return (
        f"{in_sentence(kind.title)} of {as_typed(record.at)}, {kind.summary(record)}, "
        f"entered by {stored.entered_by}"
    )


LIVE_NOTES: dict[type, Callable[[dict[str, Any]], dict[str, str]]] = {Injection: injection_note}
