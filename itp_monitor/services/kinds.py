"""The kinds of clinical record as the services store them: each description and its table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from itp_monitor.domain import kinds as described
from itp_monitor.domain.kinds import RecordKind
from itp_monitor.domain.records import ClinicalRecord
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

# the one thing storage adds to a kind's description: the table its versions live in
_ROWS: dict[str, type[ClinicalRow]] = {
    "platelet_count": PlateletCountRow,
    "injection": InjectionRow,
    "bleeding_assessment": BleedingAssessmentRow,
    "treatment": TreatmentRow,
    "delivery": DeliveryRow,
    "neonatal_count": NeonatalCountRow,
    "adverse_event": AdverseEventRow,
}


@dataclass(frozen=True)
class Kind(Generic[R]):
    info: RecordKind
    row: type[ClinicalRow]

    @property
    def entity(self) -> str:
        return self.info.entity

    @property
    def label(self) -> str:
        return self.info.label

    @property
    def record(self) -> type[R]:
        record: type[R] = self.info.record
        return record

    @property
    def time_field(self) -> str:
        return self.info.time_field

    @property
    def field_names(self) -> tuple[str, ...]:
        return self.info.field_names

    def values(self, record: R) -> dict[str, Any]:
        return self.info.values(record)

    def from_row(self, row: Any) -> R:
        record: R = self.record(**{name: getattr(row, name) for name in self.info.field_names})
        return record


KINDS: tuple[Kind[Any], ...] = tuple(Kind(k, _ROWS[k.entity]) for k in described.KINDS)
_BY_RECORD: dict[type[Any], Kind[Any]] = {k.record: k for k in KINDS}
_BY_ENTITY: dict[str, Kind[Any]] = {k.entity: k for k in KINDS}


def kind_of(record_type: type[R]) -> Kind[R]:
    return _BY_RECORD[record_type]


def kind_named(entity: str) -> Kind[Any]:
    return _BY_ENTITY[entity]
