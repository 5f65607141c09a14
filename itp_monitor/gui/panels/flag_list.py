"""The active flags of a patient, each with what it means and where its threshold comes from."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from itp_monitor.domain.flags import Flag
from itp_monitor.gui.palette import SEVERITY


class FlagList(QScrollArea):
    def __init__(self) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.body = QLabel()
        self.body.setObjectName("flags")
        self.body.setWordWrap(True)
        self.body.setOpenExternalLinks(False)
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.addWidget(self.body)
        layout.addStretch(1)
        self.setWidget(holder)
        self.flags: tuple[Flag, ...] = ()

    def set_flags(self, flags: tuple[Flag, ...]) -> None:
        self.flags = flags
        if not flags:
            self.body.setText("<b>No flags.</b> Nothing in her records needs attention now.")
            return
        parts = []
        for f in flags:
            background, foreground, symbol = SEVERITY[f.severity.value]
            parts.append(
                f"<p style='margin:0 0 8px 0'>"
                f"<span style='background:{background}; color:{foreground}'>&nbsp;{symbol} "
                f"{f.severity.value.upper()}&nbsp;</span> <b>{escape(f.code.heading)}</b><br>"
                f"{escape(f.message)}<br>"
                f"<span style='color:#555; font-size:small'>Source: {escape(f.source)}</span></p>"
            )
        self.body.setText("".join(parts))

    def text(self) -> str:
        return self.body.text()
