"""The protocol in force on this unit: shipped defaults with the unit's stored overrides."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from itp_monitor.domain.protocol import Protocol, default_protocol
from itp_monitor.storage.models import ProtocolSettingRow


def overrides(session: Session) -> dict[str, float]:
    """The latest stored value of each overridden setting (NULL meant: back to default)."""
    latest = (
        select(ProtocolSettingRow.key, func.max(ProtocolSettingRow.id).label("id"))
        .group_by(ProtocolSettingRow.key)
        .subquery()
    )
    rows = session.execute(
        select(ProtocolSettingRow.key, ProtocolSettingRow.value).join(
            latest, ProtocolSettingRow.id == latest.c.id
        )
    )
    return {key: value for key, value in rows if value is not None}


def protocol_in_force(session: Session) -> Protocol:
    return default_protocol().with_overrides(overrides(session))
