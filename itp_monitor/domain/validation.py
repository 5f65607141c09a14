"""Checks on what is entered: each problem names the field, the value and what is accepted."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from itp_monitor.domain.problems import Problem as Problem
from itp_monitor.domain.problems import fmt_number as fmt_number
from itp_monitor.domain.problems import fmt_time as fmt_time
from itp_monitor.domain.protocol import Definitions, Limits, Protocol, definitions
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
from itp_monitor.domain.slips import Nearby, entry_gestation, likely_slips
from itp_monitor.domain.units import from_per_microlitre
from itp_monitor.domain.vocab import (
    AdverseEventGrade,
    Anaesthesia,
    DeliveryMode,
    InjectionSite,
    TreatmentKind,
    WhoBleedingGrade,
    values_of,
)

MAX_TEXT = 2000
MAX_CODE = 64


class InvalidEntry(ValueError):
    """An entry refused; `problems` says what is wrong, field by field."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], context: str = "") -> None:
        self.problems = tuple(problems)
        self.context = context
        super().__init__(str(self))

    def __str__(self) -> str:
        text = "; ".join(str(p) for p in self.problems)
        return f"{self.context}: {text}" if self.context else text

    def within(self, context: str) -> InvalidEntry:
        """The same problems, said of a place (a patient and a record in a file)."""
        inner = f"{context}, {self.context}" if self.context else context
        return type(self)(self.problems, inner)


class NeedsConfirmation(InvalidEntry):
    """An entry that is allowed but unusual: saved only when the caller confirms it."""


@dataclass(frozen=True)
class Findings:
    errors: list[Problem]
    warnings: list[Problem]

    def raise_if_any(self, *, confirmed: bool = False) -> None:
        if self.errors:
            raise InvalidEntry(self.errors)
        if self.warnings and not confirmed:
            raise NeedsConfirmation(self.warnings)


