"""Accounts travel with a sync (issue 12): a clinic laptop signs its staff in offline,
with the password last set anywhere; a lock-out stays where the passwords were typed;
one name made on two devices apart breaks nothing and is said."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import NOW
from holdings import held
from postgres import on_both_databases
from sqlalchemy import text

from itp_monitor.domain.vocab import Role
from itp_monitor.services.accounts import WRONG_IN_A_ROW, SignInRefused
from itp_monitor.services.container import Services, build_services
from itp_monitor.storage.database import Database, resolve_location

pytestmark = on_both_databases

ADMIN, ADMIN_PASSWORD = "Dr Admin", "correct horse 1"
NURSE, NURSE_PASSWORD = "Nora", "violet harbour 2"


class Clock:
    """A clock each test moves on, so that each change is newer than the one before."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def later(self, minutes: float = 1) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ward(services: Services, clock: Clock) -> Services:
    """The ward, with its administrator and a nurse, acting as the administrator."""
    first = build_services(services.db, user="it.person", clock=clock)
    first.accounts.add(ADMIN, Role.ADMIN, ADMIN_PASSWORD)
    admin = build_services(services.db, user=ADMIN, clock=clock)
    admin.accounts.add(NURSE, Role.NURSE, NURSE_PASSWORD)
    clock.later()
    return admin


@pytest.fixture
def laptop_path(tmp_path: Path) -> Path:
    return tmp_path / "usb" / "laptop.sqlite"


@pytest.fixture
def laptop(ward: Services, laptop_path: Path, clock: Clock) -> Iterator[Services]:
    """A clinic laptop made by a sync from the ward, its administrator acting: from then
    on it has only its own file (no network)."""
    outcome = ward.sync.sync(str(laptop_path))
    assert (outcome.accounts_sent, outcome.accounts_received) == (2, 0)
    services = build_services(Database(resolve_location(str(laptop_path))), ADMIN, clock)
    clock.later()
    yield services
    services.db.dispose()


def sync(laptop: Services, ward: Services, clock: Clock) -> tuple[int, int, tuple[str, ...]]:
    outcome = laptop.sync.sync(ward.db.location.url)
    clock.later()
    return outcome.accounts_sent, outcome.accounts_received, outcome.notices


def refused(services: Services, name: str, password: str) -> str:
    with pytest.raises(SignInRefused) as caught:
        services.accounts.sign_in(name, password)
    return str(caught.value)


def both_sound(*sides: Services) -> None:
    for side in sides:
        report = side.check.full()
        assert report.ok, report.problems


def account_entries(services: Services) -> list[tuple[str, str, str | None]]:
    """(action, user, the account's uid) of the trail's entries about accounts."""
    return sorted(
        (e.action, e.user, e.record) for e in services.trail.entries() if e.kind == "account"
    )


def test_an_account_added_on_the_ward_signs_in_on_the_laptop_and_a_second_sync_sends_nothing(
    ward: Services, laptop: Services, clock: Clock
) -> None:
    assert laptop.accounts.required()  # the laptop now asks who signs in
    signed_in = laptop.accounts.sign_in(NURSE, NURSE_PASSWORD)
    assert (signed_in.name, signed_in.role, signed_in.active) == (NURSE, Role.NURSE, True)
    assert "wrong name or password" in refused(laptop, NURSE, "not her password")
    assert [a.name for a in laptop.accounts.listed()] == [ADMIN, NURSE]
    # an account added later on the ward reaches the laptop too
    ward.accounts.add("Dr Wu", Role.DOCTOR, "peony lantern 3")
    assert sync(laptop, ward, clock) == (0, 1, ())  # and the laptop's sign-ins go the other way
    assert laptop.accounts.sign_in("dr wu", "peony lantern 3").role is Role.DOCTOR
    # nothing new: nothing travels, and both hold the same
    assert sync(laptop, ward, clock)[:2] == (0, 0)
    again = ward.sync.sync(str(laptop.db.location.path))
    assert (again.sent, again.received, again.accounts_sent, again.accounts_received) == (
        0,
        0,
        0,
        0,
    )
    assert held(laptop.db) == held(ward.db)
    # the entries about the accounts travelled too, each naming its account on both sides
    assert account_entries(laptop) == account_entries(ward)
    assert ("sign_in", NURSE, _uid(ward, NURSE)) in account_entries(ward)
    for side in (ward, laptop):
        assert _entries_point_at_their_accounts(side)
    both_sound(ward, laptop)


def _uid(services: Services, name: str) -> str:
    with services.db.reading() as session:
        return str(session.scalar(text("SELECT uid FROM accounts WHERE name = :n"), {"n": name}))


def _entries_point_at_their_accounts(services: Services) -> bool:
    """Each entry about an account names this database's row of it: by its id too."""
    with services.db.reading() as session:
        rows = session.execute(
            text(
                "SELECT e.record_id, a.id FROM audit_entries e "
                "LEFT JOIN accounts a ON a.uid = e.record_uid WHERE e.entity = 'account'"
            )
        ).all()
    return bool(rows) and all(entry == account for entry, account in rows)


