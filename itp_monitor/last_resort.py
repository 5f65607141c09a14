"""The last resort for a bug: its traceback goes to a log file, a person sees one short line.

A traceback holds SQL, MRNs and values from the records, and means nothing on a ward,
so it never reaches a screen or a terminal. The log sits in the user's data folder,
beside the default database, readable by its owner only, and is capped in size.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from itp_monitor import __version__
from itp_monitor.services.errors import StorageFailure
from itp_monitor.storage.database import default_path

LOG_NAME = "itp-monitor.log"
# Past this size the log becomes LOG_NAME.1 (replacing the one before): at most twice this.
MAX_LOG_BYTES = 1_000_000
MAX_ENTRY_CHARS = 100_000  # a runaway traceback cannot fill the disk in one go


def log_path() -> Path:
    return default_path().parent / LOG_NAME


def write_log(error: BaseException, path: Path, context: str) -> None:
    """Appends the error with its traceback to `path`; raises OSError when it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists() and path.stat().st_size > MAX_LOG_BYTES:
        path.replace(path.with_name(path.name + ".1"))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    entry = "".join(traceback.format_exception(error))[-MAX_ENTRY_CHARS:]
    text = f"--- {stamp} ITP Monitor {__version__}, {context}\n{entry}\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as log:
        log.write(text)


@dataclass(frozen=True)
class Report:
    """What a person is told about an error nobody foresaw: never its text."""

    headline: str
    detail: str

    def line(self) -> str:
        return f"{self.headline}; {self.detail}"


def report(error: BaseException, context: str, log: Path | None = None) -> Report:
    """Logs `error` and says what happened in words fit for anyone to read.

    `context` names what was stopped ("the export command", "what you were doing").
    A StorageFailure (a full disk, a read-only file) is already in such words; anything
    else is named only by its kind, the log holding the rest. Never raises.
    """
    path = log if log is not None else _log_path_or_none()
    written: OSError | None = None
    try:
        if path is None:
            raise OSError("no data folder")
        write_log(error, path, context)
    except OSError as e:
        written = e
    if isinstance(error, StorageFailure):
        return Report(str(error), error.advice)
    headline = f"an unexpected error stopped {context} ({type(error).__name__})"
    if written is None:
        return Report(headline, f"the details are in {path}")
    reason = written.strerror or "it cannot be written"
    return Report(headline, f"the details could not be written to {path} ({reason})")


def _log_path_or_none() -> Path | None:
    try:
        return log_path()
    except Exception:  # no home folder at all: the person still gets the short line
        return None
