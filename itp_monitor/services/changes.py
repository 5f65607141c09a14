"""What other programs changed in the database since we last looked, cheaply enough to ask
every second.

Another copy of the app or the command line may write to the same database.
On SQLite the first question costs nothing (PRAGMA data_version); on any
database the audit trail, which every change writes to, says which patients and
which kinds of record. The answer is the `Changes` a write made here returns.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from itp_monitor.domain.vocab import AuditAction
from itp_monitor.services.recorder import PATIENT_ENTITY
from itp_monitor.services.results import Changes, Setting
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.database import Database
from itp_monitor.storage.models import AuditEntry, ConflictRow, SettlementRow
from itp_monitor.storage.sqlite import DataVersion


class ChangeWatch(ServiceBase):
    def __init__(self, db: Database, user: str) -> None:
        super().__init__(db, user)
        self._version = DataVersion(db.engine) if db.is_sqlite else None
        self._last_version = self._version.read() if self._version else None
        self._last_audit, self._last_conflict, self._last_settlement = self._highest_ids()

    def _highest_ids(self) -> tuple[int, int, int]:
        def highest(session: Session, model: Any) -> int:
            return session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0

        with self.db.reading() as session:
            return (
                highest(session, AuditEntry),
                highest(session, ConflictRow),
                highest(session, SettlementRow),
            )

    def _conflicts_changed(self, session: Session) -> frozenset[int]:
        """The women whose conflicts a sync found, or staff settled, since the last look:
        a settlement kept as it is writes no audit entry, nor does a conflict a sync
        brought alone."""
        new = session.execute(
            select(ConflictRow.id, ConflictRow.patient_id).where(
                ConflictRow.id > self._last_conflict
            )
        ).all()
        settled = session.execute(
            select(SettlementRow.id, ConflictRow.patient_id)
            .join(ConflictRow, ConflictRow.uid == SettlementRow.conflict_uid)
            .where(SettlementRow.id > self._last_settlement)
        ).all()
        self._last_conflict = max([self._last_conflict, *(r.id for r in new)])
        self._last_settlement = max([self._last_settlement, *(r.id for r in settled)])
        return frozenset(r.patient_id for r in [*new, *settled])

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
            in_conflict = self._conflicts_changed(session)
        if not rows:
            return Changes(patients=in_conflict)
        self._last_audit = max(r.id for r in rows)
        # What this process saved was shown by the screen that saved it: not read again.
        own = self.db.written_here
        others = [r for r in rows if r.id not in own]
        own.difference_update(r.id for r in rows)
        theirs = [r for r in others if r.patient_id is not None]
        protocol = any(r.action == AuditAction.SETTING for r in others)
        return Changes(
            patients=frozenset(r.patient_id for r in theirs) | in_conflict,
            kinds=frozenset(r.entity for r in theirs if r.entity != PATIENT_ENTITY),
            details=frozenset(r.patient_id for r in theirs if r.entity == PATIENT_ENTITY),
            settings=frozenset({Setting.PROTOCOL}) if protocol else frozenset(),
        )

    def close(self) -> None:
        if self._version is not None:
            self._version.close()
