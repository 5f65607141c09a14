"""The unit's protocol: clinical thresholds and windows, their defaults, units and sources."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, Self

from itp_monitor.packaged import data_dir


@dataclass(frozen=True)
class SettingInfo:
    """One number of the protocol as the resource file describes it."""

    key: str
    default: float
    unit: str
    label: str
    explain: str
    source: str
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Protocol:
    """The settings in force on a unit: the shipped defaults with the unit's overrides."""

    dose_per_kg: float
    dose_check_min_per_kg: float
    dose_check_max_per_kg: float
    course_length_days: int
    course_gap_days: int
    follow_up_days: int
    baseline_window_days: int
    assessment_day: int
    stop_at: float
    stop_recent_days: int
    response_min: float
    response_fold: float
    complete_response_min: float
    confirm_days: int
    bleeding_min_who_grade: int
    bleeding_window_days: int
    critical_below: float
    treat_below: float
    delivery_min: float
    neuraxial_min: float
    thrombocytosis_above: float
    monitoring_interval_days: int
    delivery_window_from_weeks: int
    projection_from_weeks: int
    projection_target_weeks: int
    projection_window_days: int
    projection_min_counts: int
    neonatal_due_days: int
    neonatal_low_below: float
    neonatal_severe_below: float
    # entry checks: what needs a confirmation before it is saved (a note from a file)
    second_injection_within_hours: int
    count_confirm_at_most: float
    count_change_within_hours: int
    count_fall_fold: float
    count_rise_fold: float
    record_before_edd_days: int
    record_after_edd_days: int
    entry_gestation_min_weeks: int
    entry_gestation_max_weeks: int

    def with_overrides(self, overrides: Mapping[str, float]) -> Self:
        """This protocol with some settings changed; unknown keys are an error."""
        unknown = set(overrides) - {f.name for f in fields(self)}
        if unknown:
            raise KeyError(f"unknown protocol settings: {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **_typed(type(self), overrides))


@dataclass(frozen=True)
class Limits:
    """Plausibility limits of the record store and the record file; the same for every unit."""

    count_max: float
    weight_min: float
    weight_max: float
    blood_loss_max_ml: int
    earliest_year: int
    edd_max_days_ahead: int


@dataclass(frozen=True)
class Definitions:
    """Fixed definitions of obstetrics the rules use; the same for every unit."""

    pregnancy_days: int
    early_term_weeks: int
    full_term_weeks: int
    late_term_weeks: int
    post_term_weeks: int


@dataclass(frozen=True)
class ProtocolBook:
    """Everything the resource file says: defaults, limits and what each number means."""

    defaults: Protocol
    limits: Limits
    definitions: Definitions
    settings: Mapping[str, SettingInfo]
    limit_info: Mapping[str, SettingInfo]
    definition_info: Mapping[str, SettingInfo]


@dataclass(frozen=True)
class ProtocolInForce:
    """The settings in force and where each value comes from (its source, or the unit's change)."""

    values: Protocol
    sources: Mapping[str, str]

    def source(self, *keys: str) -> str:
        """The sources of the named settings, each once, in order."""
        seen: list[str] = []
        for key in keys:
            if self.sources[key] not in seen:
                seen.append(self.sources[key])
        return "; ".join(seen)


# Settings that must stay in order, whatever a unit changes: (lower, strictly?, higher).
ORDER: tuple[tuple[str, bool, str], ...] = (
    ("critical_below", True, "treat_below"),
    ("treat_below", False, "delivery_min"),
    ("delivery_min", False, "neuraxial_min"),
    ("neuraxial_min", True, "thrombocytosis_above"),
    ("response_min", False, "complete_response_min"),
    ("complete_response_min", True, "thrombocytosis_above"),
    ("stop_at", False, "thrombocytosis_above"),
    ("neonatal_severe_below", True, "neonatal_low_below"),
    ("dose_check_min_per_kg", False, "dose_per_kg"),
    ("dose_per_kg", False, "dose_check_max_per_kg"),
    ("projection_from_weeks", True, "projection_target_weeks"),
    ("entry_gestation_min_weeks", True, "entry_gestation_max_weeks"),
)


def out_of_order(protocol: Protocol, book: ProtocolBook | None = None) -> list[str]:
    """What would be out of order in this protocol, said with the settings' labels."""
    book = book or protocol_book()
    problems = []
    for lower, strict, higher in ORDER:
        a, b = getattr(protocol, lower), getattr(protocol, higher)
        if a > b or (strict and a == b):
            relation = "below" if strict else "at most"
            problems.append(
                f"{book.settings[lower].label} ({a:g}) must be {relation} "
                f"{book.settings[higher].label} ({b:g})"
            )
    return problems


def _typed(cls: type[Any], values: Mapping[str, float]) -> dict[str, Any]:
    """Values converted to the field types of `cls` (whole numbers stay whole)."""
    types = {f.name: f.type for f in fields(cls)}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if types[key] in (int, "int"):
            if float(value) != int(value):
                raise ValueError(f"{key} must be a whole number, not {value}")
            out[key] = int(value)
        else:
            out[key] = float(value)
    return out


def whole_number_settings() -> frozenset[str]:
    """Settings that are counted in whole units (days, weeks, counts, a grade)."""
    return frozenset(f.name for f in fields(Protocol) if f.type in (int, "int"))


def _section(
    raw: Mapping[str, Any], name: str, cls: type[Any], path: Path
) -> dict[str, SettingInfo]:
    section = raw.get(name, {})
    expected = {f.name for f in fields(cls)}
    if set(section) != expected:
        missing = sorted(expected - set(section))
        extra = sorted(set(section) - expected)
        raise ValueError(
            f"{path}: [{name}] does not match the app: missing {missing}, unknown {extra}"
        )
    infos: dict[str, SettingInfo] = {}
    for key, entry in section.items():
        lo, hi = entry.get("range", (None, None))
        infos[key] = SettingInfo(
            key=key,
            default=entry["value"],
            unit=entry["unit"],
            label=entry["label"],
            explain=entry["explain"],
            source=entry["source"],
            minimum=lo,
            maximum=hi,
        )
    return infos


def load_protocol_book(path: Path | None = None) -> ProtocolBook:
    """Reads the protocol resource file (the packaged one unless `path` is given)."""
    path = path or data_dir("resources") / "protocol.toml"
    with path.open("rb") as f:
        raw = tomllib.load(f)
    settings = _section(raw, "settings", Protocol, path)
    limit_info = _section(raw, "limits", Limits, path)
    definition_info = _section(raw, "definitions", Definitions, path)
    return ProtocolBook(
        defaults=Protocol(**_typed(Protocol, {k: s.default for k, s in settings.items()})),
        limits=Limits(**_typed(Limits, {k: s.default for k, s in limit_info.items()})),
        definitions=Definitions(
            **_typed(Definitions, {k: s.default for k, s in definition_info.items()})
        ),
        settings=settings,
        limit_info=limit_info,
        definition_info=definition_info,
    )


@cache
def protocol_book() -> ProtocolBook:
    """The packaged protocol resource, read once."""
    return load_protocol_book()


def default_protocol() -> Protocol:
    """The shipped defaults, before any override of the unit."""
    return protocol_book().defaults


def default_protocol_in_force() -> ProtocolInForce:
    """The shipped defaults with their sources, as a unit that changed nothing has them."""
    book = protocol_book()
    return ProtocolInForce(book.defaults, {k: info.source for k, info in book.settings.items()})


def limits() -> Limits:
    """The plausibility limits shipped with the app."""
    return protocol_book().limits


def definitions() -> Definitions:
    """The obstetric definitions shipped with the app."""
    return protocol_book().definitions


def markdown_tables(book: ProtocolBook | None = None) -> str:
    """The settings and limits as Markdown tables, for docs/protocol.md."""
    book = book or protocol_book()

    def table(infos: Mapping[str, SettingInfo], with_range: bool) -> list[str]:
        head = "| setting | default | unit | what it does | source |"
        rows = [
            head + (" a unit may set |" if with_range else ""),
            "|---" * (6 if with_range else 5) + "|",
        ]
        for info in infos.values():
            cells = [f"`{info.key}`", f"{info.default:g}", info.unit, info.explain, info.source]
            if with_range:
                cells.append(f"{info.minimum:g}–{info.maximum:g}")
            rows.append("| " + " | ".join(cells) + " |")
        return rows

    lines = ["### Settings", "", *table(book.settings, True), "", "### Plausibility limits", ""]
    lines += [*table(book.limit_info, False), "", "### Definitions", ""]
    lines += table(book.definition_info, False)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_tables(), end="")
