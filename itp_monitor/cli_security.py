"""The command line's security (issue 12): signing in with `--user` (and
`--password-stdin`) before a command that writes, `users`, and `encrypt`. Registered
by cli.py."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Iterator

from itp_monitor.domain.vocab import Role
from itp_monitor.domain.wording import counted
from itp_monitor.services.accounts import AccountRefused
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.context import operating_system_user
from itp_monitor.services.encryption import (
    KEY_VARIABLE,
    EncryptRefused,
    KeyChoice,
    can_encrypt,
    key_from_environment,
    key_from_passphrase,
    key_in_store,
)
from itp_monitor.services.errors import StorageFailure
from itp_monitor.storage.database import Database, resolve_location

EXIT_OK, EXIT_REFUSED = 0, 1
UNCHANGED = "nothing was changed"


def add_global(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        metavar="NAME",
        help="the account to sign in as: needed by a command that writes once the database "
        "has accounts (the password is asked, or read with --password-stdin)",
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (and a new account's "
        "password, for `users add` and `users reset`, from the next)",
    )


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = commands.add_parser(
        "users", help="the accounts that sign in: add, list, disable, reset a password"
    )
    doing = users.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = doing.add_parser("add", help="add an account (the first must be an admin)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    listed = doing.add_parser("list", help="list the accounts, their roles and states")
    listed.add_argument("--json", action="store_true", help="print JSON for other programs")
    disable = doing.add_parser("disable", help="disable an account (never deleted)")
    disable.add_argument("name", metavar="NAME")
    reset = doing.add_parser("reset", help="give an account a new password, and unlock it")
    reset.add_argument("name", metavar="NAME")

    encrypt = commands.add_parser(
        "encrypt",
        help="encrypt the database and its backups (SQLCipher); the key is kept in this "
        f"computer's credential store, or is a passphrase, or is ${KEY_VARIABLE}",
    )
    encrypt.add_argument(
        "--passphrase",
        action="store_true",
        help="a passphrase to type whenever the app starts, instead of a key kept in the "
        "credential store (asked twice at a terminal, else the first line of standard input)",
    )


def _passphrase() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Passphrase for the database: ")
        if getpass.getpass("The same passphrase again: ") != first:
            raise EncryptRefused("the two passphrases differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _key(args: argparse.Namespace) -> KeyChoice:
    given = key_from_environment()
    if given is not None:
        return given
    if args.passphrase:
        return key_from_passphrase(_passphrase())
    try:
        return key_in_store()
    except EncryptRefused as e:
        raise EncryptRefused(f"{e} (itp-monitor encrypt --passphrase)") from e


def encrypt(services: Services, args: argparse.Namespace) -> int:
    command = "itp-monitor encrypt"
    try:
        if not can_encrypt():
            raise EncryptRefused(
                "this installation cannot encrypt: its sqlcipher3 package is missing "
                "(docs/install.md)"
            )
        if services.encryption.encrypted():
            choice = None  # its copies left plain, with its own key
            done = services.encryption.encrypt_left_copies()
        else:
            choice = _key(args)
            done = services.encryption.encrypt(choice)
    except EncryptRefused as e:
        print(f"{command}: {e}; {UNCHANGED}", file=sys.stderr)
        return EXIT_REFUSED
    copies = len(done.copies)
    also = f" and {counted(copies, 'copy', 'copies')} of it (backups, earlier copies)"
    if choice is None:
        print(f"Encrypted {counted(copies, 'copy', 'copies')} of {done.database}.")
    else:
        print(f"Encrypted {done.database}{also if copies else ''}.")
        print(f"Its key: {choice.how}.")
    if choice is not None and choice.recovery is not None:
        print(f"Recovery key: {choice.recovery}")
        print(
            "Write the recovery key down and keep it apart from this computer (the "
            f"hospital's password safe): with {KEY_VARIABLE} set to it, the database and "
            "its backups open on another computer."
        )
    for path, why in done.left:
        print(f"{command}: could not encrypt {path}: {why}; run encrypt again", file=sys.stderr)
    return EXIT_OK if not done.left else EXIT_REFUSED


# --- signing in ---------------------------------------------------------------------------


class SignInFailed(Exception):
    """The command stops before it runs: this one line says why."""


class Passwords:
    """Where passwords come from: lines of standard input (--password-stdin), one after
    the other, or a prompt at a terminal; else there is no way to ask."""

    def __init__(self, from_stdin: bool) -> None:
        self.from_stdin = from_stdin
        self._lines: Iterator[str] | None = None

    def next(self, prompt: str, *, twice: bool = False) -> str:
        if self.from_stdin:
            if self._lines is None:
                self._lines = iter(sys.stdin)
            line = next(self._lines, None)
            if line is None:
                raise SignInFailed(f"standard input ended before the {prompt.lower()}")
            return str(line).rstrip("\r\n")
        if not sys.stdin.isatty():
            raise SignInFailed(
                "there is no terminal to ask for a password: give it on standard input "
                "with --password-stdin"
            )
        typed = getpass.getpass(f"{prompt}: ")
        if twice and getpass.getpass(f"{prompt}, again: ") != typed:
            raise SignInFailed("the two passwords differ")
        return typed


def signed_in(services: Services, args: argparse.Namespace, *, writes: bool) -> Services:
    """The services acting as the account signed in, for a command that writes in a
    database that has accounts; as they are otherwise. SignInFailed, with nothing
    written but the failure itself (in the audit trail), when it cannot sign in."""
    args.passwords = Passwords(args.password_stdin)
    if not writes or not services.accounts.required():
        return services
    if not args.user:
        raise SignInFailed(
            "this database has accounts: sign in with --user NAME (the password is asked, "
            "or read with --password-stdin); nothing was changed"
        )
    password = args.passwords.next(f"Password for {args.user}")
    try:
        account = services.accounts.sign_in(args.user, password)
    except AccountRefused as e:
        raise SignInFailed(f"{e}; nothing was changed") from e
    return build_services(services.db, user=account.name)


def restorer(args: argparse.Namespace) -> str:
    """Who restores: with accounts in the database as it is, an administrator signed in
    with --user (SignInFailed otherwise); else the operating system's user. A database
    too damaged to be read cannot say whether it has accounts: its file's owner may
    restore it, as they may replace the file by hand."""
    try:  # the database as it is: neither upgraded nor made
        location = resolve_location(args.db)
        services = build_services(Database(location, create=False))
    except Exception:  # damaged, missing, not a database: nothing to sign in to
        return operating_system_user()
    try:
        try:
            required = services.accounts.required()
        except Exception:  # a schema from before accounts
            return operating_system_user()
        if not required:
            return operating_system_user()
        try:
            signed = signed_in(services, args, writes=True)
        except StorageFailure:  # too damaged to record a sign-in: as if unreadable
            return operating_system_user()
        if not signed.accounts.may(Role.ADMIN):
            raise SignInFailed(
                "restoring a backup needs the account of an administrator: sign in as one; "
                "nothing was changed"
            )
        return signed.user
    finally:
        services.db.dispose()


def users(services: Services, args: argparse.Namespace) -> int:
    command = f"itp-monitor users {args.action}"
    accounts = services.accounts
    try:
        if args.action == "list":
            return _list(services, args)
        if args.action == "add":
            password = args.passwords.next(f"Password for the new account {args.name}", twice=True)
            done = accounts.add(args.name, Role(args.role), password)
            print(f"Added {done.name}, {done.role.label}.")
        elif args.action == "disable":
            done = accounts.disable(args.name)
            print(f"Disabled {done.name}: it can no longer sign in.")
        else:
            password = args.passwords.next(f"New password for {args.name}", twice=True)
            done = accounts.reset(args.name, password)
            print(f"{done.name} has a new password, and can sign in.")
    except (AccountRefused, SignInFailed) as e:
        print(f"{command}: {e}; {UNCHANGED}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK


def _list(services: Services, args: argparse.Namespace) -> int:
    found = services.accounts.listed()
    now_utc = services.accounts.now_utc()
    if args.json:
        shown = [
            {
                "name": a.name,
                "role": a.role.value,
                "active": a.active,
                "locked": a.locked_at(now_utc),
            }
            for a in found
        ]
        print(json.dumps(shown, indent=2))
        return EXIT_OK
    if not found:
        print("No accounts: anyone who can open the database may use it (README).")
    for a in found:
        state = "active" if a.active else "disabled"
        if a.locked_at(now_utc):
            state += ", locked"
        print(f"{a.name:<24} {a.role.label:<18} {state}")
    return EXIT_OK
