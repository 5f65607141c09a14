"""A throwaway PostgreSQL server for the tests: started in a temporary folder, stopped after.

The server is Debian's `postgresql` package (the Makefile's test target installs it
when it can: as root, with apt-get). Its programs (initdb, pg_ctl) are found on the
PATH or under /usr/lib/postgresql/VERSION/bin. As root, the server runs as the
`postgres` user (PostgreSQL refuses to run as root), in a folder that user owns. It
listens only on a Unix socket in that folder, with fsync off: it holds nothing that
must survive a power cut.

Where no server can be started the PostgreSQL tests skip and say why, except where
$ITP_MONITOR_REQUIRE_POSTGRES is set (`.ci/run` sets it): there a missing server is a
failure, so CI never passes without having run them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REQUIRED_VAR = "ITP_MONITOR_REQUIRE_POSTGRES"
DRIVER = "postgresql+psycopg"
SUPERUSER = "postgres"

# Tests that run on both databases: `@on_both_databases` on a test (or `pytestmark`) makes
# the `db` fixture (and those built on it) give an SQLite copy, then a PostgreSQL one.
on_both_databases = pytest.mark.parametrize(
    "backend",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
    indirect=True,
)


def required() -> bool:
    return os.environ.get(REQUIRED_VAR, "") not in ("", "0")


def unavailable(reason: str) -> None:
    """Skips the test, or fails it where the PostgreSQL tests must run."""
    if required():
        pytest.fail(f"${REQUIRED_VAR} is set but {reason}", pytrace=False)
    pytest.skip(reason)


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: the PATH's, else Debian's newest."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def why_not() -> str | None:
    """Why a server cannot be started here, or None."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed (pip install '.[test]')"
    if binaries() is None:
        return (
            "PostgreSQL's server programs (initdb, pg_ctl) are not installed: "
            "as root, `apt-get install postgresql` (Debian), or put them on the PATH"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return "running as root, but there is no 'postgres' user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root, but runuser is missing to start the server as 'postgres'"
    return None


@dataclass(frozen=True)
class Server:
    folder: Path  # holds the data folder, the log and the socket

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of a database on this server, over its Unix socket."""
        return f"{DRIVER}://{SUPERUSER}@/{database}?host={self.folder}"

    def admin(self, *statements: str) -> None:
        """Runs statements outside a transaction (CREATE/DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(
            host=str(self.folder), user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            for statement in statements:
                connection.execute(statement)  # type: ignore[arg-type]


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SUPERUSER, "--", *command] if os.geteuid() == 0 else command


@contextmanager
def running_server() -> Iterator[Server]:
    """Starts a server in a new temporary folder; stops it and removes the folder after."""
    bin_dir = binaries()
    assert bin_dir is not None
    # Not under pytest's basetemp: that is private to the user running the tests (0700),
    # and the server, as 'postgres', must reach its own folder. Short, too: a Unix
    # socket's path is limited to about 100 bytes.
    folder = Path(tempfile.mkdtemp(prefix="itp-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, SUPERUSER, SUPERUSER)
    data = folder / "data"
    log = folder / "server.log"

    def run(*command: str) -> None:
        done = subprocess.run(
            _as_server_user(list(command)), capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}):\n"
                f"{done.stdout}\n{done.stderr}\n{server_log}"
            )

    started = False
    try:
        run(
            str(bin_dir / "initdb"),
            "--pgdata", str(data),
            "--auth=trust",
            f"--username={SUPERUSER}",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )  # fmt: skip
        options = (
            f"-k {folder} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=60"
        )
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start")
        started = True
        yield Server(folder)
    finally:
        if started:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
