"""A unit of work: one write transaction with a Recorder stamped with user and time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from itp_monitor.domain.protocol import limits
from itp_monitor.services.context import Clock, local_now, to_utc
from itp_monitor.services.protocol_store import protocol_in_force
from itp_monitor.services.recorder import Recorder
from itp_monitor.storage.database import Database


class ServiceBase:
    """What every service holds: the database, who is acting, and the clock."""

    def __init__(self, db: Database, user: str, clock: Clock = local_now) -> None:
        self.db = db
        self.user = user
        self.clock = clock

    @contextmanager
    def recording(self) -> Iterator[Recorder]:
        """Everything done with the recorder commits together, or not at all."""
        now = self.clock()  # one moment for the checks and the audit stamps
        with self.db.writing() as session:
            yield Recorder(
                session,
                user=self.user,
                now=now,
                now_utc=to_utc(now),
                protocol=protocol_in_force(session, to_utc(now)).values,
                limits=limits(),
            )
