"""Backups as a ward relies on them: an online copy, checked before it counts, kept by the
rule over months of a simulated calendar, refused (with nothing left behind) when the
database is damaged, and the command line's contract (the path alone on stdout)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import NOW, run_from_source

from itp_monitor.bootstrap import open_services
from itp_monitor.services.backups import (
    KEEP_DAILY,
    KEEP_EVERY,
    KEEP_WEEKLY,
    BackupFailed,
    BackupRefused,
    listed,
    to_keep,
)
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.errors import StorageFailure
from itp_monitor.storage.database import Database, resolve_location

TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        names = [n for (n,) in connection.execute(TABLES)]
        return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    return services


def test_a_backup_holds_every_row_and_passes_sqlites_check(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    taken = ward.backups.take(tmp_path / "usb")
    assert taken.path.parent == tmp_path / "usb" and taken.path.exists()
    assert taken.size == taken.path.stat().st_size > 0
    with sqlite3.connect(taken.path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert _counts(taken.path) == _counts(db_path)
    assert _counts(db_path)["audit_entries"] > 0
    assert [b.path for b in ward.backups.backups(tmp_path / "usb")] == [taken.path]
    assert not list((tmp_path / "usb").glob("*.partial"))


def test_by_default_backups_go_beside_the_database(ward: Services, db_path: Path) -> None:
    taken = ward.backups.take()
    assert taken.path.parent == db_path.parent / "backups"
    again = ward.backups.take()  # the same second: both kept, under two names
    assert again.path != taken.path
    assert len(ward.backups.backups()) == 2


def test_a_damaged_database_is_not_backed_up_and_nothing_is_left_behind(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    ward.db.dispose()
    with sqlite3.connect(db_path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
    with db_path.open("r+b") as file:  # overwrite a page in the middle with rubbish
        file.seek(page * (pages // 2))
        file.write(b"\xa5" * page)
    with pytest.raises((BackupFailed, StorageFailure), match=r"damaged|integrity check"):
        ward.backups.take(tmp_path / "backups")
    assert list((tmp_path / "backups").iterdir()) == []


def test_a_database_in_memory_is_refused() -> None:
    memory = build_services(Database(resolve_location("sqlite://")), "nurse.test", lambda: NOW)
    with pytest.raises(BackupRefused, match="in memory"):
        memory.backups.take()


def _every_six_hours(days: int, end: datetime) -> list[datetime]:
    return [end - timedelta(hours=6 * n) for n in range(days * 4)]


def test_the_rule_keeps_two_days_whole_then_a_day_a_week_and_a_month() -> None:
    now = datetime(2026, 12, 1, 12, 0)
    taken = _every_six_hours(400, now)
    kept = to_keep(taken, now)
    recent = [t for t in taken if now - t <= KEEP_EVERY]
    assert set(recent) <= kept  # everything of the last 48 hours
    daily = [t for t in kept if KEEP_EVERY < now - t <= KEEP_DAILY]
    assert len({t.date() for t in daily}) == len(daily)  # one a day
    assert 27 <= len(daily) <= 29
    weekly = [t for t in kept if KEEP_DAILY < now - t <= KEEP_WEEKLY]
    assert len({t.isocalendar()[:2] for t in weekly}) == len(weekly)  # one a week
    assert 21 <= len(weekly) <= 23
    monthly = [t for t in kept if now - t > KEEP_WEEKLY]
    assert len({(t.year, t.month) for t in monthly}) == len(monthly)  # one a month
    assert 7 <= len(monthly) <= 9
    assert max(taken) in kept


def test_pruned_day_by_day_for_a_year_the_ward_keeps_what_the_rule_says(tmp_path: Path) -> None:
    """Backups taken every six hours and pruned as they are taken, as the app does: at
    the end, the folder holds what the rule keeps of everything ever taken."""
    from itp_monitor.services.backups import BackupService

    folder = tmp_path / "backups"
    folder.mkdir()
    start = datetime(2026, 1, 1, 0, 0)
    ever: list[datetime] = []
    for n in range(365 * 4):
        at = start + timedelta(hours=6 * n)
        (folder / f"ward-backup-{at:%Y%m%dT%H%M%S}.sqlite").write_bytes(b"")
        ever.append(at)
        BackupService.prune(folder, "ward", at)
    now = ever[-1]
    held = sorted(b.taken_at for b in listed(folder, "ward"))
    assert to_keep(held, now) == set(held)  # pruning again removes nothing
    assert [t for t in ever if now - t <= KEEP_EVERY] == [t for t in held if now - t <= KEEP_EVERY]
    # no gap: every day of the last month, every week of six months, every month before
    days = {t.date() for t in held}
    assert all((now - timedelta(days=d)).date() in days for d in range(30))
    weeks = {t.isocalendar()[:2] for t in held}
    assert all((now - timedelta(weeks=w)).isocalendar()[:2] in weeks for w in range(26))
    months = {(t.year, t.month) for t in held}
    assert months == {(t.year, t.month) for t in ever}
    assert len(held) < 80  # a year in under eighty files


def test_the_command_prints_the_backups_path_alone(ward: Services, db_path: Path) -> None:
    ward.db.dispose()
    done = run_from_source("--db", str(db_path), "backup", str(db_path.parent / "usb"))
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.parent == db_path.parent / "usb" and path.exists()
    assert _counts(path) == _counts(db_path)


def test_the_command_refuses_in_one_line_when_the_folder_cannot_be_made(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    ward.db.dispose()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run_from_source("--db", str(db_path), "backup", str(blocker / "backups"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


# --- the second folder: a USB disk or a network share, this device's own ----------------


def test_each_backup_is_a_plain_owner_only_file_with_nothing_left_beside_it(
    ward: Services, db_path: Path
) -> None:
    """Checked and later read on a USB disk or a read-only share, a backup must need no
    -wal or -shm file: it is kept in SQLite's rollback-journal mode."""
    taken = ward.backups.take()
    assert sorted(p.name for p in taken.path.parent.iterdir()) == [taken.path.name]
    with sqlite3.connect(f"file:{taken.path}?mode=ro", uri=True) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert taken.path.stat().st_mode & 0o777 == 0o600
    assert (db_path.parent / "backups").stat().st_mode & 0o777 == 0o700


