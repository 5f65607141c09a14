"""Which database is opened: --db, then $ITP_MONITOR_DB, then a file in the user's data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from itp_monitor.storage.database import ENV_VAR, resolve_location


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
