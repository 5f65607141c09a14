"""The flags: what needs attention, how urgently, in words that name the numbers used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from itp_monitor.domain.history import CountPoint
from itp_monitor.domain.problems import fmt_number


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most severe."""
        return _SEVERITY_RANK[self]


class FlagCode(StrEnum):
    """The flags of docs/flags.md, in the order a list of one patient's flags shows them."""

    PLT_CRITICAL = "PLT_CRITICAL"
    PLT_BELOW_TREATMENT = "PLT_BELOW_TREATMENT"
    DELIVERY_BELOW_CUTOFF = "DELIVERY_BELOW_CUTOFF"
    NEURAXIAL_BELOW_CUTOFF = "NEURAXIAL_BELOW_CUTOFF"
    PROJECTED_BELOW_DELIVERY = "PROJECTED_BELOW_DELIVERY"
    THROMBOCYTOSIS = "THROMBOCYTOSIS"
    BLEEDING = "BLEEDING"
    NON_RESPONSE = "NON_RESPONSE"
    LOSS_OF_RESPONSE = "LOSS_OF_RESPONSE"
    STOP_THRESHOLD_REACHED = "STOP_THRESHOLD_REACHED"
    NO_BASELINE = "NO_BASELINE"
    COUNT_OVERDUE = "COUNT_OVERDUE"
    NEONATAL_COUNT_DUE = "NEONATAL_COUNT_DUE"
    NEONATAL_LOW = "NEONATAL_LOW"

    @property
    def heading(self) -> str:
        """A few words for a badge."""
        return _TITLES[self]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
_CODE_RANK = {c: i for i, c in enumerate(FlagCode)}
_TITLES = {
    FlagCode.PLT_CRITICAL: "Critical count",
    FlagCode.PLT_BELOW_TREATMENT: "Below treatment threshold",
    FlagCode.DELIVERY_BELOW_CUTOFF: "Below delivery cutoff",
    FlagCode.NEURAXIAL_BELOW_CUTOFF: "Below epidural cutoff",
    FlagCode.PROJECTED_BELOW_DELIVERY: "Projected below delivery cutoff",
    FlagCode.THROMBOCYTOSIS: "Excessive rise",
    FlagCode.BLEEDING: "Bleeding",
    FlagCode.NON_RESPONSE: "No response",
    FlagCode.LOSS_OF_RESPONSE: "Response lost",
    FlagCode.STOP_THRESHOLD_REACHED: "Stop rhTPO",
    FlagCode.NO_BASELINE: "No baseline count",
    FlagCode.COUNT_OVERDUE: "Count overdue",
    FlagCode.NEONATAL_COUNT_DUE: "Newborn count due",
    FlagCode.NEONATAL_LOW: "Newborn count low",
}


@dataclass(frozen=True)
class Flag:
    code: FlagCode
    severity: Severity
    message: str
    source: str

    @property
    def order(self) -> tuple[int, int]:
        return self.severity.rank, _CODE_RANK[self.code]


def day(d: date | datetime) -> str:
    """28 Nov."""
    return f"{d.day} {d:%b}"


def count_on(c: CountPoint) -> str:
    """'42 on 28 Nov'."""
    return f"{fmt_number(c.value)} on {day(c.at)}"
