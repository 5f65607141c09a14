"""Who is acting and what time it is: the two facts every change is stamped with."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from datetime import UTC, datetime

USER_ENV_VAR = "ITP_MONITOR_USER"

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """Wall-clock time on the ward, without an offset, to the second."""
    return datetime.now().replace(microsecond=0)  # noqa: DTZ005  (the ward records local time)


def to_utc(local: datetime) -> datetime:
    """A local wall-clock time as UTC, without an offset, for the bookkeeping times."""
    return local.astimezone(UTC).replace(tzinfo=None)


def operating_system_user() -> str:
    """$ITP_MONITOR_USER if set (a shared ward login), else the operating-system user."""
    configured = os.environ.get(USER_ENV_VAR, "").strip()
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in a container
        return "unknown"
