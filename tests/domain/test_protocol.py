"""The protocol resource: every number with its unit and source, matching the flag rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from itp_monitor.domain.protocol import (
    default_protocol,
    limits,
    load_protocol_book,
    out_of_order,
    protocol_book,
)
from itp_monitor.packaged import data_dir

# The defaults flag-rules.md and clinical-protocol.md give (the contract).
FROM_THE_CONTRACT = {
    "critical_below": 20,
    "treat_below": 30,
    "delivery_min": 50,
    "neuraxial_min": 70,
    "complete_response_min": 100,
    "response_min": 30,
    "response_fold": 2,
    "thrombocytosis_above": 400,
    "stop_at": 100,
    "course_gap_days": 7,
    "follow_up_days": 14,
    "baseline_window_days": 14,
    "assessment_day": 14,
    "confirm_days": 7,
    "monitoring_interval_days": 7,
    "delivery_window_from_weeks": 36,
    "projection_from_weeks": 28,
    "projection_target_weeks": 37,
    "projection_window_days": 21,
    "projection_min_counts": 3,
    "neonatal_due_days": 7,
    "neonatal_low_below": 100,
    "neonatal_severe_below": 50,
    "bleeding_min_who_grade": 2,
    "bleeding_window_days": 7,
    "stop_recent_days": 2,
    "dose_per_kg": 300,
    "dose_check_min_per_kg": 200,
    "dose_check_max_per_kg": 400,
}


# Where each likely slip begins (issue 8; interfaces.md, "Reading values safely").
ENTRY_CHECKS = {
    "second_injection_within_hours": 12,
    "count_confirm_at_most": 0,
    "count_change_within_hours": 24,
    "count_fall_fold": 2,  # more than halved
    "count_rise_fold": 3,  # more than tripled
    "record_before_edd_days": 300,
    "record_after_edd_days": 365,  # a year
    "entry_gestation_min_weeks": 4,
    "entry_gestation_max_weeks": 42,
}


@pytest.mark.parametrize(("key", "value"), [*FROM_THE_CONTRACT.items(), *ENTRY_CHECKS.items()])
def test_each_default_is_the_one_the_protocol_gives(key: str, value: float) -> None:
    assert getattr(default_protocol(), key) == value


def test_the_gestation_bounds_at_entry_stay_in_order() -> None:
    crossed = default_protocol().with_overrides(
        {"entry_gestation_min_weeks": 12, "entry_gestation_max_weeks": 40}
    )
    assert out_of_order(crossed) == []
    crossed = crossed.with_overrides(
        {"entry_gestation_min_weeks": 12, "entry_gestation_max_weeks": 12}
    )
    assert out_of_order(crossed) == [
        "Gestation at entry to confirm, under (12) must be below "
        "Gestation at entry to confirm, over (12)"
    ]


def test_every_setting_says_its_unit_source_and_allowed_range() -> None:
    book = protocol_book()
    for info in book.settings.values():
        assert info.unit and info.label and info.explain and len(info.source) > 10, info.key
        assert info.minimum is not None and info.maximum is not None
        assert info.minimum <= info.default <= info.maximum, info.key


def test_the_plausibility_limits() -> None:
    assert (limits().count_max, limits().weight_min, limits().weight_max) == (1500, 30, 250)
    assert (limits().earliest_year, limits().edd_max_days_ahead) == (1900, 300)


def test_every_limit_says_its_unit_and_source() -> None:
    for info in protocol_book().limit_info.values():
        assert info.unit and info.label and info.explain and len(info.source) > 10, info.key


def test_whole_numbers_stay_whole() -> None:
    assert isinstance(default_protocol().assessment_day, int)
    assert default_protocol().with_overrides({"assessment_day": 21.0}).assessment_day == 21
    with pytest.raises(ValueError, match="assessment_day must be a whole number"):
        default_protocol().with_overrides({"assessment_day": 10.5})


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown protocol settings: delivery_cutoff"):
        default_protocol().with_overrides({"delivery_cutoff": 60})


def test_a_resource_file_that_does_not_match_the_app_is_refused(tmp_path: Path) -> None:
    packaged = data_dir("resources") / "protocol.toml"
    broken = tmp_path / "protocol.toml"
    broken.write_text(
        packaged.read_text().replace("[settings.delivery_min]", "[settings.delivery_cut]")
    )
    with pytest.raises(ValueError, match=r"missing \['delivery_min'\], unknown \['delivery_cut'\]"):
        load_protocol_book(broken)