def test_with_a_second_folder_set_each_round_takes_two_verified_backups(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    assert ward.backups.second_folder() is None
    ward.backups.set_second_folder(usb)
    assert ward.backups.second_folder() == usb
    done = ward.backups.take_all()
    assert done.complete and done.missed == ()
    first, second = done.taken
    assert first.path.parent == db_path.parent / "backups"
    assert second.path.parent == usb
    for taken in done.taken:
        assert _counts(taken.path) == _counts(db_path)
    assert [b.path for b in ward.backups.all_backups()] == [first.path, second.path]


def test_the_second_folder_is_this_devices_and_seen_by_every_program_on_it(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    ward.backups.set_second_folder(tmp_path / "usb")
    elsewhere = build_services(Database(resolve_location(str(db_path))), "nurse.other")
    try:
        assert elsewhere.backups.second_folder() == tmp_path / "usb"
        elsewhere.backups.set_second_folder(None)
        assert ward.backups.second_folder() is None
    finally:
        elsewhere.db.dispose()
    laptop = tmp_path / "laptop.sqlite"
    ward.backups.set_second_folder(tmp_path / "usb")
    ward.sync.sync(str(laptop))  # the preference travels, but it is the ward's device's
    other = build_services(Database(resolve_location(str(laptop))), "nurse.laptop")
    try:
        assert other.backups.second_folder() is None
    finally:
        other.db.dispose()


def test_a_second_folder_must_be_a_full_path_and_not_backups_itself(
    ward: Services, db_path: Path
) -> None:
    with pytest.raises(ValueError, match="not a full path"):
        ward.backups.set_second_folder(Path("usb/backups"))
    with pytest.raises(ValueError, match="where backups go already"):
        ward.backups.set_second_folder(db_path.parent / "backups")
    assert ward.backups.second_folder() is None


def test_an_unplugged_second_folder_never_stops_the_first_backup_and_is_said(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    usb = tmp_path / "media" / "USB-DISK"
    usb.mkdir(parents=True)
    ward.backups.set_second_folder(usb)
    usb.rmdir()  # unplugged: its mount point gone
    done = ward.backups.take_all()
    assert [b.path.parent for b in done.taken] == [db_path.parent / "backups"]
    assert _counts(done.taken[0].path) == _counts(db_path)
    assert not done.complete
    (missed,) = done.missed
    assert missed.folder == usb
    assert missed.why == (
        f"cannot write a backup to {usb}: the folder is not there "
        "(a USB disk unplugged, a network share not connected?)"
    )
    assert not usb.exists()  # never made on this computer's own disk


def test_a_second_folder_that_is_a_file_now_is_said_as_the_folders_problem(
    ward: Services, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    ward.backups.set_second_folder(share)
    share.rmdir()
    share.write_text("a file where the folder was")
    done = ward.backups.take_all()
    assert len(done.taken) == 1
    assert done.missed[0].why.startswith(f"cannot write a backup to {share}: ")


def test_the_command_backs_up_into_both_folders_one_path_a_line(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    ward.backups.set_second_folder(usb)
    ward.db.dispose()
    done = run_from_source("--db", str(db_path), "backup")
    assert done.returncode == 0, done.stderr
    first, second = (Path(line) for line in done.stdout.splitlines())
    assert first.parent == db_path.parent / "backups" and second.parent == usb
    assert _counts(first) == _counts(second) == _counts(db_path)
    assert done.stderr == ""
    # with DIR, only DIR
    done = run_from_source("--db", str(db_path), "backup", str(tmp_path / "elsewhere"))
    assert [Path(p).parent for p in done.stdout.splitlines()] == [tmp_path / "elsewhere"]


def test_the_command_says_an_unplugged_second_folder_and_exits_1_with_the_first_taken(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    ward.backups.set_second_folder(usb)
    usb.rmdir()
    ward.db.dispose()
    done = run_from_source("--db", str(db_path), "backup")
    assert done.returncode == 1
    (first,) = (Path(line) for line in done.stdout.splitlines())
    assert first.parent == db_path.parent / "backups" and first.exists()
    assert done.stderr == (
        f"itp-monitor backup: cannot write a backup to {usb}: the folder is not there "
        "(a USB disk unplugged, a network share not connected?)\n"
    )


def test_two_computers_sharing_a_folder_keep_each_others_backups(tmp_path: Path) -> None:
    """Two wards' databases of the same file name back up into one network share: each
    prunes only its own backups by the rule, never the other's."""
    share = tmp_path / "share"

    def computer(name: str) -> Services:
        path = tmp_path / name / "itp-monitor.sqlite"
        services = build_services(open_services(str(path)).db, name)
        services.demo.load()
        return services

    a, b = computer("a"), computer("b")
    day = datetime(2026, 10, 1)
    a.backups.clock = lambda: day.replace(hour=12)
    a.backups.take(share)
    b.backups.clock = lambda: day.replace(hour=15)
    kept_b = b.backups.take(share)
    a.backups.clock = lambda: day.replace(hour=18)
    a.backups.take(share)
    a.backups.clock = lambda: day + timedelta(days=9)  # the 1st is now one day of many
    a.backups.take(share)
    assert kept_b.path.exists()  # the newest of that day was A's, but B's is not A's to prune
    names = sorted(p.name for p in share.iterdir())
    assert len(names) == 3, names  # A: the newest of the 1st and the new one; B: its own
    for services in (a, b):
        services.db.dispose()
