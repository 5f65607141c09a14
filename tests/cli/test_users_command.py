"""Accounts on the command line, as a ward's IT person and its scripts use them
(interfaces.md, "Encryption and sign-in"): the first admin made without signing in, later
accounts added signed in as an admin with both passwords on standard input; once an
account exists a command that writes needs --user, and the audit trail's user is the
account, whatever ITP_MONITOR_USER says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_from_source

ADMIN, NURSE = "admin-pass-1", "nurse-pass-1"


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    path = tmp_path / "ward.sqlite"
    assert itp(path, "demo")[0] == 0
    return path


def itp(db: Path, *args: str, stdin: str | None = None, **env: str) -> tuple[int, str, str]:
    done = run_from_source("--db", str(db), *args, env=env, stdin=stdin)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def with_accounts(ward: Path) -> Path:
    code, _, err = itp(
        ward, "--password-stdin", "users", "add", "Dr Admin", "--role", "admin", stdin=ADMIN
    )
    assert code == 0, err
    code, out, err = itp(
        ward,
        *("--user", "Dr Admin", "--password-stdin", "users", "add", "Nora", "--role", "nurse"),
        stdin=f"{ADMIN}\n{NURSE}\n",
    )
    assert code == 0 and out == "Added Nora, nurse or midwife.\n", err
    return ward


def audit(db: Path) -> list[dict[str, object]]:
    code, out, err = itp(db, "audit", "--json")
    assert code == 0, err
    entries: list[dict[str, object]] = json.loads(out)["entries"]
    return entries


def test_the_first_account_is_an_admin_made_without_signing_in(ward: Path) -> None:
    code, _, err = itp(
        ward, "--password-stdin", "users", "add", "Nora", "--role", "nurse", stdin=NURSE
    )
    assert code == 1 and "the first account must be an administrator" in err
    code, out, err = itp(
        ward, "--password-stdin", "users", "add", "Dr Admin", "--role", "admin", stdin=ADMIN
    )
    assert code == 0 and out == "Added Dr Admin, administrator.\n", err


def test_once_an_account_exists_a_command_that_writes_needs_a_sign_in(
    with_accounts: Path, tmp_path: Path
) -> None:
    lab = tmp_path / "labs.csv"
    lab.write_text("mrn,collected_at,test,value,unit\nDEMO-03,2026-11-30T08:00,PLT,27,10*9/L\n")
    code, out, err = itp(with_accounts, "import-labs", str(lab), "--yes")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "this database has accounts: sign in with --user NAME" in err
    code, out, _ = itp(with_accounts, "flags", "--json")  # reading needs none
    assert code == 0 and "DEMO-03" in out


def test_the_audit_s_user_is_the_account_whatever_the_environment_says(
    with_accounts: Path,
) -> None:
    code, _, err = itp(
        with_accounts,
        *("--user", "nora", "--password-stdin", "device", "--name", "Clinic laptop 2"),
        stdin=NURSE,
        ITP_MONITOR_USER="Dr Consultant (head of unit)",
    )
    assert code == 0, err
    newest = audit(with_accounts)[-2:]
    assert [(e["user"], e["action"]) for e in newest] == [
        ("Nora", "sign_in"),
        ("Nora", "setting"),
    ]
    assert all(e["user"] != "Dr Consultant (head of unit)" for e in audit(with_accounts))


def test_wrong_passwords_exit_1_and_five_in_a_row_lock_the_account(with_accounts: Path) -> None:
    def sign_in(password: str) -> tuple[int, str]:
        code, _, err = itp(
            with_accounts,
            *("--user", "Nora", "--password-stdin", "device", "--name", "X"),
            stdin=password,
        )
        return code, err

    for _ in range(4):
        assert sign_in("not the password") == (
            1,
            "itp-monitor device: wrong name or password; nothing was changed\n",
        )
    code, err = sign_in("not the password")
    assert code == 1 and "is locked until" in err and "5 wrong passwords in a row" in err
    code, err = sign_in(NURSE)
    assert code == 1 and "is locked until" in err
    code, out, _ = itp(with_accounts, "users", "list", "--json")
    assert {"name": "Nora", "role": "nurse", "active": True, "locked": True} in json.loads(out)
    # an admin resets the password: unlocked, the new one signs in
    code, _, err = itp(
        with_accounts,
        *("--user", "Dr Admin", "--password-stdin", "users", "reset", "Nora"),
        stdin=f"{ADMIN}\nnew-pass-123\n",
    )
    assert code == 0, err
    assert sign_in("new-pass-123")[0] == 0
    actions = [e["action"] for e in audit(with_accounts) if e["user"] == "Nora"]
    assert actions.count("sign_in_failed") == 6 and actions.count("locked_out") == 1


def test_a_nurse_cannot_manage_accounts(with_accounts: Path) -> None:
    code, out, err = itp(
        with_accounts,
        *("--user", "Nora", "--password-stdin", "users", "add", "Nina", "--role", "admin"),
        stdin=f"{NURSE}\nnina-pass-12\n",
    )
    assert code == 1 and out == ""
    assert "managing accounts needs the account of an administrator" in err
    code, out, _ = itp(with_accounts, "users", "list")
    assert "Nina" not in out


def test_without_a_terminal_or_password_stdin_it_says_how(with_accounts: Path) -> None:
    code, _, err = itp(with_accounts, "--user", "Nora", "device", "--name", "X", stdin="")
    assert code == 1
    assert "there is no terminal to ask for a password" in err and "--password-stdin" in err


def test_restoring_a_backup_needs_an_administrator_once_there_are_accounts(
    with_accounts: Path,
) -> None:
    code, out, err = itp(
        with_accounts, "--user", "Dr Admin", "--password-stdin", "backup", stdin=ADMIN
    )
    assert code == 0, err
    backup = out.splitlines()[0]
    code, _, err = itp(
        with_accounts, "--user", "Nora", "--password-stdin", "restore", backup, stdin=NURSE
    )
    assert code == 1 and "restoring a backup needs the account of an administrator" in err
    code, _, err = itp(with_accounts, "restore", backup)
    assert code == 1 and "sign in with --user NAME" in err
    code, out, err = itp(
        with_accounts, "--user", "Dr Admin", "--password-stdin", "restore", backup, stdin=ADMIN
    )
    assert code == 0, err
    restores = [e for e in audit(with_accounts) if e["action"] == "restore_backup"]
    assert [e["user"] for e in restores] == ["Dr Admin"]
