"""What each kind of clinical record is, described once.

Everything that handles the seven kinds (the services, the record file, the
exports, the tables, the forms and their checks) is built from these
descriptions rather than from a table of its own keyed by record type. Adding a
kind means a record class in domain/records.py, a description here, a row class
and a migration in storage (docs/architecture.md, "Adding a kind of record").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from itp_monitor.domain.problems import fmt_number
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
from itp_monitor.domain.vocab import (
    AdverseEventGrade,
    Anaesthesia,
    CountSource,
    DeliveryMode,
    InjectionSite,
    TreatmentKind,
    WhoBleedingGrade,
)

MAX_TEXT = 2000  # a note or a description
MAX_CODE = 64  # a code, a lot number, a name
SHORT_TEXT = 60  # a text shortened to name its record


class FieldKind(StrEnum):
    """How a field is typed, read from a file, checked and shown."""

    MOMENT = "moment"  # a local date and time
    DATE = "date"
    NUMBER = "number"  # digits with at most one decimal point
    WHOLE = "whole"  # a whole number
    TEXT = "text"  # free text, up to `longest`
    CODE = "code"  # a short code; `choices` are offered, others accepted from files
    CHOICE = "choice"  # one of `choices`, nothing else
    FLAG = "flag"  # yes, no, or not judged (None)


class Measure(StrEnum):
    """A number whose accepted range the plausibility limits or a scale set."""

    COUNT = "count"  # a platelet count, ×10⁹/L
    WEIGHT = "weight"  # kg
    DOSE = "dose"  # units of rhTPO, positive
    BLOOD_LOSS = "blood_loss"  # mL


@dataclass(frozen=True)
class FieldInfo:
    """One field of a record: what the ward calls it and how it is entered and shown."""

    name: str  # the record's attribute, as problems name it and the record file spells it
    label: str  # on the entry form
    kind: FieldKind
    required: bool = True
    choices: tuple[tuple[Any, str], ...] = ()  # (stored value, words shown)
    unit: str = ""
    placeholder: str = ""
    header: str = ""  # the table's column; empty: the label
    empty: str = ""  # shown for None (an optional choice's first item, 'ongoing')
    in_table: bool = True
    longest: int = MAX_TEXT  # TEXT and CODE
    measure: Measure | None = None  # NUMBER and WHOLE
    derived: bool = False  # a property of the record, shown but never entered
    decimals: int | None = None  # shown rounded to this many decimals; None: as stored
    scale: str = ""  # a graded choice in a sentence: 'a WHO grade'
    _shown: dict[Any, str] = field(init=False, repr=False, compare=False)  # choices' words

    def __post_init__(self) -> None:
        object.__setattr__(self, "_shown", dict(self.choices))  # once, not per cell painted

    @property
    def column(self) -> str:
        return self.header or self.label

    @property
    def numeric(self) -> bool:
        return self.kind in (FieldKind.NUMBER, FieldKind.WHOLE)

    def words(self, value: Any) -> str:
        """The value as the ward reads it in a table: choices by their words, numbers
        without a trailing .0, times to the minute, None as `empty`."""
        if value is None:
            return self.empty
        if self.kind is FieldKind.MOMENT:
            return f"{value:%d %b %Y %H:%M}"
        if self.choices:
            return self._shown.get(value, str(value))
        if self.numeric:
            return f"{value:.{self.decimals}f}" if self.decimals is not None else fmt_number(value)
        return str(value)


def choices_of(enum: type[Enum]) -> tuple[tuple[Any, str], ...]:
    """A fixed list's members as (stored value, words): each member's `label`."""
    return tuple((m.value, str(getattr(m, "label", m.value))) for m in enum)


FLAG_WORDS = "not judged"
YES_NO = ((True, "yes"), (False, "no"))


def _moment(name: str, label: str, **more: Any) -> FieldInfo:
    return FieldInfo(name, label, FieldKind.MOMENT, **more)


def _notes(placeholder: str = "", *, in_table: bool = True) -> FieldInfo:
    return FieldInfo(
        "notes", "Notes", FieldKind.TEXT, required=False, placeholder=placeholder, in_table=in_table
    )


@dataclass(frozen=True)
class RecordKind:
    """One kind of clinical record."""

    entity: str  # singular: the audit trail's name for it
    title: str  # 'Platelet count': a form's title, a menu's item
    label: str  # 'platelet count': in a sentence
    record: type[Any]
    listing: str  # the attribute of a patient's records that holds them
    file_list: str  # the record file's list (or, for `single`, its object)
    tab: str  # the workspace tab; kinds with the same tab share it
    fields: tuple[FieldInfo, ...]
    summary: Callable[[Any], str]  # its value in a few words: '45 ×10⁹/L', 'IVIG 1 g/kg'
    same_record: tuple[str, ...] = ()  # what makes two the same record: merged, never added twice
    single: bool = False  # one per woman (a delivery): corrected, never added twice
    derived: tuple[FieldInfo, ...] = ()  # columns computed from the record
    derived_after: str = ""  # the field the derived columns follow in the table

    time_field: str = field(init=False)
    field_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(f.name for f in dataclasses.fields(self.record))
        described = tuple(f.name for f in self.fields)
        if sorted(names) != sorted(described):
            raise TypeError(f"{self.entity}: the description's fields {described} are not {names}")
        unchecked = [
            f.name
            for f in self.fields
            if f.kind is FieldKind.DATE or (f.numeric and not f.choices and f.measure is None)
        ]
        if unchecked:  # domain/validation.py checks numbers by their measure
            raise TypeError(f"{self.entity}: no check for {unchecked}: give each a Measure")
        moments = [f.name for f in self.fields if f.kind is FieldKind.MOMENT and f.required]
        object.__setattr__(self, "time_field", moments[0])
        object.__setattr__(self, "field_names", names)  # once, not per row read

    def field_named(self, name: str) -> FieldInfo:
        return next(f for f in self.fields if f.name == name)

    def columns(self) -> tuple[FieldInfo, ...]:
        """The table's columns, in order: the fields shown, the derived ones in place."""
        out: list[FieldInfo] = []
        for f in self.fields:
            if f.in_table:
                out.append(f)
            if f.name == self.derived_after:
                out.extend(self.derived)
        return tuple(out)

    def values(self, record: Any) -> dict[str, Any]:
        return {name: getattr(record, name) for name in self.field_names}

    def make(self, values: dict[str, Any]) -> Any:
        """A record from its field values; values of other names are left out."""
        return self.record(**{n: values[n] for n in self.field_names if n in values})

    def naming(self, record: Any) -> str:
        """'platelet count, 45 ×10⁹/L': its kind and value."""
        return f"{self.label}, {self.summary(record)}"


