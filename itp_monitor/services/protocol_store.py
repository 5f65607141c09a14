"""Reads the unit's protocol settings from the database: the states and the protocol in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from itp_monitor.domain.problems import fmt_number
from itp_monitor.domain.protocol import (
    ProtocolInForce,
    SettingInfo,
    default_protocol,
    protocol_book,
)
from itp_monitor.services.results import Changes, Setting
from itp_monitor.storage.models import ProtocolSettingRow


@dataclass(frozen=True)
class SettingState:
    """One setting as the unit has it: value, and who changed it from the default, when, why."""

    info: SettingInfo
    value: float
    changed_at_utc: datetime | None = None
    changed_by: str | None = None
    reason: str | None = None

    @property
    def key(self) -> str:
        return self.info.key

    @property
    def is_default(self) -> bool:
        return self.value == self.info.default

    @property
    def changes(self) -> Changes:
        """What setting it changed: the protocol, and so the judgement of every woman."""
        return Changes(settings=frozenset({Setting.PROTOCOL}))


def _latest_rows(session: Session, at_utc: datetime | None) -> dict[str, ProtocolSettingRow]:
    # The latest change wins, by when it was made: the same on every device a sync brought
    # the changes to. Changes made at one moment are ordered by their device, then, within
    # one device, by the order it made them (a sync copies them in that order).
    query = select(ProtocolSettingRow).order_by(
        ProtocolSettingRow.set_at_utc, ProtocolSettingRow.device, ProtocolSettingRow.id
    )
    if at_utc is not None:
        query = query.where(ProtocolSettingRow.set_at_utc <= at_utc)
    return {row.key: row for row in session.scalars(query)}  # later rows win


def _state(info: SettingInfo, row: ProtocolSettingRow | None) -> SettingState:
    if row is None:
        return SettingState(info, info.default)
    value = info.default if row.value is None else row.value
    return SettingState(info, value, row.set_at_utc, row.set_by, row.reason)


def _source(state: SettingState) -> str:
    if state.changed_at_utc is None or state.is_default:
        return state.info.source
    return (
        f"unit protocol: set to {fmt_number(state.value)} {state.info.unit} on "
        f"{state.changed_at_utc:%Y-%m-%d} by {state.changed_by} ({state.reason}); "
        f"default {fmt_number(state.info.default)} from {state.info.source}"
    )


def states(session: Session, at_utc: datetime | None = None) -> list[SettingState]:
    rows = _latest_rows(session, at_utc)
    return [_state(info, rows.get(key)) for key, info in protocol_book().settings.items()]


def protocol_in_force(session: Session, at_utc: datetime | None = None) -> ProtocolInForce:
    """The settings in force at `at_utc` (now if None), with where each value comes from."""
    found = states(session, at_utc)
    values = default_protocol().with_overrides({s.key: s.value for s in found if not s.is_default})
    return ProtocolInForce(values, {s.key: _source(s) for s in found})
