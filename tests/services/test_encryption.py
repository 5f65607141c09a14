"""Encryption at rest (issue 12): a database and its copies encrypted with no plaintext
left, opened again with its key or passphrase, refused in one line without it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from helpers import NOW, USER

from itp_monitor.bootstrap import open_services
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.encryption import EncryptRefused, KeyChoice
from itp_monitor.storage import cipher
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.failures import Failure, KeyRefused

PASSPHRASE = "violet harbour at seven"


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    return services


def markers(services: Services) -> list[bytes]:
    """What must not be readable in an encrypted file: every MRN and name."""
    found = []
    for woman in services.patients.summaries(include_archived=True):
        found += [woman.patient.mrn.encode(), woman.patient.name.encode()]
    return found


def readable(path: Path, what: list[bytes]) -> list[bytes]:
    data = path.read_bytes()
    return [m for m in what if m in data]


def files_of(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p.is_file() and p.name.startswith(path.stem)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reopened(path: Path, key: cipher.Key | None) -> Services:
    cipher.use(key)
    return build_services(Database(resolve_location(str(path))), USER, lambda: NOW)


def test_nothing_of_a_woman_is_readable_in_the_database_its_wal_or_its_backups(
    ward: Services, db_path: Path
) -> None:
    secret = markers(ward)
    backup = ward.backups.take().path
    assert any(readable(p, secret) for p in files_of(db_path))  # plain before (the WAL)
    assert readable(backup, secret)
    done = ward.encryption.encrypt(KeyChoice(cipher.Key.random(), "test"))
    assert done.copies == [backup] and not done.left
    for path in [*files_of(db_path), backup]:
        assert readable(path, secret) == [], path
    assert {p.name for p in files_of(db_path)} == {db_path.name}  # no -wal, no temp left


def test_with_its_key_the_encrypted_ward_opens_whole_and_says_who_encrypted_it(
    ward: Services, db_path: Path
) -> None:
    women = len(ward.patients.summaries(include_archived=True))
    key = cipher.Key.random()
    ward.encryption.encrypt(KeyChoice(key, "kept in the test store"))
    again = reopened(db_path, key)
    try:
        assert len(again.patients.summaries(include_archived=True)) == women
        assert again.check.full().ok
        newest = again.trail.entries()[-1]
        assert (newest.user, newest.action, newest.kind) == (USER, "setting", "database")
        assert newest.after is not None and newest.after["encrypted"] is True
        # written on after encryption, and its new backups encrypted too
        secret = markers(again)
        backup = again.backups.take().path
        assert cipher.encrypted(backup) and readable(backup, secret) == []
    finally:
        again.db.dispose()


def test_a_passphrase_opens_the_database_and_its_backups_in_a_later_process(
    ward: Services, db_path: Path
) -> None:
    old_backup = ward.backups.take().path
    ward.encryption.encrypt(KeyChoice(cipher.Key.from_text(PASSPHRASE), "a passphrase"))
    # a later start: the passphrase typed again, nothing else known
    again = reopened(db_path, cipher.Key.from_text(PASSPHRASE))
    try:
        new_backup = again.backups.take().path
        assert again.check.full().ok
    finally:
        again.db.dispose()
    for backup in (old_backup, new_backup):  # each read with the passphrase alone
        copy = reopened(backup, cipher.Key.from_text(PASSPHRASE))
        try:
            assert copy.patients.summaries(include_archived=True)
        finally:
            copy.db.dispose()


@pytest.mark.parametrize(
    "key", [None, cipher.Key.random(), cipher.Key.from_text("wrong words here")]
)
def test_without_its_key_or_with_a_wrong_one_it_is_refused_and_unchanged(
    ward: Services, db_path: Path, key: cipher.Key | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ward.encryption.encrypt(KeyChoice(cipher.Key.random(), "test"))
    cipher.use(None)
    monkeypatch.delenv(cipher.ENV_VAR, raising=False)
    if key is not None:
        monkeypatch.setenv(cipher.ENV_VAR, key.as_text() if key.raw else "wrong words here")
    unchanged = digest(db_path)
    with pytest.raises(KeyRefused) as refused:
        open_services(str(db_path))
    assert refused.value.failure is (Failure.NO_KEY if key is None else Failure.WRONG_KEY)
    assert str(db_path) in str(refused.value)
    assert digest(db_path) == unchanged
    assert {p.name for p in files_of(db_path)} == {db_path.name}


def test_it_is_refused_while_another_program_has_the_database_open(
    ward: Services, db_path: Path
) -> None:
    other = Database(resolve_location(str(db_path)))  # the app, open elsewhere
    try:
        with other.engine.connect() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM patients")
            unchanged = digest(db_path)
            with pytest.raises(EncryptRefused, match="open in another program"):
                ward.encryption.encrypt(KeyChoice(cipher.Key.random(), "test"))
            assert not cipher.encrypted(db_path) and digest(db_path) == unchanged
    finally:
        other.dispose()


def test_a_program_that_still_held_the_plain_file_cannot_save_into_it_unseen(
    ward: Services, db_path: Path
) -> None:
    """The plain file is emptied before it is let go: a connection opened on it before
    fails instead of saving where nobody would look again."""
    import sqlite3

    ward.db.dispose()
    held = sqlite3.connect(db_path)  # the file opened, nothing read yet
    ward.encryption.encrypt(KeyChoice(cipher.Key.random(), "test"))
    with pytest.raises(sqlite3.DatabaseError):
        held.execute("INSERT INTO patients (mrn) VALUES ('LATE-1')")
    held.close()


def test_the_copy_kept_before_an_upgrade_of_an_encrypted_database_is_encrypted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from itp_monitor.storage.migrate import upgrade

    plain = tmp_path / "older.sqlite"
    older = Database(resolve_location(str(plain)))
    upgrade(older, "0006_sync")
    older.dispose()
    key = cipher.Key.random()
    cipher.use(key)
    path = tmp_path / "ward.sqlite"
    cipher.copy_file(plain, path)  # an encrypted database of an earlier version
    assert cipher.encrypted(path)
    cipher.use(None)  # a later start, with the key from the environment
    monkeypatch.setenv(cipher.ENV_VAR, key.as_text())
    open_services(str(path)).db.dispose()
    [kept] = tmp_path.glob("ward.before-upgrade-from-*")
    assert cipher.encrypted(kept)


def test_a_new_database_is_encrypted_when_the_environment_gives_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cipher.ENV_VAR, PASSPHRASE)
    path = tmp_path / "new.sqlite"
    services = open_services(str(path))
    try:
        services.demo.load()
    finally:
        services.db.dispose()
    assert cipher.encrypted(path)
    assert readable(path, [b"DEMO-01", b"Amelia Hart"]) == []


def test_a_sync_file_made_by_an_encrypted_laptop_is_encrypted_and_syncs_back(
    ward: Services, db_path: Path, tmp_path: Path
) -> None:
    key = cipher.Key.from_text(PASSPHRASE)
    ward.encryption.encrypt(KeyChoice(key, "a passphrase"))
    secret = markers(ward)
    carry = tmp_path / "usb" / "ward-carry.sqlite"
    carry.parent.mkdir()
    ward.sync.sync(str(carry))  # the USB stick's file, made by this sync
    assert cipher.encrypted(carry)
    for path in files_of(carry):
        assert readable(path, secret) == [], path
    # at the ward, with the same passphrase: the stick's file opens and syncs
    other = reopened(carry, cipher.Key.from_text(PASSPHRASE))
    try:
        assert len(other.patients.summaries(include_archived=True)) == len(secret) // 2
    finally:
        other.db.dispose()


def test_a_damaged_encrypted_database_is_restored_from_its_encrypted_backup(
    ward: Services, db_path: Path
) -> None:
    from itp_monitor.services.restore import restore

    key = cipher.Key.random()
    ward.encryption.encrypt(KeyChoice(key, "test"))
    backup = ward.backups.take().path
    women = len(ward.patients.summaries(include_archived=True))
    ward.db.dispose()
    with db_path.open("r+b") as file:  # its first page damaged
        file.seek(200)
        file.write(b"\xff" * 8)
    with pytest.raises(KeyRefused, match="or the file is damaged"):
        open_services(str(db_path))
    done = restore(db_path, backup, user=USER, clock=lambda: NOW)
    assert done.moved and done.set_aside is not None
    again = reopened(db_path, key)
    try:
        assert len(again.patients.summaries(include_archived=True)) == women
        assert again.check.full().ok
    finally:
        again.db.dispose()
