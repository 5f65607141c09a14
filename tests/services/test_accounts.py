"""Accounts and sign-in (issue 12): passwords kept only as Argon2id hashes, five wrong
in a row lock the account for five minutes, every sign-in in the audit trail, and what
each role may do."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import NOW

from itp_monitor.domain.records import PlateletCount
from itp_monitor.domain.vocab import Role
from itp_monitor.services.accounts import (
    LOCKED_FOR,
    WRONG_IN_A_ROW,
    AccountRefused,
    NotAllowed,
    SignInRefused,
)
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.results import PatientInfo

ADMIN_PASSWORD = "correct horse 1"
NURSE_PASSWORD = "violet harbour 2"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ward(services: Services, clock: Clock) -> Services:
    """A ward with an administrator and a nurse, as the administrator set them up."""
    first = build_services(services.db, user="it.person", clock=clock)
    first.accounts.add("Dr Admin", Role.ADMIN, ADMIN_PASSWORD)
    as_admin(first, clock).accounts.add("Nora", Role.NURSE, NURSE_PASSWORD)
    return first


def as_admin(services: Services, clock: Clock) -> Services:
    return build_services(services.db, user="Dr Admin", clock=clock)


def acting(services: Services, name: str, clock: Clock) -> Services:
    return build_services(services.db, user=name, clock=clock)


def entries(services: Services, action: str) -> list[tuple[str, str | None]]:
    return [(e.user, e.reason) for e in services.trail.entries() if e.action == action]


def test_a_password_is_kept_only_as_an_argon2id_hash(ward: Services, db_path: Path) -> None:
    ward.db.dispose()
    stored = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert NURSE_PASSWORD.encode() not in stored and ADMIN_PASSWORD.encode() not in stored
    assert b"$argon2id$" in stored


def test_the_right_password_signs_in_and_is_in_the_audit_trail(ward: Services) -> None:
    account = ward.accounts.sign_in("nora", NURSE_PASSWORD)  # a name in any case
    assert (account.name, account.role) == ("Nora", Role.NURSE)
    assert entries(ward, "sign_in") == [("Nora", None)]


def test_five_wrong_passwords_lock_the_account_for_five_minutes(
    ward: Services, clock: Clock
) -> None:
    for _ in range(WRONG_IN_A_ROW - 1):
        with pytest.raises(SignInRefused, match="wrong name or password"):
            ward.accounts.sign_in("Nora", "not it at all")
    until = f"{NOW + LOCKED_FOR:%H:%M}"
    with pytest.raises(SignInRefused, match=f"locked until {until} after 5 wrong passwords"):
        ward.accounts.sign_in("Nora", "not it at all")
    with pytest.raises(SignInRefused, match="locked"):  # the right one, while locked
        ward.accounts.sign_in("Nora", NURSE_PASSWORD)
    clock.now += LOCKED_FOR + timedelta(seconds=1)
    assert ward.accounts.sign_in("Nora", NURSE_PASSWORD).name == "Nora"
    assert len(entries(ward, "sign_in_failed")) == WRONG_IN_A_ROW + 1
    assert entries(ward, "locked_out") == [("Nora", "5 wrong passwords in a row")]


def test_a_right_password_starts_the_count_of_wrong_ones_again(ward: Services) -> None:
    for _ in range(WRONG_IN_A_ROW - 1):
        with pytest.raises(SignInRefused):
            ward.accounts.sign_in("Nora", "not it at all")
    ward.accounts.sign_in("Nora", NURSE_PASSWORD)
    for _ in range(WRONG_IN_A_ROW - 1):
        with pytest.raises(SignInRefused, match="wrong name or password"):
            ward.accounts.sign_in("Nora", "not it at all")


def test_an_unknown_name_is_told_as_a_wrong_password_and_not_written_down(
    ward: Services,
) -> None:
    with pytest.raises(SignInRefused, match="wrong name or password"):
        ward.accounts.sign_in("Nora's password typed here", "x" * 10)
    assert all("typed here" not in e.user for e in ward.trail.entries())


def test_the_first_account_must_be_an_administrator(services: Services) -> None:
    with pytest.raises(AccountRefused, match="first account must be an administrator"):
        services.accounts.add("Nora", Role.NURSE, NURSE_PASSWORD)
    assert services.accounts.listed() == []


def test_only_an_administrator_manages_accounts(ward: Services, clock: Clock) -> None:
    nurse = acting(ward, "Nora", clock)
    with pytest.raises(NotAllowed, match="needs the account of an administrator"):
        nurse.accounts.add("Nina", Role.NURSE, NURSE_PASSWORD)
    with pytest.raises(NotAllowed):
        nurse.accounts.reset("Dr Admin", "taken over 1")
    with pytest.raises(NotAllowed):  # nor anyone who merely says who they are
        acting(ward, "Dr Consultant (head of unit)", clock).accounts.disable("Nora")
    assert [a.name for a in ward.accounts.listed()] == ["Dr Admin", "Nora"]


def test_a_name_is_one_account_whatever_its_case(ward: Services, clock: Clock) -> None:
    with pytest.raises(AccountRefused, match="there is an account named NORA already"):
        as_admin(ward, clock).accounts.add("NORA", Role.DOCTOR, NURSE_PASSWORD)


def test_a_short_password_is_refused(ward: Services, clock: Clock) -> None:
    with pytest.raises(AccountRefused, match="at least 8 characters"):
        as_admin(ward, clock).accounts.add("Nina", Role.NURSE, "short")


def test_a_disabled_account_cannot_sign_in_and_a_reset_brings_it_back(
    ward: Services, clock: Clock
) -> None:
    admin = as_admin(ward, clock)
    admin.accounts.disable("Nora")
    with pytest.raises(SignInRefused, match="disabled"):
        ward.accounts.sign_in("Nora", NURSE_PASSWORD)
    admin.accounts.reset("Nora", "a new one 123")
    assert ward.accounts.sign_in("Nora", "a new one 123").active
    changes = [e.reason for e in ward.trail.entries() if e.action == "account"]
    assert changes == ["added", "added", "disabled", "password reset"]


def test_the_last_administrator_cannot_be_disabled(ward: Services, clock: Clock) -> None:
    with pytest.raises(AccountRefused, match="last active administrator"):
        as_admin(ward, clock).accounts.disable("Dr Admin")


def test_each_role_may_do_what_it_may(ward: Services, clock: Clock, patient: PatientInfo) -> None:
    admin = as_admin(ward, clock)
    admin.accounts.add("Dr Dee", Role.DOCTOR, "doctor pass 1")
    nurse, doctor = acting(ward, "Nora", clock), acting(ward, "Dr Dee", clock)
    stored = nurse.records.record(patient.id, PlateletCount(NOW - timedelta(hours=1), 40, "lab"))
    nurse.records.void(PlateletCount, stored.id, "wrong woman")  # a nurse records and voids
    with pytest.raises(
        NotAllowed, match="changing the unit's protocol needs the account of a doctor"
    ):
        nurse.protocol.change("delivery_min", 55, "unit policy")
    with pytest.raises(NotAllowed, match="laboratory codes"):
        nurse.labs.set_local_codes(["PLT"])
    doctor.protocol.change("delivery_min", 55, "unit policy")
    doctor.labs.set_local_codes(["PLT"])
    assert nurse.accounts.may(Role.NURSE) and not nurse.accounts.may(Role.DOCTOR)
    assert doctor.accounts.may(Role.DOCTOR) and not doctor.accounts.may(Role.ADMIN)
    assert admin.accounts.may(Role.ADMIN)


def test_with_no_account_anyone_may_do_anything(services: Services) -> None:
    assert not services.accounts.required()
    assert services.accounts.may(Role.ADMIN)


def test_a_read_only_database_signs_in_without_writing(ward: Services, db_path: Path) -> None:
    from itp_monitor.bootstrap import open_services

    ward.db.dispose()
    reading = open_services(str(db_path), read_only=True)
    try:
        assert reading.accounts.sign_in("Nora", NURSE_PASSWORD).name == "Nora"
        with pytest.raises(SignInRefused, match="wrong name or password"):
            reading.accounts.sign_in("Nora", "not it at all")
    finally:
        reading.db.dispose()