def test_a_password_reset_on_the_ward_reaches_the_laptop(
    ward: Services, laptop: Services, clock: Clock
) -> None:
    ward.accounts.reset(NURSE, "new password 4")
    assert sync(laptop, ward, clock) == (0, 1, ())
    assert "wrong name or password" in refused(laptop, NURSE, NURSE_PASSWORD)
    assert laptop.accounts.sign_in(NURSE, "new password 4").name == NURSE
    both_sound(ward, laptop)


def test_an_account_disabled_on_the_laptop_is_disabled_on_the_ward(
    ward: Services, laptop: Services, clock: Clock
) -> None:
    laptop.accounts.disable(NURSE, "left the unit")
    assert sync(laptop, ward, clock) == (1, 0, ())
    assert "is disabled" in refused(ward, NURSE, NURSE_PASSWORD)
    assert [(a.name, a.active) for a in ward.accounts.listed()] == [(ADMIN, True), (NURSE, False)]
    reasons = [e.reason for e in ward.trail.entries() if e.action == "account"]
    assert "left the unit" in reasons
    both_sound(ward, laptop)


def test_the_newest_change_of_an_account_wins_on_both(
    ward: Services, laptop: Services, clock: Clock
) -> None:
    laptop.accounts.disable(NURSE, "on leave")
    clock.later()
    ward.accounts.reset(NURSE, "newer password 5")  # later: she is enabled again
    assert sync(laptop, ward, clock)[:2] == (0, 1)
    assert held(laptop.db) == held(ward.db)
    for side in (ward, laptop):
        assert side.accounts.sign_in(NURSE, "newer password 5").active
    both_sound(ward, laptop)


def test_a_lock_out_on_the_laptop_stays_on_the_laptop(
    ward: Services, laptop: Services, clock: Clock
) -> None:
    for _ in range(WRONG_IN_A_ROW):
        refused(laptop, NURSE, "guessing")
    assert "is locked until" in refused(laptop, NURSE, NURSE_PASSWORD)
    assert sync(laptop, ward, clock)[:2] == (0, 0)  # failed sign-ins change no account
    assert ward.accounts.sign_in(NURSE, NURSE_PASSWORD).locked_until_utc is None
    assert "is locked until" in refused(laptop, NURSE, NURSE_PASSWORD)
    # what happened on the laptop is in the ward's audit trail, about her account
    actions = [a for a, user, uid in account_entries(ward) if uid == _uid(ward, NURSE)]
    assert actions.count("sign_in_failed") == WRONG_IN_A_ROW + 1  # and once while locked
    assert "locked_out" in actions
    both_sound(ward, laptop)


def test_one_name_made_on_both_apart_keeps_each_and_says_so_at_each_sync(
    ward: Services, laptop: Services, clock: Clock
) -> None:
    ward.accounts.add("Sam", Role.NURSE, "ward password 6")
    laptop.accounts.add("sam", Role.DOCTOR, "laptop password 7")
    sent, received, notices = sync(laptop, ward, clock)
    assert (sent, received) == (0, 0)
    assert len(notices) == 1
    assert "Two different accounts named" in notices[0]
    assert "each computer keeps its own" in notices[0]
    assert "disable one of them" in notices[0]
    # each signs in its own, with the password set there
    assert ward.accounts.sign_in("Sam", "ward password 6").role is Role.NURSE
    assert laptop.accounts.sign_in("Sam", "laptop password 7").role is Role.DOCTOR
    assert "wrong name or password" in refused(laptop, "Sam", "ward password 6")
    # said again while it stands; nothing else travels
    assert sync(laptop, ward, clock)[:2] == (0, 0)
    assert laptop.sync.sync(ward.db.location.url).notices == notices
    both_sound(ward, laptop)
    # once one of them is disabled, it is no longer said
    laptop.accounts.disable("sam", "made twice; added again as Sam Lee")
    assert sync(laptop, ward, clock) == (0, 0, ())
    both_sound(ward, laptop)


def test_two_administrators_disabled_apart_leave_each_side_one(
    ward: Services, laptop: Services, clock: Clock
) -> None:
    ward.accounts.add("Dr Second", Role.ADMIN, "second admin 8")
    sync(laptop, ward, clock)
    laptop.accounts.disable("Dr Second", "left")
    second = build_services(ward.db, "Dr Second", clock)
    second.accounts.disable(ADMIN, "left")
    clock.later()
    sent, received, notices = sync(laptop, ward, clock)
    assert (sent, received) == (0, 0)  # neither disabling went over
    assert len(notices) == 1 and "Administrators were disabled apart" in notices[0]
    assert "Dr Admin, Dr Second were left active" in notices[0]
    for side in (ward, laptop):
        admins = [a for a in side.accounts.listed() if a.role is Role.ADMIN and a.active]
        assert len(admins) == 1  # someone can still manage the accounts here
    both_sound(ward, laptop)
