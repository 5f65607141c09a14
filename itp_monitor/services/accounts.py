"""Accounts and sign-in (issue 12; interfaces.md, "Encryption and sign-in").

Once an active account exists, the app asks for a sign-in and a command that writes
needs `--user`: the audit trail's "who" is then the account, not whatever the
operating system or `ITP_MONITOR_USER` says. Passwords are kept only as Argon2id hashes
(argon2-cffi), never stored or logged as typed. Five wrong passwords in a row lock the
account for five minutes, on the computer where they were typed. Sign-ins, failures,
lock-outs and every change of an account are in the audit trail.

Roles (domain.vocab.Role): a nurse or midwife records, corrects and voids; a doctor
also sets the unit's protocol and the laboratory codes; an administrator also manages
accounts, encrypts the database and restores backups. The first account must be an
administrator, and the last active administrator cannot be disabled: someone must
always be able to manage the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from itp_monitor.domain.vocab import AuditAction, Role
from itp_monitor.services import audit, preferences
from itp_monitor.services.context import to_utc
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage.models import ACCOUNT_NAME_LENGTH, Account

WRONG_IN_A_ROW = 5  # wrong passwords that lock an account
LOCKED_FOR = timedelta(minutes=5)
MIN_PASSWORD = 8  # characters
IDLE_MINUTES = 10  # the app asks again after this long without a key or a click
MAX_IDLE_MINUTES = 240
IDLE_KEY = "sign_in_idle_minutes"
ENTITY = "account"
WRONG = "wrong name or password"

_hasher = PasswordHasher()  # Argon2id, RFC 9106's second recommended parameters


class AccountRefused(Exception):
    """An account change, or a sign-in, refused; the message says why in one line."""


class SignInRefused(AccountRefused):
    """A sign-in refused: a wrong name or password, a disabled or locked account."""


@dataclass(frozen=True)
class AccountInfo:
    name: str
    role: Role
    active: bool
    locked_until_utc: datetime | None  # while locked out

    def locked_at(self, now_utc: datetime) -> bool:
        return self.locked_until_utc is not None and self.locked_until_utc > now_utc


def _info(row: Account) -> AccountInfo:
    return AccountInfo(row.name, Role(row.role), row.active, row.locked_until_utc)


def _key(name: str) -> str:
    return name.strip().casefold()


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountRefused(f"a password needs at least {MIN_PASSWORD} characters")
    return password


class AccountService(ServiceBase):
    # --- asked by the app and the command line ---------------------------------------

    def required(self) -> bool:
        """Whether anyone must sign in: once an active account exists."""
        with self.db.reading() as session:
            return _active(session) > 0

    def listed(self) -> list[AccountInfo]:
        with self.db.reading() as session:
            rows = session.scalars(select(Account).order_by(Account.name_key))
            return [_info(row) for row in rows]

    def idle_minutes(self) -> int:
        """After how long without use the app locks its window and asks again."""
        with self.db.reading() as session:
            value = preferences.preference(session, IDLE_KEY, IDLE_MINUTES)
        return int(value) if isinstance(value, int | float) and value >= 1 else IDLE_MINUTES

    def set_idle_minutes(self, minutes: int) -> None:
        if not 1 <= minutes <= MAX_IDLE_MINUTES:
            raise AccountRefused(f"the lock comes after 1 to {MAX_IDLE_MINUTES} minutes")
        with self.db.writing() as session:
            self._as_administrator(session)
            preferences.remember(
                session, IDLE_KEY, minutes, user=self.user, at_utc=to_utc(self.clock())
            )

    def now_utc(self) -> datetime:
        return to_utc(self.clock())

    def get(self, name: str) -> AccountInfo | None:
        with self.db.reading() as session:
            row = _find(session, name)
            return _info(row) if row is not None else None

    # --- signing in ---------------------------------------------------------------------

    def sign_in(self, name: str, password: str) -> AccountInfo:
        """The account, once its password is right and it is neither disabled nor locked;
        else SignInRefused. Either way the attempt is in the audit trail (not a name no
        account has: that may be a password typed in the wrong field)."""
        now_utc = to_utc(self.clock())
        if self.db.location.read_only:
            return self._sign_in_reading(name, password, now_utc)
        with self.db.writing() as session:
            row = _find(session, name)
            if row is None:
                refused: str | None = WRONG
            elif (refused := self._standing(row, now_utc)) is not None:
                if row.active:  # locked: the try is noted
                    self._note(session, row, AuditAction.SIGN_IN_FAILED, now_utc, "locked")
            elif not _matches(row.password_hash, password):
                refused = self._wrong(session, row, now_utc)
            else:
                refused = None
                row.failed_in_row, row.locked_until_utc = 0, None
                if _hasher.check_needs_rehash(row.password_hash):
                    row.password_hash = _hasher.hash(password)
                self._note(session, row, AuditAction.SIGN_IN, now_utc)
            info = _info(row) if row is not None else None
        if refused is not None:
            raise SignInRefused(refused)
        assert info is not None
        return info

    def _sign_in_reading(self, name: str, password: str, now_utc: datetime) -> AccountInfo:
        """On a database opened read-only (a read-only share, a full disk): the password
        checked, nothing written (neither the sign-in nor a failure: there is no lock,
        and nothing can be changed while it is read-only)."""
        with self.db.reading() as session:
            row = _find(session, name)
            if row is None or not _matches(row.password_hash, password):
                raise SignInRefused(WRONG)
            refused = self._standing(row, now_utc)
            if refused is not None:
                raise SignInRefused(refused)
            return _info(row)

    def _standing(self, row: Account, now_utc: datetime) -> str | None:
        """Why the account may not sign in whatever the password (disabled, locked), or
        None."""
        if not row.active:
            return f"the account {row.name} is disabled: ask an administrator"
        if row.locked_until_utc is not None and row.locked_until_utc > now_utc:
            return _locked_words(row, self.clock(), now_utc)
        return None

    def _wrong(self, session: Session, row: Account, now_utc: datetime) -> str:
        row.failed_in_row += 1
        self._note(session, row, AuditAction.SIGN_IN_FAILED, now_utc, "wrong password")
        if row.failed_in_row < WRONG_IN_A_ROW:
            return WRONG
        row.locked_until_utc = now_utc + LOCKED_FOR
        row.failed_in_row = 0
        self._note(
            session,
            row,
            AuditAction.LOCKED_OUT,
            now_utc,
            f"{WRONG_IN_A_ROW} wrong passwords in a row",
        )
        return _locked_words(row, self.clock(), now_utc)

    def _note(
        self,
        session: Session,
        row: Account,
        action: AuditAction,
        now_utc: datetime,
        reason: str | None = None,
    ) -> None:
        audit.write(
            session,
            at_utc=now_utc,
            user=row.name,
            action=action,
            entity=ENTITY,
            record_id=row.id,
            record_uid=row.uid,  # how a sync finds the account in another database
            patient_id=None,
            reason=reason,
        )

    # --- managing accounts (an administrator, or the first account) --------------------

    def add(self, name: str, role: Role, password: str) -> AccountInfo:
        name = name.strip()
        if not name:
            raise AccountRefused("an account needs a name")
        if len(name) > ACCOUNT_NAME_LENGTH:
            raise AccountRefused(f"a name has at most {ACCOUNT_NAME_LENGTH} characters")
        checked_password(password)
        now_utc = to_utc(self.clock())
        with self.db.writing() as session:
            self._as_administrator(session)
            if _find(session, name) is not None:
                raise AccountRefused(f"there is an account named {name} already")
            if role is not Role.ADMIN and _active(session, Role.ADMIN) == 0:
                raise AccountRefused("the first account must be an administrator (--role admin)")
            row = Account(
                name=name,
                name_key=_key(name),
                role=role.value,
                password_hash=_hasher.hash(password),
                active=True,
                changed_at_utc=now_utc,
                changed_by=self.user,
            )
            session.add(row)
            session.flush()
            self._changed(session, row, None, "added", now_utc)
            return _info(row)

    def disable(self, name: str, reason: str = "disabled") -> AccountInfo:
        now_utc = to_utc(self.clock())
        with self.db.writing() as session:
            self._as_administrator(session)
            row = self._existing(session, name)
            if not row.active:
                raise AccountRefused(f"the account {row.name} is disabled already")
            if row.role == Role.ADMIN and _active(session, Role.ADMIN) <= 1:
                raise AccountRefused(
                    f"{row.name} is the last active administrator: add another one first"
                )
            before = _shown(row)
            row.active = False
            row.changed_at_utc, row.changed_by = now_utc, self.user
            self._changed(session, row, before, reason, now_utc)
            return _info(row)

    def reset(self, name: str, password: str) -> AccountInfo:
        """A new password, and the account unlocked (and enabled again if it was not)."""
        checked_password(password)
        now_utc = to_utc(self.clock())
        with self.db.writing() as session:
            self._as_administrator(session)
            row = self._existing(session, name)
            before = _shown(row)
            row.password_hash = _hasher.hash(password)
            row.active, row.failed_in_row, row.locked_until_utc = True, 0, None
            row.changed_at_utc, row.changed_by = now_utc, self.user
            self._changed(session, row, before, "password reset", now_utc)
            return _info(row)

    def _as_administrator(self, session: Session) -> None:
        """Refuses unless whoever acts is an active administrator; with no administrator
        yet, anyone may add the first."""
        if _active(session, Role.ADMIN) > 0:
            require_role(session, self.user, Role.ADMIN, "managing accounts")

    def may(self, needed: Role) -> bool:
        """Whether whoever acts may do what `needed` may (anyone, with no accounts)."""
        with self.db.reading() as session:
            try:
                require_role(session, self.user, needed, "")
            except NotAllowed:
                return False
            return True

    def _existing(self, session: Session, name: str) -> Account:
        row = _find(session, name)
        if row is None:
            raise AccountRefused(f"there is no account named {name.strip()}")
        return row

    def _changed(
        self,
        session: Session,
        row: Account,
        before: dict[str, object] | None,
        what: str,
        now_utc: datetime,
    ) -> None:
        audit.write(
            session,
            at_utc=now_utc,
            user=self.user,
            action=AuditAction.ACCOUNT,
            entity=ENTITY,
            record_id=row.id,
            record_uid=row.uid,  # how a sync finds the account in another database
            patient_id=None,
            before=before,
            after=_shown(row),
            reason=what,
        )


class NotAllowed(AccountRefused):
    """What was asked needs a role the account signed in does not have."""


def require_role(session: Session, user: str, needed: Role, what: str) -> None:
    """Refuses (NotAllowed) `what` unless the database has no active account, or `user`
    is an active account whose role may do what `needed` may."""
    if _active(session) == 0:
        return
    actor = _find(session, user)
    if actor is None or not actor.active or not Role(actor.role).may(needed):
        article = "an" if needed.label[0] in "aeiou" else "a"
        raise NotAllowed(f"{what} needs the account of {article} {needed.label}: sign in as one")


def _shown(row: Account) -> dict[str, object]:
    """What the audit trail keeps of an account: never its password's hash."""
    return {"name": row.name, "role": row.role, "active": row.active}


def _find(session: Session, name: str) -> Account | None:
    return session.scalar(select(Account).where(Account.name_key == _key(name)))


def _active(session: Session, role: Role | None = None) -> int:
    """How many active accounts there are (of `role`, when given)."""
    query = select(func.count()).where(Account.active)
    if role is not None:
        query = query.where(Account.role == role.value)
    return int(session.scalar(query) or 0)


def _matches(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _locked_words(row: Account, now: datetime, now_utc: datetime) -> str:
    assert row.locked_until_utc is not None
    until = now + (row.locked_until_utc - now_utc)  # in the ward's local time
    return (
        f"the account {row.name} is locked until {until:%H:%M} after {WRONG_IN_A_ROW} wrong "
        "passwords in a row (or ask an administrator to reset its password)"
    )
