"""Errors the services raise, each with a message fit to show a ward's staff."""

from __future__ import annotations

from itp_monitor.domain.validation import InvalidEntry, NeedsConfirmation, Problem

__all__ = ["InvalidEntry", "NeedsConfirmation", "NotFound", "Problem"]


class NotFound(LookupError):
    """A patient or record that is not in the database."""