class Checker:
    """Validates entries against the plausibility limits and the unit's protocol at a moment."""

    def __init__(
        self,
        limits: Limits,
        protocol: Protocol,
        now: datetime,
        obstetrics: Definitions | None = None,
    ) -> None:
        self.limits = limits
        self.protocol = protocol
        self.now = now
        self.obstetrics = obstetrics or definitions()
        self.earliest = date(limits.earliest_year, 1, 1)

    # --- fields -------------------------------------------------------------

    def _time(self, errors: list[Problem], field: str, value: Any) -> None:
        if not isinstance(value, datetime):
            errors.append(Problem(field, f"{value!r} is not a date and time"))
        elif value.tzinfo is not None:
            errors.append(Problem(field, f"{value} has a time-zone offset; give local time"))
        elif value > self.now:
            errors.append(
                Problem(
                    field, f"{fmt_time(value)} is in the future (it is now {fmt_time(self.now)})"
                )
            )
        elif value.date() < self.earliest:
            errors.append(
                Problem(
                    field,
                    f"{fmt_time(value)} is before {self.earliest}; a time from "
                    f"{self.earliest} up to now is accepted",
                )
            )

    def _edd(self, errors: list[Problem], value: Any) -> None:
        if not isinstance(value, date) or isinstance(value, datetime):
            errors.append(Problem("edd", f"{value!r} is not a date"))
            return
        today = self.now.date()
        ahead = self.limits.edd_max_days_ahead
        latest = today + timedelta(days=ahead)
        accepted = f"an EDD from {self.earliest} to {latest} ({ahead} days from today) is accepted"
        if value < self.earliest:
            errors.append(Problem("edd", f"{value} is before {self.earliest}; {accepted}"))
        elif value > latest:
            errors.append(
                Problem(
                    "edd",
                    f"{value} is more than {ahead} days after today ({today}); {accepted}",
                )
            )

    def _date_of_birth(self, errors: list[Problem], value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, date) or isinstance(value, datetime):
            errors.append(Problem("date_of_birth", f"{value!r} is not a date"))
        elif value > self.now.date():
            errors.append(Problem("date_of_birth", f"{value} is in the future"))
        elif value < self.earliest:
            errors.append(
                Problem(
                    "date_of_birth",
                    f"{value} is before {self.earliest}; a date of birth from "
                    f"{self.earliest} to today is accepted",
                )
            )

    def count_value(self, errors: list[Problem], field: str, value: Any) -> None:
        top = self.limits.count_max
        accepted = f"a count is a number from 0 to {fmt_number(top)} ×10⁹/L"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            errors.append(Problem(field, f"{value!r} is not a number; {accepted}"))
        elif value < 0:
            errors.append(Problem(field, f"{fmt_number(value)} is below 0; {accepted}"))
        elif value > top:
            hint = ""
            if from_per_microlitre(value) <= top:
                hint = (
                    f"; it looks like a per-µL value: {fmt_number(value)}/µL is "
                    f"{fmt_number(from_per_microlitre(value))} ×10⁹/L"
                )
            errors.append(
                Problem(field, f"{fmt_number(value)} is above {fmt_number(top)}; {accepted}{hint}")
            )

    def weight(self, errors: list[Problem], field: str, value: Any, *, required: bool) -> None:
        if value is None:
            if required:
                errors.append(
                    Problem(field, "is missing; the dose in U/kg needs the weight it was based on")
                )
            return
        lo, hi = self.limits.weight_min, self.limits.weight_max
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            errors.append(Problem(field, f"{value!r} is not a number of kg"))
        elif not lo <= value <= hi:
            errors.append(
                Problem(
                    field, f"{fmt_number(value)} kg is outside {fmt_number(lo)}–{fmt_number(hi)} kg"
                )
            )

    @staticmethod
    def choice(
        errors: list[Problem], field: str, value: Any, enum: type[StrEnum], *, required: bool
    ) -> None:
        if value is None and not required:
            return
        allowed = values_of(enum)
        if value not in allowed:
            errors.append(Problem(field, f"{value!r} is not one of {', '.join(allowed)}"))

    @staticmethod
    def text(
        errors: list[Problem],
        field: str,
        value: Any,
        *,
        required: bool = False,
        longest: int = MAX_TEXT,
    ) -> None:
        if value is None:
            if required:
                errors.append(Problem(field, "is missing"))
            return
        if not isinstance(value, str):
            errors.append(Problem(field, f"{value!r} is not text"))
        elif required and not value.strip():
            errors.append(Problem(field, "is empty"))
        elif len(value) > longest:
            errors.append(Problem(field, f"is {len(value):,} characters long; at most {longest:,}"))

    @staticmethod
    def whole(
        errors: list[Problem],
        field: str,
        value: Any,
        lo: int,
        hi: int,
        what: str,
        *,
        required: bool = True,
    ) -> None:
        if value is None and not required:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            errors.append(Problem(field, f"{value!r} is not {what} ({lo} to {hi:,})"))

    # --- records ------------------------------------------------------------

    def check_patient(self, p: PatientDetails, *, entry: bool = True) -> Findings:
        """Errors, and (`entry`: she is admitted or her EDD changes) the gestation warnings."""
        errors: list[Problem] = []
        self.text(errors, "mrn", p.mrn, required=True, longest=40)
        if isinstance(p.mrn, str) and p.mrn != p.mrn.strip():
            errors.append(Problem("mrn", f"{p.mrn!r} has spaces at the start or end"))
        self.text(errors, "name", p.name, required=True, longest=200)
        edd_errors: list[Problem] = []
        self._edd(edd_errors, p.edd)
        errors += edd_errors
        self._date_of_birth(errors, p.date_of_birth)
        self.weight(errors, "weight_kg", p.weight_kg, required=False)
        self.text(errors, "notes", p.notes)
        warnings: list[Problem] = []
        if entry and not edd_errors:
            warnings = entry_gestation(p.edd, self.now.date(), self.protocol, self.obstetrics)
        return Findings(errors, warnings)

    def check(self, record: ClinicalRecord, nearby: Nearby | None = None) -> Findings:
        """Errors that refuse the record and warnings that need a confirmation.

        The likely slips (docs/protocol.md) are judged only when `nearby` is given:
        her EDD and her records near its time (`Nearby()` when she has none).
        """
        errors: list[Problem] = []
        warnings: list[Problem] = []
        match record:
            case PlateletCount():
                self._time(errors, "collected_at", record.collected_at)
                self.count_value(errors, "value", record.value)
                self.text(errors, "source", record.source, required=True, longest=MAX_CODE)
                self.text(errors, "accession", record.accession, longest=MAX_CODE)
            case Injection():
                self._injection(record, errors, warnings)
            case BleedingAssessment():
                self._time(errors, "assessed_at", record.assessed_at)
                self.whole(
                    errors, "who_grade", record.who_grade, 0, max(WhoBleedingGrade), "a WHO grade"
                )
                self.text(errors, "notes", record.notes)
            case Treatment():
                self.choice(errors, "kind", record.kind, TreatmentKind, required=True)
                self._time(errors, "started_at", record.started_at)
                if record.ended_at is not None:
                    self._time(errors, "ended_at", record.ended_at)
                    if (
                        isinstance(record.ended_at, datetime)
                        and isinstance(record.started_at, datetime)
                        and record.ended_at < record.started_at
                    ):
                        errors.append(
                            Problem(
                                "ended_at",
                                f"{fmt_time(record.ended_at)} is before the start, "
                                f"{fmt_time(record.started_at)}",
                            )
                        )
                self.text(errors, "dose", record.dose, longest=200)
                self.text(errors, "notes", record.notes)
            case Delivery():
                self._time(errors, "delivered_at", record.delivered_at)
                self.choice(errors, "mode", record.mode, DeliveryMode, required=True)
                self.choice(errors, "anaesthesia", record.anaesthesia, Anaesthesia, required=False)
                self.whole(
                    errors,
                    "blood_loss_ml",
                    record.blood_loss_ml,
                    0,
                    self.limits.blood_loss_max_ml,
                    "a blood loss in mL",
                    required=False,
                )
                self.text(errors, "notes", record.notes)
            case NeonatalCount():
                self._time(errors, "collected_at", record.collected_at)
                self.count_value(errors, "value", record.value)
                self.text(errors, "notes", record.notes)
            case AdverseEvent():
                self._time(errors, "onset_at", record.onset_at)
                self.text(errors, "description", record.description, required=True)
                self.whole(
                    errors,
                    "grade",
                    record.grade,
                    min(AdverseEventGrade),
                    max(AdverseEventGrade),
                    "a CTCAE grade",
                )
                if record.related_to_rhtpo not in (True, False, None):
                    errors.append(
                        Problem(
                            "related_to_rhtpo",
                            f"{record.related_to_rhtpo!r} is not yes, no or unknown",
                        )
                    )
                self.text(errors, "notes", record.notes)
        if not errors and nearby is not None:
            warnings += likely_slips(record, nearby, self.protocol)
        return Findings(errors, warnings)

    def _injection(self, i: Injection, errors: list[Problem], warnings: list[Problem]) -> None:
        self._time(errors, "given_at", i.given_at)
        dose_ok = (
            isinstance(i.dose_units, int)
            and not isinstance(i.dose_units, bool)
            and i.dose_units > 0
        )
        if not dose_ok:
            errors.append(
                Problem("dose_units", f"{i.dose_units!r} is not a positive whole number of units")
            )
        weight_errors: list[Problem] = []
        self.weight(weight_errors, "weight_kg", i.weight_kg, required=True)
        errors.extend(weight_errors)
        self.choice(errors, "site", i.site, InjectionSite, required=False)
        for field in ("lot", "given_by"):
            self.text(errors, field, getattr(i, field), longest=MAX_CODE)
        self.text(errors, "notes", i.notes)
        if dose_ok and not weight_errors:
            lo, hi = self.protocol.dose_check_min_per_kg, self.protocol.dose_check_max_per_kg
            per_kg = i.dose_per_kg
            if not lo <= per_kg <= hi:
                warnings.append(
                    Problem(
                        "dose_units",
                        f"{fmt_number(i.dose_units)} U is {per_kg:.0f} U/kg at "
                        f"{fmt_number(i.weight_kg)} kg, "
                        f"outside {fmt_number(lo)}–{fmt_number(hi)} U/kg "
                        f"(protocol dose {fmt_number(self.protocol.dose_per_kg)} U/kg); "
                        "confirm that this dose is intended",
                    )
                )
