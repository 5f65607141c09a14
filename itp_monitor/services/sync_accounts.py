"""Sync, accounts: the people who sign in travel, so that a laptop signs its staff in
offline (issue 12). See services/sync.py for the whole.

An account travels by its uid, read whole at every sync (there are few). One this side
lacks is added; one it holds takes the other side's name, role, password hash, whether
it is active and who changed it when, if the other side's change is newer
(`changed_at_utc`; a tie keeps this side's). Failed sign-ins and a lock-out never
travel: they stay on the computer where the passwords were typed.

Two things are left as they are here, and said after the sync, at every sync while they
stand, because no sync may decide them:

- two different accounts with one name (made apart on two devices): this side keeps
  its own, with its password, and does not take the other's; each computer signs its own
  in. Said while both are active: an administrator disables one (on the computer that
  holds it) and adds that person again under another name.
- a change that would leave this side without an active administrator (two devices
  each disabled a different one, apart): the one here stays as it is, so that someone
  can always manage the accounts (services/accounts.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from itp_monitor.domain.vocab import Role
from itp_monitor.storage.models import Account

# What travels of an account; its id, failed sign-ins and lock stay where they are.
TRAVELS = (
    "uid",
    "name",
    "name_key",
    "role",
    "password_hash",
    "active",
    "changed_at_utc",
    "changed_by",
)
CHANGES = TRAVELS[1:]
ADMIN = Role.ADMIN.value


@dataclass(frozen=True)
class NamedTwice:
    """Two accounts, one name: this side's and the other's, which it did not take."""

    name: str
    uids: frozenset[str]


@dataclass
class AccountsTaken:
    added: int = 0
    changed: int = 0
    named_twice: list[NamedTwice] = field(default_factory=list)
    last_admin_kept: list[str] = field(default_factory=list)  # names

    @property
    def copied(self) -> int:
        return self.added + self.changed


def read_accounts(session: Session) -> list[dict[str, Any]]:
    """Every account, as it travels."""
    columns = [getattr(Account, name) for name in TRAVELS]
    rows = session.execute(select(*columns).order_by(Account.id))
    return [dict(zip(TRAVELS, row, strict=True)) for row in rows]


def take_accounts(session: Session, incoming: list[dict[str, Any]]) -> AccountsTaken:
    """Takes the accounts this side lacks, and the newer changes of those it holds."""
    taken = AccountsTaken()
    if not incoming:
        return taken
    held = {row.uid: row for row in session.scalars(select(Account))}
    by_key = {row.name_key: row for row in held.values()}
    # new accounts first: an administrator added there counts when one is disabled
    for account in (a for a in incoming if a["uid"] not in held):
        mine = by_key.get(account["name_key"])
        if mine is not None:
            if mine.active and account["active"]:
                both = frozenset({mine.uid, account["uid"]})
                taken.named_twice.append(NamedTwice(mine.name, both))
            continue
        row = Account(**account, failed_in_row=0, locked_until_utc=None)
        session.add(row)
        held[row.uid], by_key[row.name_key] = row, row
        taken.added += 1
    session.flush()
    for account in (a for a in incoming if a["uid"] in held):
        row = held[account["uid"]]
        if account["changed_at_utc"] <= row.changed_at_utc:
            continue  # this side's is as new or newer
        other = by_key.get(account["name_key"])
        if other is not None and other is not row:
            if other.active and account["active"]:
                taken.named_twice.append(NamedTwice(other.name, frozenset({other.uid, row.uid})))
            continue
        if _last_admin(row, account, held.values()):
            taken.last_admin_kept.append(row.name)
            continue
        del by_key[row.name_key]
        for name in CHANGES:
            setattr(row, name, account[name])
        by_key[row.name_key] = row
        taken.changed += 1
    session.flush()
    return taken


def _last_admin(row: Account, account: dict[str, Any], held: Any) -> bool:
    """Whether the change `account` of `row` would leave no active administrator here."""
    if not (row.active and row.role == ADMIN):
        return False
    if account["active"] and account["role"] == ADMIN:
        return False
    return not any(r.active and r.role == ADMIN for r in held if r is not row)


def account_notices(here: str, there: str, *taken: AccountsTaken) -> tuple[str, ...]:
    """What staff should know of the accounts after a sync between `here` and `there`
    (the two devices' names), once each, from what both sides took."""
    notices: list[str] = []
    seen: set[frozenset[str]] = set()
    for side in taken:
        for twice in side.named_twice:
            if twice.uids in seen:
                continue
            seen.add(twice.uids)
            notices.append(
                f"Two different accounts named {twice.name} were made apart, one known to "
                f"{here} and one to {there}: each computer keeps its own, with its own "
                "password, and the other's was not copied. An administrator should disable "
                "one of them and add that person again under another name."
            )
    kept = sorted({name for side in taken for name in side.last_admin_kept})
    if kept:
        notices.append(
            "Administrators were disabled apart on the two computers: "
            f"{', '.join(kept)} {'was' if len(kept) == 1 else 'were'} left active where "
            "disabling would have left no active administrator, so each computer still has "
            "one. An administrator should check the accounts on both computers."
        )
    return tuple(notices)
