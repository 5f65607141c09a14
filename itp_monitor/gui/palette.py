"""Colours of the app: the Okabe–Ito palette, distinguishable with the common colour-vision
deficiencies. Colour never carries meaning alone: every band, badge and marker has a label,
a symbol or a shape as well."""

from __future__ import annotations

from PySide6.QtGui import QColor

OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}

# Threshold bands of the chart, light tints so the counts stay readable over them.
BAND = {
    "critical": ("vermillion", 70),
    "treat": ("orange", 60),
    "low": ("yellow", 70),
    "delivery": ("sky", 45),
    "neuraxial": ("blue", 60),
    "complete": ("green", 40),
    "excess": ("purple", 55),
}

# Flag badges: background, text, and the symbol shown with the words.
SEVERITY = {
    "critical": ("#D55E00", "#FFFFFF", "▲"),
    "warning": ("#E69F00", "#000000", "●"),
    "info": ("#56B4E9", "#000000", "○"),
}

# A conflict between devices (a sync found it): not a clinical severity, so a colour of its own.
CONFLICT = ("#CC79A7", "#000000", "⇄")

TREATMENT = {
    "prednisone": "orange",
    "dexamethasone": "orange",
    "ivig": "sky",
    "anti_d": "purple",
    "platelet_transfusion": "vermillion",
    "other": "grey",
}


def colour(name: str, alpha: int = 255) -> QColor:
    c = QColor(OKABE_ITO[name])
    c.setAlpha(alpha)
    return c


def band_colour(key: str) -> QColor:
    name, alpha = BAND[key]
    return colour(name, alpha)
