"""Opens the database for the app or the command line: connect, migrate, build the services."""

from __future__ import annotations

import sys

from itp_monitor.services.container import Services, build_services
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate


def open_services(db_option: str | None, *, busy_timeout_ms: int | None = None) -> Services:
    """Connects and brings the schema up to date, backing up an older database first.

    Raises SchemaError, leaving the database untouched, for one this version cannot use.
    `busy_timeout_ms` is how long a write waits for another program's lock (the app
    waits briefly and retries; the command line waits the default).
    """
    location = resolve_location(db_option)
    db = Database(location) if busy_timeout_ms is None else Database(location, busy_timeout_ms)
    try:
        outcome = migrate(db)
    except BaseException:
        db.dispose()
        raise
    if outcome.backup is not None:
        print(
            f"Upgraded the database from schema {outcome.before} to {outcome.after}; "
            f"the earlier copy is kept at {outcome.backup}",
            file=sys.stderr,
        )
    return build_services(db)
