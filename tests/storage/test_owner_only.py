"""Files only their owner can read (issue 12, first part): another account on a clinic
laptop must not copy the database, its WAL, a backup or an export. Checked as an
administrator would, with the permission bits of each file a command leaves."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from helpers import run_from_source

from itp_monitor.services.container import build_services
from itp_monitor.storage.database import Database, default_path, resolve_location
from itp_monitor.storage.migrate import migrate

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def as_before() -> Iterator[None]:
    """This process makes files as the app did before the rule: readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def own_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of the app's own, empty, for this test."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return default_path().parent


def _made_before_the_rule(folder: Path) -> Path:
    """A database as an earlier version left it: 0644 files in a 0755 folder, with a WAL."""
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    database = folder / "itp-monitor.sqlite"
    db = Database(resolve_location(str(database)))  # as before: no tightening at open
    migrate(db)
    build_services(db).demo.load()
    db.dispose()
    with closing(sqlite3.connect(database)) as raw:  # holds the WAL open while it is set
        raw.execute("PRAGMA journal_mode=WAL")
        for path in folder.iterdir():
            path.chmod(0o644)
        folder.chmod(0o755)
    return database


def _entries(database: Path) -> list[dict[str, object]]:
    ran = run_from_source("--db", str(database), "audit", "--json")
    assert ran.returncode == 0, ran.stderr
    return [e for e in json.loads(ran.stdout)["entries"] if e["kind"] == "database"]


def test_a_database_made_before_is_made_owner_only_when_opened_and_that_is_audited(
    own_folder: Path, as_before: None
) -> None:
    database = _made_before_the_rule(own_folder)
    assert mode(database) == 0o644 and mode(own_folder) == 0o755
    ran = run_from_source("flags")  # any command on the default database
    assert ran.returncode == 0, ran.stderr
    assert mode(database) == 0o600
    assert mode(own_folder) == 0o700
    wal = database.with_name(database.name + "-wal")
    assert not wal.exists() or mode(wal) == 0o600
    (entry,) = _entries(database)
    assert entry["action"] == "setting"
    assert entry["before"]["itp-monitor.sqlite"] == "0644"  # type: ignore[index]
    assert entry["after"]["itp-monitor.sqlite"] == "0600"  # type: ignore[index]
    assert "owner only" in str(entry["reason"])
    run_from_source("flags")  # once made so, nothing more to say
    assert len(_entries(database)) == 1


def test_a_folder_the_user_chose_is_left_as_it_is(tmp_path: Path, as_before: None) -> None:
    chosen = tmp_path / "shared"
    database = _made_before_the_rule(chosen)
    ran = run_from_source("--db", str(database), "flags")
    assert ran.returncode == 0, ran.stderr
    assert mode(database) == 0o600
    assert mode(chosen) == 0o755  # theirs, not the app's


def test_everything_a_command_writes_is_owner_only(tmp_path: Path, as_before: None) -> None:
    """Run with a umask that would make files readable by all (022): the database, its
    WAL, a backup, an export, a CSV, a PDF and a sync file are each its owner's only."""
    database = tmp_path / "ward.sqlite"
    for args in (
        ("demo",),
        ("backup", str(tmp_path / "backups")),
        ("export", str(tmp_path / "ward.json")),
        ("export-csv", str(tmp_path / "ward.csv")),
        ("report", str(tmp_path / "ward.pdf"), "--ward"),
        ("sync", str(tmp_path / "stick" / "carry.sqlite")),  # a file for a USB stick
    ):
        ran = run_from_source("--db", str(database), *args)
        assert ran.returncode == 0, ran.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.suffix for p in written} >= {".sqlite", ".json", ".csv", ".pdf"}
    loose = {str(p.relative_to(tmp_path)): oct(mode(p)) for p in written if mode(p) & 0o077}
    assert not loose
    backups = tmp_path / "backups"
    assert mode(backups) == 0o700


def test_an_encrypted_database_its_backups_and_accounts_stay_owner_only(
    tmp_path: Path, as_before: None
) -> None:
    """Encrypting replaces the database and its backups with new files; adding an account
    writes into it: each is still its owner's only."""
    database = tmp_path / "ward.sqlite"
    key = {"ITP_MONITOR_KEY": "violet harbour at seven"}
    for args, env, stdin in (
        (("demo",), {}, None),
        (("backup", str(tmp_path / "backups")), {}, None),
        (("encrypt",), key, None),
        (("--password-stdin", "users", "add", "Dr Admin", "--role", "admin"), key, "admin-pass-1"),
    ):
        ran = run_from_source("--db", str(database), *args, env=env, stdin=stdin)
        assert ran.returncode == 0, ran.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) >= 2
    loose = {str(p.relative_to(tmp_path)): oct(mode(p)) for p in written if mode(p) & 0o077}
    assert not loose
