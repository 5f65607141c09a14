"""The kinds of clinical record: how each domain record maps to its table and its name."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from itp_monitor.domain.records import (
    AdverseEvent,
    BleedingAssessment,
    ClinicalRecord,
    Delivery,
    Injection,
    NeonatalCount,
    PlateletCount,
    Treatment,
)
from itp_monitor.storage.models import (
    AdverseEventRow,
    BleedingAssessmentRow,
    ClinicalRow,
    DeliveryRow,
    InjectionRow,
    NeonatalCountRow,
    PlateletCountRow,
    TreatmentRow,
)

R = TypeVar("R", bound=ClinicalRecord)


@dataclass(frozen=True)
class Kind(Generic[R]):
    entity: str  # the name in the audit trail and the record file
    label: str  # what the ward calls it
    record: type[R]
    row: type[ClinicalRow]
    time_field: str

    field_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(f.name for f in dataclasses.fields(self.record))
        object.__setattr__(self, "field_names", names)  # once, not per row read

    def values(self, record: R) -> dict[str, Any]:
        return {name: getattr(record, name) for name in self.field_names}

    def from_row(self, row: Any) -> R:
        return self.record(**{name: getattr(row, name) for name in self.field_names})


KINDS: tuple[Kind[Any], ...] = (
    Kind("platelet_count", "platelet count", PlateletCount, PlateletCountRow, "collected_at"),
    Kind("injection", "rhTPO injection", Injection, InjectionRow, "given_at"),
    Kind(
        "bleeding_assessment",
        "bleeding assessment",
        BleedingAssessment,
        BleedingAssessmentRow,
        "assessed_at",
    ),
    Kind("treatment", "treatment", Treatment, TreatmentRow, "started_at"),
    Kind("delivery", "delivery", Delivery, DeliveryRow, "delivered_at"),
    Kind(
        "neonatal_count", "newborn platelet count", NeonatalCount, NeonatalCountRow, "collected_at"
    ),
    Kind("adverse_event", "adverse event", AdverseEvent, AdverseEventRow, "onset_at"),
)
_BY_RECORD: dict[type[Any], Kind[Any]] = {k.record: k for k in KINDS}
_BY_ENTITY: dict[str, Kind[Any]] = {k.entity: k for k in KINDS}


def kind_of(record_type: type[R]) -> Kind[R]:
    return _BY_RECORD[record_type]


def kind_named(entity: str) -> Kind[Any]:
    return _BY_ENTITY[entity]
