"""The command line's security commands (issue 12): `encrypt`. Registered by cli.py."""

from __future__ import annotations

import argparse
import getpass
import sys

from itp_monitor.domain.wording import counted
from itp_monitor.services.container import Services
from itp_monitor.services.encryption import (
    KEY_VARIABLE,
    EncryptRefused,
    KeyChoice,
    can_encrypt,
    key_from_environment,
    key_from_passphrase,
    key_in_store,
)

EXIT_OK, EXIT_REFUSED = 0, 1
UNCHANGED = "nothing was changed"


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        choice = _key(args)
        done = services.encryption.encrypt(choice)
    except EncryptRefused as e:
        print(f"{command}: {e}; {UNCHANGED}", file=sys.stderr)
        return EXIT_REFUSED
    copies = len(done.copies)
    also = f" and {counted(copies, 'copy', 'copies')} of it (backups, earlier copies)"
    print(f"Encrypted {done.database}{also if copies else ''}.")
    print(f"Its key: {choice.how}.")
    if choice.recovery is not None:
        print(f"Recovery key: {choice.recovery}")
        print(
            "Write the recovery key down and keep it apart from this computer (the "
            f"hospital's password safe): with {KEY_VARIABLE} set to it, the database and "
            "its backups open on another computer."
        )
    for path, why in done.left:
        print(f"{command}: could not encrypt {path}: {why}; run encrypt again", file=sys.stderr)
    return EXIT_OK if not done.left else EXIT_REFUSED
