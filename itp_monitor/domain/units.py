"""Platelet count units: the app keeps ×10⁹/L, and 1 ×10⁹/L = 1 ×10³/µL = 1,000/µL."""

from __future__ import annotations

PER_MICROLITRE = 1000  # platelets per µL in one ×10⁹/L


def from_per_microlitre(value: float) -> float:
    """45,000/µL -> 45 ×10⁹/L."""
    return value / PER_MICROLITRE
