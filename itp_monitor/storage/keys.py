"""Where an encrypted database's key comes from (issue 12; docs/install.md, "Encrypting
a clinic laptop"), in this order:

1. `ITP_MONITOR_KEY`, for scripts: the recovery key (64 hexadecimal digits) or the
   passphrase;
2. the operating system's credential store (Windows Credential Locker, macOS Keychain,
   the Secret Service on Linux) through `keyring`, where `encrypt` keeps a random key;
3. the app asks for the passphrase (gui); the command line says it has none.

One key per account of the computer: every database this account encrypts without a
passphrase uses it, and its backups too.
"""

from __future__ import annotations

from itp_monitor.storage import cipher
from itp_monitor.storage.database import Location

SERVICE = "ITP Monitor"
ACCOUNT = "database key"


class NoCredentialStore(Exception):
    """The credential store cannot keep the key here; the message says why."""


def from_store() -> cipher.Key | None:
    """The key in the credential store, or None (none kept, or no store here)."""
    try:
        import keyring

        text = keyring.get_password(SERVICE, ACCOUNT)
    except Exception:  # no store on a headless Linux, a locked one, a broken backend
        return None
    return cipher.Key.from_text(text) if text else None


def keep(key: cipher.Key) -> None:
    """Puts the raw key into the credential store; NoCredentialStore if it cannot."""
    try:
        import keyring

        keyring.set_password(SERVICE, ACCOUNT, key.as_text())
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise NoCredentialStore(
            "this computer has no credential store the app can use"
            + (f" ({first[:120]})" if first else "")
        ) from error


def find() -> cipher.Key | None:
    """The key from `ITP_MONITOR_KEY`, else from the credential store."""
    return cipher.from_environment() or from_store()


cipher.set_finder(find)  # an encrypted file met by a process whose database is plain


def prepare(location: Location) -> None:
    """Before a database is opened: the key it needs put in use (storage/cipher.py). An
    encrypted file takes the key already in use (a passphrase the app asked for), else
    the one found; a file about to be made is encrypted when `ITP_MONITOR_KEY` is set.
    A plain database leaves no key in use. Without a key, opening an encrypted file
    raises KeyRefused, which names the file."""
    path = location.path
    if path is None:
        return
    if cipher.encrypted(path):
        if cipher.in_use() is None:
            cipher.use(find())
    elif cipher.absent(path):
        cipher.use(cipher.in_use() or cipher.from_environment())
    else:
        cipher.use(None)
