"""The audit trail as a whole, for `itp-monitor audit` and an inspector: every entry with
when, who, on which device, what, about whom and which record, the values before and
after and why; and the settlements of conflicts from a sync, which say the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from itp_monitor.services import audit
from itp_monitor.services.errors import NotFound
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.models import AuditEntry, Device, Patient

SETTLE = "settle"  # an entry of the trail that is a settlement, not an audit entry


@dataclass(frozen=True)
class TrailEntry:
    at_utc: datetime
    user: str
    device: str  # the device's name, else its uid
    action: str
    mrn: str | None
    kind: str  # the audit trail's name of the record's kind: platelet_count, patient, ...
    record: str | None  # the record's uid
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at_utc.replace(tzinfo=UTC).isoformat(),
            "user": self.user,
            "device": self.device,
            "action": self.action,
            "mrn": self.mrn,
            "kind": self.kind,
            "record": self.record,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }


class TrailService(ServiceBase):
    def entries(self, mrn: str | None = None) -> list[TrailEntry]:
        """Every entry, oldest first; only those about the woman with `mrn` when given
        (NotFound when no woman has it)."""
        with self.db.reading() as session:
            devices = {d.uid: d.name for d in session.scalars(select(Device))}
            mrns = dict(session.execute(select(Patient.id, Patient.mrn)).all())
            wanted: set[int] | None = None
            if mrn is not None:
                key = mrn.strip().upper()
                wanted = {i for i, m in mrns.items() if m.strip().upper() == key}
                if not wanted:
                    raise NotFound(f"no patient with MRN {mrn}")
            query = select(AuditEntry).order_by(AuditEntry.at_utc, AuditEntry.id)
            if wanted is not None:
                query = query.where(AuditEntry.patient_id.in_(wanted))
            found = [
                TrailEntry(
                    at_utc=e.at_utc,
                    user=e.user,
                    device=devices.get(e.device, e.device),
                    action=e.action,
                    mrn=mrns.get(e.patient_id) if e.patient_id is not None else None,
                    kind=e.entity,
                    record=e.record_uid,
                    before=e.before,
                    after=e.after,
                    reason=e.reason,
                )
                for e in session.scalars(query)
            ]
            for s, c in audit.settlements(session, wanted):
                found.append(
                    TrailEntry(
                        at_utc=s.at_utc,
                        user=s.user,
                        device=devices.get(s.device, s.device),
                        action=SETTLE,
                        mrn=mrns.get(c.patient_id) if c.patient_id is not None else None,
                        kind="conflict",
                        record=c.uid,
                        before=None,
                        after={"conflict": c.what, "settled by": s.how},
                        reason=s.reason,
                    )
                )
        return sorted(found, key=lambda e: e.at_utc)
