"""Checks on what is entered: each problem names the field, the value and what is accepted."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from itp_monitor.domain.kinds import MAX_CODE as MAX_CODE
from itp_monitor.domain.kinds import MAX_TEXT as MAX_TEXT
from itp_monitor.domain.kinds import FieldInfo, FieldKind, Measure, kind_of
from itp_monitor.domain.problems import Problem as Problem
from itp_monitor.domain.problems import fmt_number as fmt_number
from itp_monitor.domain.problems import fmt_time as fmt_time
from itp_monitor.domain.protocol import Definitions, Limits, Protocol, definitions
from itp_monitor.domain.records import ClinicalRecord, Injection, PatientDetails, Treatment
from itp_monitor.domain.slips import Nearby, entry_gestation, likely_slips
from itp_monitor.domain.units import from_per_microlitre


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

        Each field is checked as its description (domain/kinds.py) says, in the
        record's order; then what concerns more than one field. The likely slips
        (docs/protocol.md) are judged only when `nearby` is given: her EDD and her
        records near its time (`Nearby()` when she has none).
        """
        kind = kind_of(record)
        errors: list[Problem] = []
        for name in kind.field_names:
            f, value = kind.field_named(name), getattr(record, name)
            if value is not None or f.required:
                self._field(errors, f, value)
        if isinstance(record, Treatment):
            errors += _ended_before_start(record)
        errors.sort(key=lambda p: kind.field_names.index(p.field))  # stable: by field
        warnings: list[Problem] = []
        if isinstance(record, Injection) and not any(
            p.field in ("dose_units", "weight_kg") for p in errors
        ):
            warnings += self._dose_per_kg(record)
        if not errors and nearby is not None:
            warnings += likely_slips(record, nearby, self.protocol)
        return Findings(errors, warnings)

    def _field(self, errors: list[Problem], f: FieldInfo, value: Any) -> None:
        """The problems of one field's value (given, or required), as its kind says."""
        if f.kind is FieldKind.MOMENT:
            self._time(errors, f.name, value)
        elif f.kind in (FieldKind.TEXT, FieldKind.CODE):
            self.text(errors, f.name, value, required=f.required, longest=f.longest)
        elif f.kind is FieldKind.FLAG:
            if value not in (True, False, None):
                errors.append(Problem(f.name, f"{value!r} is not yes, no or unknown"))
        elif f.kind is FieldKind.CHOICE:
            allowed = [stored for stored, _ in f.choices]
            if all(isinstance(a, int) for a in allowed):  # a scale: a WHO or a CTCAE grade
                self.whole(errors, f.name, value, min(allowed), max(allowed), f.scale)
            elif value not in allowed:
                errors.append(Problem(f.name, f"{value!r} is not one of {', '.join(allowed)}"))
        elif f.measure is Measure.COUNT:
            self.count_value(errors, f.name, value)
        elif f.measure is Measure.WEIGHT:
            self.weight(errors, f.name, value, required=f.required)
        elif f.measure is Measure.DOSE:
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                errors.append(Problem(f.name, f"{value!r} is not a positive whole number of units"))
        elif f.measure is Measure.BLOOD_LOSS:
            top = self.limits.blood_loss_max_ml
            self.whole(errors, f.name, value, 0, top, "a blood loss in mL")

    def _dose_per_kg(self, i: Injection) -> list[Problem]:
        """A dose outside the protocol's range of U/kg: asked, not refused."""
        lo, hi = self.protocol.dose_check_min_per_kg, self.protocol.dose_check_max_per_kg
        per_kg = i.dose_per_kg
        if lo <= per_kg <= hi:
            return []
        return [
            Problem(
                "dose_units",
                f"{fmt_number(i.dose_units)} U is {per_kg:.0f} U/kg at "
                f"{fmt_number(i.weight_kg)} kg, "
                f"outside {fmt_number(lo)}–{fmt_number(hi)} U/kg "
                f"(protocol dose {fmt_number(self.protocol.dose_per_kg)} U/kg); "
                "confirm that this dose is intended",
            )
        ]


def _ended_before_start(t: Treatment) -> list[Problem]:
    ended, started = t.ended_at, t.started_at
    if not (isinstance(ended, datetime) and isinstance(started, datetime) and ended < started):
        return []
    return [Problem("ended_at", f"{fmt_time(ended)} is before the start, {fmt_time(started)}")]
