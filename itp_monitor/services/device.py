"""This database as a device: an id that never changes, and a name staff may edit.

Every row the database makes carries the device's id (storage/models.py), so that
records from a clinic laptop stay known as the laptop's wherever they travel. The
name ("Clinic laptop 2") is for people; a rename is audited as a setting change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from itp_monitor.domain.problems import Problem
from itp_monitor.domain.validation import InvalidEntry
from itp_monitor.domain.vocab import AuditAction
from itp_monitor.services import audit
from itp_monitor.services.context import to_utc
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.models import Device

ENTITY = "device"
MAX_NAME = 200


@dataclass(frozen=True)
class DeviceInfo:
    uid: str
    name: str

    def as_json(self) -> dict[str, str]:
        return {"device": self.uid, "name": self.name}


def _own(session: Session) -> Device:
    return session.scalars(select(Device).where(Device.this_device)).one()


def checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidEntry([Problem("name", "is empty; give a name, e.g. Clinic laptop 2")])
    if len(name) > MAX_NAME:
        raise InvalidEntry([Problem("name", f"is {len(name):,} characters; at most {MAX_NAME}")])
    return name


class DeviceService(ServiceBase):
    def this(self) -> DeviceInfo:
        """This database's device."""
        with self.db.reading() as session:
            row = _own(session)
            return DeviceInfo(row.uid, row.name)

    def rename(self, name: str) -> DeviceInfo:
        """Gives this database's device a new name; its id stays."""
        name = checked_name(name)
        now_utc = to_utc(self.clock())
        with self.db.writing() as session:
            row = _own(session)
            if row.name == name:
                raise InvalidEntry([Problem("name", f"is already {name}")])
            before = row.name
            row.name = name
            session.flush()
            audit.write(
                session,
                at_utc=now_utc,
                user=self.user,
                action=AuditAction.SETTING,
                entity=ENTITY,
                record_id=row.id,
                record_uid=row.uid,
                patient_id=None,
                before={"name": before},
                after={"name": name},
            )
            return DeviceInfo(row.uid, row.name)
