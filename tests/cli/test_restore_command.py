"""`itp-monitor restore BACKUP` as a ward's IT person runs it: the backup back in place
(an export of the ward byte-identical to one made when it was taken), the database as it
was kept beside it, the restore in the audit trail; a damaged backup refused in one line
with nothing changed; a server's database sent to its server's tools."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from helpers import run_from_source
from services.test_restore import _damaged_copy, change_everything

from itp_monitor.services.container import Services


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    return services


def itp(db: Path, *args: str) -> tuple[int, str, str]:
    done = run_from_source("--db", str(db), *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


def test_a_backup_restored_from_the_command_line_gives_back_the_ward_as_it_was(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    ward.db.dispose()
    code, out, _ = itp(db_path, "backup")
    assert code == 0
    backup = Path(out.strip())
    assert itp(db_path, "export", str(tmp_path / "then.json"))[0] == 0
    change_everything(ward, tmp_path)
    ward.db.dispose()
    assert itp(db_path, "export", str(tmp_path / "changed.json"))[0] == 0
    assert (tmp_path / "changed.json").read_bytes() != (tmp_path / "then.json").read_bytes()

    code, out, err = itp(db_path, "restore", str(backup))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"Restored {backup} (taken ")
    assert lines[0].endswith(f": 13 women, 206 records) into {db_path}.")
    set_aside = Path(lines[1].removeprefix("The database as it was is kept at ").rstrip("."))
    assert set_aside.parent == db_path.parent and set_aside.exists()
    assert len(lines) == 2

    assert itp(db_path, "export", str(tmp_path / "now.json"))[0] == 0
    assert (tmp_path / "now.json").read_bytes() == (tmp_path / "then.json").read_bytes()
    code, out, _ = itp(db_path, "check")
    assert code == 0, out
    code, out, _ = itp(db_path, "audit")
    assert "restore_backup database" in out.splitlines()[-2]
    assert f'"backup": "{backup.name}", "set_aside": "{set_aside.name}"' in out.splitlines()[-1]
    # the database as it was is still a database, with the changes made after the backup
    assert itp(set_aside, "export", str(tmp_path / "aside.json"))[0] == 0
    assert (tmp_path / "aside.json").read_bytes() == (tmp_path / "changed.json").read_bytes()


def test_a_damaged_backup_is_refused_in_one_line_and_nothing_changes(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    backup = ward.backups.take().path
    ward.db.dispose()
    usb = tmp_path / "usb"
    usb.mkdir()
    broken = _damaged_copy(backup, usb)
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    files = sorted(p.name for p in db_path.parent.iterdir())
    code, out, err = itp(db_path, "restore", str(broken))
    assert code == 1 and out == ""
    assert err.startswith(f"itp-monitor restore: the backup {broken} is damaged")
    assert err.endswith("; nothing was changed\n") and err.count("\n") == 1
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == files


def test_a_backup_that_is_not_there_is_said_so(db_path: Path, tmp_path: Path) -> None:
    code, _, err = itp(db_path, "restore", str(tmp_path / "nothing.sqlite"))
    assert code == 1
    assert err == (
        f"itp-monitor restore: there is no backup at {tmp_path / 'nothing.sqlite'}; "
        "nothing was changed\n"
    )


def test_a_servers_database_is_restored_by_its_server(tmp_path: Path) -> None:
    done = run_from_source(
        "--db", "postgresql+psycopg://nurse@ward-db/itp", "restore", str(tmp_path / "b.sqlite")
    )
    assert done.returncode == 1
    assert done.stderr == (
        "itp-monitor restore: postgresql+psycopg://nurse@ward-db/itp is a server's database: "
        "restore it there with pg_restore (README: a ward's shared PostgreSQL server); "
        "nothing was changed\n"
    )


def test_a_backup_of_another_database_is_refused_unless_asked_for(tmp_path: Path) -> None:
    """The ward's backup put on a laptop would make the laptop a second copy of the ward
    (same identity, same device): refused, unless the command says it is meant."""
    ward, laptop = tmp_path / "ward.sqlite", tmp_path / "laptop.sqlite"
    for database in (ward, laptop):
        ran = run_from_source("--db", str(database), "demo")
        assert ran.returncode == 0, ran.stderr
    ran = run_from_source("--db", str(ward), "backup", str(tmp_path / "ward-backups"))
    backup = Path(ran.stdout.strip())
    before = hashlib.sha256(laptop.read_bytes()).hexdigest()
    refused = run_from_source("--db", str(laptop), "restore", str(backup))
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert f"{backup.name} is a backup of another database" in refused.stderr
    assert "--other-database" in refused.stderr and "nothing was changed" in refused.stderr
    assert hashlib.sha256(laptop.read_bytes()).hexdigest() == before
    meant = run_from_source("--db", str(laptop), "restore", str(backup), "--other-database")
    assert meant.returncode == 0, meant.stderr
    assert run_from_source("--db", str(laptop), "check").returncode == 0
