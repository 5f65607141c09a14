"""Which database is opened (--db, then $ITP_MONITOR_DB, then the data folder) and what is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from itp_monitor.storage.database import ENV_VAR, Database, resolve_location
from itp_monitor.storage.failures import Failure, NoDatabase, StorageFailure


def test_the_default_is_an_sqlite_file_in_the_users_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    location = resolve_location(None, environ={})
    assert location.path == tmp_path / "itp-monitor" / "itp-monitor.sqlite"
    assert location.url == f"sqlite:///{location.path}"


def test_the_environment_variable_overrides_the_default(tmp_path: Path) -> None:
    location = resolve_location(None, environ={ENV_VAR: str(tmp_path / "ward.sqlite")})
    assert location.path == tmp_path / "ward.sqlite"


def test_the_option_overrides_the_environment_variable(tmp_path: Path) -> None:
    location = resolve_location(
        str(tmp_path / "a.sqlite"), environ={ENV_VAR: str(tmp_path / "b.sqlite")}
    )
    assert location.path == tmp_path / "a.sqlite"


def test_a_relative_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_location("ward.sqlite", environ={}).path == tmp_path / "ward.sqlite"


def test_anything_with_a_scheme_is_a_sqlalchemy_url() -> None:
    location = resolve_location("postgresql+psycopg://ward:secret@db.local/itp", environ={})
    assert location.path is None
    assert location.url == "postgresql+psycopg://ward:secret@db.local/itp"
    assert "secret" not in location.describe()


def test_a_database_opened_read_only_says_so_where_it_is_named(tmp_path: Path) -> None:
    location = resolve_location(str(tmp_path / "ward.sqlite"), environ={}).reading_only()
    assert location.describe() == f"{tmp_path / 'ward.sqlite'} (read-only)"  # the window title
    assert location.name() == str(tmp_path / "ward.sqlite")  # in messages about the file


def test_a_folder_is_no_database_and_nothing_is_made_in_it(tmp_path: Path) -> None:
    with pytest.raises(StorageFailure) as refused:
        Database(resolve_location(str(tmp_path), environ={}))
    assert refused.value.failure is Failure.FOLDER
    assert str(refused.value) == f"this is a folder, not a database file ({tmp_path})"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("how", ["may not create", "read-only"])
def test_no_database_is_created_when_it_may_not_be(tmp_path: Path, how: str) -> None:
    location = resolve_location(str(tmp_path / "new" / "ward.sqlite"), environ={})
    with pytest.raises(NoDatabase):
        if how == "read-only":
            Database(location.reading_only())
        else:
            Database(location, create=False)
    assert not (tmp_path / "new").exists()


def test_a_new_database_gets_its_folders(tmp_path: Path) -> None:
    location = resolve_location(str(tmp_path / "a" / "b" / "ward.sqlite"), environ={})
    Database(location).dispose()
    assert (tmp_path / "a" / "b").is_dir()
