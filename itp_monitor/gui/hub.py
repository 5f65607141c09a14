"""One signal hub: every change to data is announced here once, and each view decides from
it what to show again (the view that made the change does not reread what it shows)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from itp_monitor.services.results import Changes


class Hub(QObject):
    # (Changes, the view that made them: None for another program's, through the watch)
    changed = Signal(object, object)

    def announce(self, changes: Changes, initiator: object = None) -> None:
        """Every write made here, and every change seen made elsewhere, once (and nothing
        when nothing changed: a dialog closed without saving)."""
        if changes.any:
            self.changed.emit(changes, initiator)
