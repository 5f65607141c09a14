"""Errors the services raise, each with a message fit to show a ward's staff."""

from __future__ import annotations

from itp_monitor.domain.validation import InvalidEntry, NeedsConfirmation, Problem
from itp_monitor.storage.failures import DatabaseBusy, Failure, StorageFailure

__all__ = [
    "DatabaseBusy",
    "Failure",
    "InvalidEntry",
    "NeedsConfirmation",
    "NotFound",
    "Problem",
    "StorageFailure",
]


class NotFound(LookupError):
    """A patient or record that is not in the database."""
