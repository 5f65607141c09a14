"""Shared fixtures: a migrated template database copied per test, a fixed clock, services.

`db` is an SQLite copy unless a test asks for both databases (`postgres.on_both_databases`):
then it is also a fresh PostgreSQL database, made from a migrated template on a server
the run starts once (tests/postgres.py)."""

from __future__ import annotations

import os

# Before anything imports Qt: the suite runs on machines with no screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import itertools
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import postgres
import pytest
from helpers import NOW, USER

from itp_monitor.domain.records import PatientDetails
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.results import PatientInfo
from itp_monitor.storage import cipher
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate

# No test reaches the credential store of the account running it: none, unless a test
# asks for one (`credential_store`); commands the tests run inherit this.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
FILE_KEYRING = "keyrings.alt.file.PlaintextKeyring"


@pytest.fixture(autouse=True)
def no_key_in_use() -> Iterator[None]:
    """Each test starts with no encryption key in use (storage/cipher.py)."""
    cipher.use(None)
    yield
    cipher.use(None)


@pytest.fixture
def credential_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A credential store for this test alone: a file in its own folder (keyrings.alt),
    used in this process and by the commands it runs. Yields that folder."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    folder = tmp_path / "credential-store"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", FILE_KEYRING)
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    before = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    yield folder
    keyring.set_keyring(before)


@pytest.fixture(scope="session", autouse=True)
def own_data_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's data folder (default database, the last-resort log) for the whole run:
    no test, and no command a test runs, writes to the real one."""
    folder = tmp_path_factory.mktemp("xdg-data")
    before = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(folder)
    yield folder
    if before is None:
        del os.environ["XDG_DATA_HOME"]
    else:
        os.environ["XDG_DATA_HOME"] = before


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated to the newest schema; tests get copies of it."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    db = Database(resolve_location(str(path)))
    migrate(db)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ward.sqlite"
    shutil.copy(template_db, path)
    return path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.Server]:
    """A PostgreSQL server for the whole run, started on first use."""
    reason = postgres.why_not()
    if reason is not None:
        postgres.unavailable(reason)
    with postgres.running_server() as server:
        yield server


@pytest.fixture(scope="session")
def pg_template(pg_server: postgres.Server) -> str:
    """A PostgreSQL database migrated to the newest schema; tests get copies of it."""
    pg_server.admin("CREATE DATABASE itp_template")
    db = Database(resolve_location(pg_server.url("itp_template")))
    migrate(db)
    db.dispose()  # a template must have no connections when it is copied
    return "itp_template"


_pg_names = itertools.count(1)


@pytest.fixture
def pg_url(pg_server: postgres.Server, pg_template: str) -> Iterator[str]:
    """The URL of a new PostgreSQL database at the newest schema, dropped after the test."""
    name = f"ward_{next(_pg_names)}"
    pg_server.admin(f"CREATE DATABASE {name} TEMPLATE {pg_template} STRATEGY FILE_COPY")
    yield pg_server.url(name)
    pg_server.admin(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Which database `db` is: 'sqlite', unless the test is parametrized over both."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def db(backend: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    if backend == "postgresql":
        location = resolve_location(request.getfixturevalue("pg_url"))
    else:
        location = resolve_location(str(request.getfixturevalue("db_path")))
    database = Database(location)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> datetime:
    return NOW


@pytest.fixture
def services(db: Database) -> Services:
    return build_services(db, user=USER, clock=lambda: NOW)


@pytest.fixture
def patient(services: Services) -> PatientInfo:
    return services.patients.add(
        PatientDetails(
            mrn="A1001",
            name="Jane Doe",
            edd=date(2027, 1, 10),
            date_of_birth=date(1993, 4, 2),
            weight_kg=68.0,
        )
    )


@pytest.fixture
def elsewhere(db: Database) -> Iterator[Services]:
    """Another workstation: its own connections to the same database. What it saves
    reaches this one's screens through the watch, as a colleague's save would."""
    other = build_services(Database(db.location), user="nurse.elsewhere", clock=lambda: NOW)
    yield other
    other.db.dispose()
