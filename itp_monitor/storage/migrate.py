"""Brings a database to the app's schema on start: create, back up and upgrade, or refuse.

Alembic is imported only when there is something to do: a database already at
the newest revision opens without it, which keeps the app's start quick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from itp_monitor.packaged import data_dir
from itp_monitor.storage import sqlite
from itp_monitor.storage.database import Database
from itp_monitor.storage.failures import NoDatabase

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Connection

# The newest revision in migrations/versions; a test keeps it equal to Alembic's head.
HEAD_REVISION = "0008_accounts"


class SchemaError(RuntimeError):
    """The database cannot be used by this version of the app; it was left as it was."""


class DatabaseTooNew(SchemaError):
    pass


class NotAnItpDatabase(SchemaError):
    pass


class ReadOnlyNeedsSetUp(SchemaError):
    """An empty or older database opened read-only: it cannot be set up or upgraded."""


@dataclass(frozen=True)
class MigrationOutcome:
    before: str | None  # None: the database was new
    after: str
    backup: Path | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def stored_revisions(db: Database) -> tuple[str, ...] | None:
    """The revisions recorded in the database; None if it has no tables at all."""
    with db.engine.connect() as connection:
        inspector = inspect(connection)
        if not inspector.has_table("alembic_version"):
            tables = inspector.get_table_names()
            if tables:
                raise NotAnItpDatabase(
                    f"{db.location.describe()} is not an ITP Monitor database "
                    f"(it has tables {', '.join(sorted(tables)[:5])} but no schema version). "
                    "Nothing was changed."
                )
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version"))
        return tuple(sorted(rows.scalars()))


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic set up in code: no .ini file is needed at run time."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(data_dir("migrations")))
    config.set_main_option("file_template", "%%(rev)s")  # ids already carry their slug
    config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def upgrade(db: Database, revision: str = "head") -> None:
    """Runs the migration scripts up to `revision` in one write transaction."""
    from alembic import command

    if db.is_sqlite:
        with sqlite.migration_connection(db.engine) as connection:
            command.upgrade(alembic_config(connection), revision)
            connection.commit()
    else:
        # Under the write lock (storage/postgresql.py), as on SQLite: a second copy of the
        # app starting at the same moment waits, then finds the scripts already run.
        with db.engine.execution_options(**{sqlite.WRITE_OPTION: True}).connect() as connection:
            command.upgrade(alembic_config(connection), revision)
            connection.commit()


def backup_path(db: Database, revision: str, now: datetime) -> Path | None:
    if db.location.path is None:
        return None
    stamp = now.strftime("%Y%m%dT%H%M%S")
    path = db.location.path
    return path.with_name(f"{path.stem}.before-upgrade-from-{revision}-{stamp}{path.suffix}")


def migrate(
    db: Database, now: Callable[[], datetime] = datetime.now, *, create: bool = True
) -> MigrationOutcome:
    """Creates a new database at the newest schema, or backs an older one up and upgrades it.

    Refuses, leaving the database untouched, one that is newer than the app or
    is not an ITP Monitor database (SchemaError), and an empty one unless `create`
    (NoDatabase). A full disk, a damaged or read-only file raise StorageFailure.
    """
    with db.failures():
        return _migrate(db, now, create)


def _migrate(db: Database, now: Callable[[], datetime], create: bool) -> MigrationOutcome:
    stored = stored_revisions(db)
    if stored == (HEAD_REVISION,):
        return MigrationOutcome(before=HEAD_REVISION, after=HEAD_REVISION, backup=None)
    if stored is None and not create:
        raise NoDatabase(db.where)  # an empty file, as good as none: a read must not set it up
    scripts = script_directory()
    known = {rev.revision for rev in scripts.walk_revisions()}
    unknown = [rev for rev in stored or () if rev not in known]
    if unknown:
        raise DatabaseTooNew(
            f"{db.location.describe()} was written by a newer version of ITP Monitor "
            f"(schema {', '.join(unknown)}; "
            f"this version knows up to {scripts.get_current_head()}). "
            "Use the newer version of the app. Nothing was changed."
        )
    if db.location.read_only:
        raise ReadOnlyNeedsSetUp(
            f"{db.where} "
            + ("is empty" if stored is None else "was written by an earlier version")
            + " and must be set up by this version before use, which cannot be done "
            "while it is open read-only. Open it once where it can be written. "
            "Nothing was changed."
        )
    before = stored[0] if stored else None
    saved: Path | None = None
    if stored and db.is_sqlite:
        saved = backup_path(db, before or "empty", now())
        if saved is not None:
            sqlite.backup(db.engine, saved)
    upgrade(db)
    return MigrationOutcome(before=before, after=HEAD_REVISION, backup=saved)
