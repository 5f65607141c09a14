"""`itp-monitor encrypt` as a clinic laptop's administrator runs it, and every command
afterwards: with the key (credential store, ITP_MONITOR_KEY, passphrase) it works;
without it, or with a wrong one, one line and exit 1."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from helpers import run_from_source

from itp_monitor.services.container import Services
from itp_monitor.storage import cipher

NO_STORE = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
PASSPHRASE = "violet harbour at seven"


@pytest.fixture
def ward(services: Services) -> Path:
    services.demo.load()
    services.backups.take()
    services.db.dispose()
    path = services.db.location.path
    assert path is not None
    path.chmod(0o600)  # as the app leaves it: opening it changes nothing then
    return path


def itp(db: Path, *args: str, **env: str) -> tuple[int, str, str]:
    stdin = env.pop("stdin", None)
    done = run_from_source("--db", str(db), *args, env=env, stdin=stdin)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recovery_key(out: str) -> str:
    [line] = [x for x in out.splitlines() if x.startswith("Recovery key: ")]
    return line.removeprefix("Recovery key: ")


def test_encrypted_with_a_key_in_the_credential_store_every_command_goes_on(
    ward: Path, credential_store: Path
) -> None:
    code, out, err = itp(ward, "encrypt")
    assert code == 0, err
    assert f"Encrypted {ward} and 1 copy of it" in out
    assert len(recovery_key(out).split()) == 16
    assert cipher.encrypted(ward)
    for backup in (ward.parent / "backups").iterdir():
        assert cipher.encrypted(backup)
    code, out, err = itp(ward, "flags", "--json")
    assert code == 0 and '"DEMO-03"' in out, err
    code, out, err = itp(ward, "check")
    assert code == 0 and "is sound" in out, err


def test_the_recovery_key_opens_it_where_the_store_does_not_hold_it(
    ward: Path, credential_store: Path
) -> None:
    key = recovery_key(itp(ward, "encrypt")[1])
    code, out, err = itp(ward, "flags", "--json", **NO_STORE, ITP_MONITOR_KEY=key)  # as shown
    assert code == 0 and '"DEMO-03"' in out, err


@pytest.mark.parametrize(
    "args",
    [("flags",), ("export", "out.json"), ("check",), ("audit",), ("backup",), ("demo",)],
)
def test_without_the_key_every_command_says_so_in_one_line(
    ward: Path, credential_store: Path, args: tuple[str, ...], tmp_path: Path
) -> None:
    itp(ward, "encrypt")
    unchanged = digest(ward)
    args = tuple(str(tmp_path / a) if a.endswith(".json") else a for a in args)
    code, out, err = itp(ward, *args, **NO_STORE)
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0
    assert "the database is encrypted and no key was given" in err
    assert "ITP_MONITOR_KEY" in err
    assert digest(ward) == unchanged


def test_a_wrong_key_is_one_line_and_changes_nothing(ward: Path, credential_store: Path) -> None:
    itp(ward, "encrypt")
    unchanged = digest(ward)
    for wrong in ("ab" * 32, "not the passphrase"):
        code, out, err = itp(ward, "flags", **NO_STORE, ITP_MONITOR_KEY=wrong)
        assert code == 1 and out == "" and err.strip().count("\n") == 0
        assert "the key given does not open this encrypted database" in err
    assert digest(ward) == unchanged


def test_with_no_credential_store_encrypt_refuses_and_says_what_else_to_do(ward: Path) -> None:
    unchanged = digest(ward)
    code, out, err = itp(ward, "encrypt", **NO_STORE)
    assert code == 1 and out == ""
    assert "no credential store" in err and "--passphrase" in err and "ITP_MONITOR_KEY" in err
    assert "nothing was changed" in err
    assert digest(ward) == unchanged and not cipher.encrypted(ward)


def test_a_passphrase_encrypts_and_then_opens_it(ward: Path) -> None:
    code, _, err = itp(ward, "encrypt", "--passphrase", **NO_STORE, stdin="short\n")
    assert code == 1 and "at least 12 characters" in err and not cipher.encrypted(ward)
    code, out, err = itp(ward, "encrypt", "--passphrase", **NO_STORE, stdin=PASSPHRASE + "\n")
    assert code == 0, err
    assert "Recovery key" not in out and "a passphrase" in out
    code, out, err = itp(ward, "flags", "--json", **NO_STORE, ITP_MONITOR_KEY=PASSPHRASE)
    assert code == 0 and '"DEMO-03"' in out, err


def test_an_encrypted_backup_is_restored_with_the_key(ward: Path, credential_store: Path) -> None:
    itp(ward, "encrypt")
    [backup] = (ward.parent / "backups").iterdir()
    code, out, err = itp(ward, "restore", str(backup))
    assert code == 0, err
    assert cipher.encrypted(ward)
    code, out, err = itp(ward, "check")
    assert code == 0 and "is sound" in out, err


def test_encrypt_again_keeps_the_key_and_encrypts_a_copy_left_plain(
    ward: Path, credential_store: Path, tmp_path: Path
) -> None:
    [backup] = (ward.parent / "backups").iterdir()
    unplugged = tmp_path / "unplugged-usb-disk.sqlite"
    unplugged.write_bytes(backup.read_bytes())  # a backup on a disk away at the time
    code, out, _ = itp(ward, "encrypt")
    assert code == 0
    key = recovery_key(out)
    code, _, err = itp(ward, "encrypt")  # nothing left to do: refused, the key kept
    assert code == 1 and "encrypted already, and so are its copies" in err
    left = ward.parent / "backups" / ("old-" + backup.name)
    left.write_bytes(unplugged.read_bytes())  # the disk is back: its backup is plain
    left.rename(backup.with_name(backup.stem + "-1" + backup.suffix))
    code, out, err = itp(ward, "encrypt")
    assert code == 0 and "Encrypted 1 copy of" in out, err
    assert all(cipher.encrypted(p) for p in (ward.parent / "backups").iterdir())
    code, _, err = itp(ward, "flags", **NO_STORE, ITP_MONITOR_KEY=key)  # the first key still
    assert code == 0, err
    code, _, err = itp(ward, "flags")  # and the store's
    assert code == 0, err


def test_an_encrypted_laptop_will_not_sync_into_a_plain_file(
    ward: Path, credential_store: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "usb" / "carry.sqlite"
    plain.parent.mkdir()
    assert itp(plain, "device", "--name", "USB stick")[0] == 0  # a plain file there already
    itp(ward, "encrypt")
    unchanged = digest(plain)
    code, _, err = itp(ward, "sync", str(plain))
    assert code == 1 and "is not encrypted, and this database is" in err
    assert digest(plain) == unchanged


def test_a_plain_ward_with_the_key_syncs_with_the_laptop_s_encrypted_file(
    ward: Path, tmp_path: Path
) -> None:
    laptop_file = tmp_path / "usb" / "carry.sqlite"
    laptop_file.parent.mkdir()
    key = {"ITP_MONITOR_KEY": PASSPHRASE, **NO_STORE}
    laptop = tmp_path / "laptop.sqlite"
    assert itp(laptop, "demo", **key)[0] == 0  # a laptop made encrypted
    code, _, err = itp(laptop, "sync", str(laptop_file), **key)
    assert code == 0 and cipher.encrypted(laptop_file), err
    code, _, err = itp(ward, "sync", str(laptop_file), **NO_STORE)  # the ward has no key
    assert code == 1 and "encrypted and no key was given" in err
    code, _, err = itp(ward, "sync", str(laptop_file), **key)  # with it: both ways
    assert code == 0, err
    assert not cipher.encrypted(ward) and cipher.encrypted(laptop_file)
    backup = itp(ward, "backup", **key)[1].splitlines()[0]
    assert not cipher.encrypted(Path(backup))  # the ward's own backups stay as it is