def _shortened(text: str) -> str:
    return text if len(text) <= SHORT_TEXT else text[: SHORT_TEXT - 1].rstrip() + "…"


_COUNT = "×10⁹/L"
_SAME_COUNT = ("collected_at",)  # one sample, one value: a count at that time is the same


def _count_value(placeholder: str = "") -> FieldInfo:
    return FieldInfo(
        "value",
        "Count",
        FieldKind.NUMBER,
        unit=_COUNT,
        placeholder=placeholder,
        header=_COUNT,
        measure=Measure.COUNT,
    )


_TREATMENT_KIND = FieldInfo(
    "kind", "Treatment", FieldKind.CHOICE, choices=choices_of(TreatmentKind)
)
_DELIVERY_MODE = FieldInfo("mode", "Mode", FieldKind.CHOICE, choices=choices_of(DeliveryMode))


def _count_words(record: Any) -> str:
    return f"{fmt_number(record.value)} {_COUNT}"


KINDS: tuple[RecordKind, ...] = (
    RecordKind(
        entity="platelet_count",
        title="Platelet count",
        label="platelet count",
        record=PlateletCount,
        listing="counts",
        file_list="platelet_counts",
        tab="Counts",
        fields=(
            _moment("collected_at", "Collected"),
            _count_value("e.g. 42"),
            FieldInfo(
                "source",
                "Source",
                FieldKind.CODE,
                choices=choices_of(CountSource),
                longest=MAX_CODE,
            ),
            FieldInfo(
                "accession",
                "Accession number",
                FieldKind.CODE,
                required=False,
                header="Accession",
                longest=MAX_CODE,
            ),
        ),
        summary=_count_words,
        same_record=_SAME_COUNT,
    ),
    RecordKind(
        entity="injection",
        title="rhTPO injection",
        label="rhTPO injection",
        record=Injection,
        listing="injections",
        file_list="injections",
        tab="Injections",
        fields=(
            _moment("given_at", "Given"),
            FieldInfo(
                "weight_kg",
                "Weight the dose is based on",
                FieldKind.NUMBER,
                unit="kg",
                header="Weight kg",
                measure=Measure.WEIGHT,
            ),
            FieldInfo(
                "dose_units",
                "Dose",
                FieldKind.WHOLE,
                unit="U",
                header="Dose U",
                measure=Measure.DOSE,
            ),
            FieldInfo(
                "site",
                "Site",
                FieldKind.CHOICE,
                required=False,
                choices=choices_of(InjectionSite),
                empty="not recorded",
            ),
            FieldInfo("lot", "Lot", FieldKind.CODE, required=False, longest=MAX_CODE),
            FieldInfo("given_by", "Given by", FieldKind.CODE, required=False, longest=MAX_CODE),
            _notes(in_table=False),
        ),
        summary=lambda r: f"{fmt_number(r.dose_units)} U",
        same_record=("given_at",),
        derived=(FieldInfo("dose_per_kg", "U/kg", FieldKind.NUMBER, derived=True, decimals=0),),
        derived_after="dose_units",
    ),
    RecordKind(
        entity="bleeding_assessment",
        title="Bleeding assessment",
        label="bleeding assessment",
        record=BleedingAssessment,
        listing="bleeding",
        file_list="bleeding_assessments",
        tab="Bleeding",
        fields=(
            _moment("assessed_at", "Assessed"),
            FieldInfo(
                "who_grade",
                "WHO grade",
                FieldKind.CHOICE,
                choices=choices_of(WhoBleedingGrade),
                scale="a WHO grade",
            ),
            _notes(),
        ),
        summary=lambda r: f"WHO grade {r.who_grade}",
        same_record=("assessed_at",),
    ),
    RecordKind(
        entity="treatment",
        title="Other treatment",
        label="treatment",
        record=Treatment,
        listing="treatments",
        file_list="treatments",
        tab="Other treatments",
        fields=(
            _TREATMENT_KIND,
            _moment("started_at", "Started"),
            _moment(
                "ended_at",
                "Ended (empty: ongoing)",
                required=False,
                header="Ended",
                empty="ongoing",
            ),
            FieldInfo(
                "dose",
                "Dose",
                FieldKind.TEXT,
                required=False,
                placeholder="e.g. 20 mg daily",
                longest=200,
            ),
            _notes(),
        ),
        summary=lambda r: " ".join(filter(None, [_TREATMENT_KIND.words(r.kind), r.dose])),
        same_record=("kind", "started_at"),
    ),
    RecordKind(
        entity="delivery",
        title="Delivery",
        label="delivery",
        record=Delivery,
        listing="delivery",
        file_list="delivery",
        tab="Delivery and newborn",
        fields=(
            _moment("delivered_at", "Delivered"),
            _DELIVERY_MODE,
            FieldInfo(
                "anaesthesia",
                "Anaesthesia",
                FieldKind.CHOICE,
                required=False,
                choices=choices_of(Anaesthesia),
                empty="not recorded",
            ),
            FieldInfo(
                "blood_loss_ml",
                "Blood loss",
                FieldKind.WHOLE,
                required=False,
                unit="mL",
                header="Blood loss mL",
                measure=Measure.BLOOD_LOSS,
            ),
            _notes(),
        ),
        summary=lambda r: _DELIVERY_MODE.words(r.mode),
        single=True,
    ),
    RecordKind(
        entity="neonatal_count",
        title="Newborn platelet count",
        label="newborn platelet count",
        record=NeonatalCount,
        listing="neonatal_counts",
        file_list="neonatal_counts",
        tab="Delivery and newborn",
        fields=(
            _moment("collected_at", "Collected"),
            _count_value(),
            _notes("e.g. cord blood"),
        ),
        summary=_count_words,
        same_record=_SAME_COUNT,
    ),
    RecordKind(
        entity="adverse_event",
        title="Adverse event",
        label="adverse event",
        record=AdverseEvent,
        listing="adverse_events",
        file_list="adverse_events",
        tab="Adverse events",
        fields=(
            _moment("onset_at", "Onset"),
            FieldInfo("description", "What happened", FieldKind.TEXT, header="Description"),
            FieldInfo(
                "grade",
                "Grade (CTCAE)",
                FieldKind.CHOICE,
                choices=choices_of(AdverseEventGrade),
                header="Grade",
                scale="a CTCAE grade",
            ),
            FieldInfo(
                "related_to_rhtpo",
                "Related to rhTPO",
                FieldKind.FLAG,
                required=False,
                choices=YES_NO,
                empty=FLAG_WORDS,
            ),
            _notes(),
        ),
        summary=lambda r: _shortened(r.description),
        same_record=("onset_at", "description"),
    ),
)

_BY_RECORD: dict[type[Any], RecordKind] = {k.record: k for k in KINDS}
_BY_ENTITY: dict[str, RecordKind] = {k.entity: k for k in KINDS}


def kind_of(record: ClinicalRecord | type[Any]) -> RecordKind:
    """The description of a record, or of a record class."""
    return _BY_RECORD[record if isinstance(record, type) else type(record)]


def kind_named(entity: str) -> RecordKind:
    return _BY_ENTITY[entity]
