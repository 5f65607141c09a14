"""What other programs changed in the database since we last looked, cheaply enough to ask
every second.

Another copy of the app or the command line may write to the same database.
On SQLite the first question costs nothing (PRAGMA data_version); on any
database the audit trail, which every change writes to, says which patients and
which kinds of record. The answer is the `Changes` a write made here returns.
"""

from __future__ import annotations

from sqlalchemy import func, select

from itp_monitor.domain.vocab import AuditAction
from itp_monitor.services.recorder import PATIENT_ENTITY
from itp_monitor.services.results import Changes, Setting
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.database import Database
from itp_monitor.storage.models import AuditEntry
from itp_monitor.storage.sqlite import DataVersion


class ChangeWatch(ServiceBase):
    def __init__(self, db: Database, user: str) -> None:
        super().__init__(db, user)
        self._version = DataVersion(db.engine) if db.is_sqlite else None
        self._last_version = self._version.read() if self._version else None
        self._last_audit = self._max_audit_id()

    def _max_audit_id(self) -> int:
        with self.db.reading() as session:
            return session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0))) or 0

    def poll(self) -> Changes:
        """What other programs changed since the last poll: whose records or details, which
        kinds of record, whether the protocol."""
        if self._version is not None:
            version = self._version.read()
            if version == self._last_version:
                return Changes()
            self._last_version = version
        with self.db.reading() as session:
            rows = session.execute(
                select(
                    AuditEntry.id, AuditEntry.patient_id, AuditEntry.action, AuditEntry.entity
                ).where(AuditEntry.id > self._last_audit)
            ).all()
        if not rows:
            return Changes()
        self._last_audit = max(r.id for r in rows)
        # What this process saved was shown by the screen that saved it: not read again.
        own = self.db.written_here
        others = [r for r in rows if r.id not in own]
        own.difference_update(r.id for r in rows)
        theirs = [r for r in others if r.patient_id is not None]
        protocol = any(r.action == AuditAction.SETTING for r in others)
        return Changes(
            patients=frozenset(r.patient_id for r in theirs),
            kinds=frozenset(r.entity for r in theirs if r.entity != PATIENT_ENTITY),
            details=frozenset(r.patient_id for r in theirs if r.entity == PATIENT_ENTITY),
            settings=frozenset({Setting.PROTOCOL}) if protocol else frozenset(),
        )

    def close(self) -> None:
        if self._version is not None:
            self._version.close()
