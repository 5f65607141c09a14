"""Who is acting and what time it is: the two facts every change is stamped with."""

from __future__ import annotations

import gc
import getpass
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pauses Python's cycle collector while many small objects are made and dropped.

    Reading a ward of a thousand women makes some 130,000 small tuples (a sync, as
    many dicts of rows); each 700 new objects set off a collection that walks the
    young heap again, which cost a third of the time. Rows of times, numbers and
    text form no cycles, so nothing is left uncollected: the collector runs as usual
    once this is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
