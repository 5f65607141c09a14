"""What keeps a clinic laptop's records to the staff who may read them (issue 12): for
now, the database's files made owner-only, and that change recorded in the audit trail."""

from __future__ import annotations

from itp_monitor.domain.vocab import AuditAction
from itp_monitor.services import audit
from itp_monitor.services.context import to_utc
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.owner_only import Tightened

ENTITY = "database"
OWNER_ONLY = "the database's files made readable by their owner only"


class SecurityService(ServiceBase):
    def record_tightened(self, changed: list[Tightened]) -> None:
        """One audit entry for the files made owner-only at this start: which, from what."""
        if not changed:
            return
        with self.db.writing() as session:
            audit.write(
                session,
                at_utc=to_utc(self.clock()),
                user=self.user,
                action=AuditAction.SETTING,
                entity=ENTITY,
                record_id=None,
                patient_id=None,
                before={t.path.name: f"{t.before:04o}" for t in changed},
                after={t.path.name: f"{t.after:04o}" for t in changed},
                reason=OWNER_ONLY,
            )
