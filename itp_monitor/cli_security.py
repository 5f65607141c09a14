"""The command line's security commands (issue 12): `encrypt`. Registered by cli.py."""

from __future__ import annotations

import argparse
import getpass
import sys

from itp_monitor.domain.wording import counted
from itp_monitor.services.container import Services
from itp_monitor.services.encryption import EncryptRefused
from itp_monitor.storage import cipher, keys

EXIT_OK, EXIT_REFUSED = 0, 1
MIN_PASSPHRASE = 12  # characters: a sentence of a few words, not a word
UNCHANGED = "nothing was changed"
IN_STORE = "kept in the credential store of this computer's account"
BY_PASSPHRASE = "a passphrase, asked when the app starts"
FROM_ENVIRONMENT = f"the one {cipher.ENV_VAR} gives, kept by whoever runs the scripts"


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    encrypt = commands.add_parser(
        "encrypt",
        help="encrypt the database and its backups (SQLCipher); the key is kept in this "
        f"computer's credential store, or is a passphrase, or is ${cipher.ENV_VAR}",
    )
    encrypt.add_argument(
        "--passphrase",
        action="store_true",
        help="a passphrase to type whenever the app starts, instead of a key kept in the "
        "credential store (asked twice at a terminal, else the first line of standard input)",
    )


class Refused(Exception):
    """The command stops here with this one line; nothing was changed."""


def _passphrase() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Passphrase for the database: ")
        if getpass.getpass("The same passphrase again: ") != first:
            raise Refused("the two passphrases differ")
    else:
        first = sys.stdin.readline().rstrip("\r\n")
    if len(first) < MIN_PASSPHRASE:
        raise Refused(f"a passphrase needs at least {MIN_PASSPHRASE} characters")
    return first


def _key(args: argparse.Namespace) -> tuple[cipher.Key, str, bool]:
    """The key, where it is kept (for the audit entry), and whether to show it."""
    given = cipher.from_environment()
    if given is not None:
        return given, FROM_ENVIRONMENT, False
    if args.passphrase:
        return cipher.Key.from_text(_passphrase()), BY_PASSPHRASE, False
    key = cipher.Key.random()
    try:
        keys.keep(key)
    except keys.NoCredentialStore as e:
        raise Refused(
            f"{e}: give a passphrase instead (itp-monitor encrypt --passphrase), or set "
            f"{cipher.ENV_VAR} for scripts"
        ) from e
    return key, IN_STORE, True


def encrypt(services: Services, args: argparse.Namespace) -> int:
    command = "itp-monitor encrypt"
    try:
        if not cipher.available():
            raise EncryptRefused(
                "this installation cannot encrypt: its sqlcipher3 package is missing "
                "(docs/install.md)"
            )
        key, how, show = _key(args)
        done = services.encryption.encrypt(key, how)
    except (Refused, EncryptRefused) as e:
        print(f"{command}: {e}; {UNCHANGED}", file=sys.stderr)
        return EXIT_REFUSED
    copies = len(done.copies)
    also = f" and {counted(copies, 'copy', 'copies')} of it (backups, earlier copies)"
    print(f"Encrypted {done.database}{also if copies else ''}.")
    print(f"Its key: {how}.")
    if show:
        print(f"Recovery key: {key.as_text()}")
        print(
            "Write the recovery key down and keep it apart from this computer (the "
            f"hospital's password safe): with {cipher.ENV_VAR} set to it, the database and "
            "its backups open on another computer."
        )
    for path, why in done.left:
        print(f"{command}: could not encrypt {path}: {why}; run encrypt again", file=sys.stderr)
    return EXIT_OK if not done.left else EXIT_REFUSED
