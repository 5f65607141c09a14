"""The unit's protocol: the settings in force at a time, and changing them (validated, audited).

Each change is a new row of `protocol_settings` (the history is never altered)
and applies from the moment it was made: evaluating an earlier time uses the
settings that were in force then.
"""

from __future__ import annotations

import math
from datetime import datetime

from itp_monitor.domain.problems import Problem, fmt_number
from itp_monitor.domain.protocol import (
    ProtocolInForce,
    SettingInfo,
    default_protocol,
    out_of_order,
    protocol_book,
    whole_number_settings,
)
from itp_monitor.domain.validation import InvalidEntry
from itp_monitor.domain.vocab import Role
from itp_monitor.services.accounts import require_role
from itp_monitor.services.conflicts import settle_settings
from itp_monitor.services.context import to_utc
from itp_monitor.services.protocol_store import (
    SettingState,
    protocol_in_force,
    record_change,
    states,
)
from itp_monitor.services.recorder import check_reason
from itp_monitor.services.unit import ServiceBase


class ProtocolService(ServiceBase):
    def in_force(self, at: datetime | None = None) -> ProtocolInForce:
        """The protocol at local time `at` (now if None)."""
        with self.db.reading() as session:
            return protocol_in_force(session, to_utc(at or self.clock()))

    def settings(self) -> list[SettingState]:
        with self.db.reading() as session:
            return states(session)

    def change(self, key: str, value: float | None, reason: str) -> SettingState:
        """Sets `key` to `value` from now on (None: back to the shipped default)."""
        reason = check_reason(reason)
        book = protocol_book()
        info = book.settings.get(key)
        if info is None:
            raise InvalidEntry(
                [Problem(key, f"is not a setting; known: {', '.join(book.settings)}")]
            )
        now = self.clock()
        with self.db.writing() as session:
            require_role(session, self.user, Role.DOCTOR, "changing the unit's protocol")
            current = {s.key: s for s in states(session)}
            target = info.default if value is None else value
            self._check(info, target)
            if target == current[key].value:
                raise InvalidEntry([Problem(key, f"is already {fmt_number(target)} {info.unit}")])
            proposed = default_protocol().with_overrides(
                {**{k: s.value for k, s in current.items()}, key: target}
            )
            clashes = out_of_order(proposed, book)
            if clashes:
                raise InvalidEntry([Problem(key, clash) for clash in clashes])
            at_utc = to_utc(now)
            entry_uid = record_change(
                session,
                info,
                value,
                before=current[key].value,
                at_utc=at_utc,
                user=self.user,
                reason=reason,
            )
            settle_settings(session, key, entry_uid, self.user, at_utc)
            return SettingState(info, target, at_utc, self.user, reason)

    @staticmethod
    def _check(info: SettingInfo, value: float) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidEntry([Problem(info.key, f"{value!r} is not a number")])
        lo, hi = info.minimum, info.maximum
        if lo is not None and hi is not None and not lo <= value <= hi:
            raise InvalidEntry(
                [
                    Problem(
                        info.key,
                        f"{fmt_number(value)} {info.unit} is outside "
                        f"{fmt_number(lo)}–{fmt_number(hi)} {info.unit}",
                    )
                ]
            )
        if info.key in whole_number_settings() and not float(value).is_integer():
            raise InvalidEntry([Problem(info.key, f"{fmt_number(value)} is not a whole number")])
