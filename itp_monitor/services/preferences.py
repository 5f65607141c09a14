"""What the unit chose to remember: the latest value per key, kept with who set it and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from itp_monitor.services.context import to_utc
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.models import PreferenceRow


def preference(session: Session, key: str, default: Any = None) -> Any:
    row = session.scalar(
        select(PreferenceRow).where(PreferenceRow.key == key).order_by(PreferenceRow.id.desc())
    )
    return row.value if row is not None else default


class PreferenceService(ServiceBase):
    def get(self, key: str, default: Any = None) -> Any:
        with self.db.reading() as session:
            return preference(session, key, default)

    def set(self, key: str, value: Any) -> None:
        with self.db.writing() as session:
            session.add(
                PreferenceRow(
                    key=key, value=value, set_at_utc=to_utc(self.clock()), set_by=self.user
                )
            )
