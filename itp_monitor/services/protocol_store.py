"""Reads the unit's protocol settings from the database: the states and the protocol in force."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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
from itp_monitor.domain.vocab import AuditAction
from itp_monitor.services import audit
from itp_monitor.services.results import Changes, Setting
from itp_monitor.storage.models import AuditEntry, ProtocolSettingRow

SETTING_ENTITY = "protocol_setting"


@dataclass(frozen=True)
class SettingState:
    """One setting as the unit has it: value, and who changed it from the default, when, why."""

    info: SettingInfo
    value: float
    changed_at_utc: datetime | None = None
    changed_by: str | None = None
    reason: str | None = None
    disputed: bool = False  # changed on two devices apart: a conflict for staff to settle

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


def heads(rows: Iterable[ProtocolSettingRow]) -> dict[str, list[ProtocolSettingRow]]:
    """Per key, the changes no other change replaces, in the order they stand: one, or,
    when two devices changed the setting apart, each one's (a conflict until staff settle
    it). A change made after another was seen replaces it, whatever the two clocks said."""
    by_key: dict[str, list[ProtocolSettingRow]] = defaultdict(list)
    replaced: set[str] = set()
    for row in rows:
        by_key[row.key].append(row)
        replaced.update(row.replaces)
    return {
        key: sorted(
            (r for r in found if r.uid not in replaced),
            key=lambda r: (r.set_at_utc, r.device, r.id),
        )
        for key, found in by_key.items()
    }


def _in_force(session: Session, at_utc: datetime | None) -> dict[str, list[ProtocolSettingRow]]:
    # Of two changes made apart, until staff settle them, the one made later by its own
    # clock is in force (the last): the same on every device a sync brought both to.
    query = select(ProtocolSettingRow)
    if at_utc is not None:
        query = query.where(ProtocolSettingRow.set_at_utc <= at_utc)
    return heads(session.scalars(query))


def heads_of(session: Session, key: str) -> list[ProtocolSettingRow]:
    rows = session.scalars(select(ProtocolSettingRow).where(ProtocolSettingRow.key == key))
    return heads(rows).get(key, [])


def record_change(
    session: Session,
    info: SettingInfo,
    value: float | None,
    *,
    before: float,
    at_utc: datetime,
    user: str,
    reason: str,
) -> str:
    """Writes a change of a setting that replaces every change of it in force (two, when
    they were made apart), with its audit entry; returns the entry's uid."""
    replaced = [r.uid for r in heads_of(session, info.key)]
    row = ProtocolSettingRow(
        key=info.key, value=value, set_at_utc=at_utc, set_by=user, reason=reason, replaces=replaced
    )
    session.add(row)
    session.flush()
    target = info.default if value is None else value
    entry = AuditEntry(
        **audit.entry_values(
            at_utc=at_utc,
            user=user,
            action=AuditAction.SETTING,
            entity=SETTING_ENTITY,
            record_id=row.id,
            record_uid=row.uid,
            patient_id=None,
            before={"key": info.key, "value": before},
            after={"key": info.key, "value": target},
            reason=reason,
        )
    )
    session.add(entry)
    session.flush()
    return entry.uid


def _state(info: SettingInfo, rows: list[ProtocolSettingRow]) -> SettingState:
    if not rows:
        return SettingState(info, info.default)
    row = rows[-1]
    value = info.default if row.value is None else row.value
    return SettingState(info, value, row.set_at_utc, row.set_by, row.reason, len(rows) > 1)


def _source(state: SettingState) -> str:
    disputed = (
        "; changed on two devices apart, a conflict to settle (View → Conflicts)"
        if state.disputed
        else ""
    )
    if state.changed_at_utc is None or state.is_default:
        return state.info.source + disputed
    return (
        f"unit protocol: set to {fmt_number(state.value)} {state.info.unit} on "
        f"{state.changed_at_utc:%Y-%m-%d} by {state.changed_by} ({state.reason}); "
        f"default {fmt_number(state.info.default)} from {state.info.source}{disputed}"
    )


def states(session: Session, at_utc: datetime | None = None) -> list[SettingState]:
    rows = _in_force(session, at_utc)
    return [_state(info, rows.get(key, [])) for key, info in protocol_book().settings.items()]


def protocol_in_force(session: Session, at_utc: datetime | None = None) -> ProtocolInForce:
    """The settings in force at `at_utc` (now if None), with where each value comes from."""
    found = states(session, at_utc)
    values = default_protocol().with_overrides({s.key: s.value for s in found if not s.is_default})
    return ProtocolInForce(values, {s.key: _source(s) for s in found})
