"""Developer command: write a new migration script from the difference between models and head.

python -m itp_monitor.storage.revision "what changed"
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from itp_monitor.storage import migrate
from itp_monitor.storage.database import Database, resolve_location

# alembic_version.version_num is VARCHAR(32) on PostgreSQL (SQLite does not check).
MAX_REVISION_ID = 32


def next_revision_id(message: str) -> str:
    numbers = [int(rev.revision[:4]) for rev in migrate.script_directory().walk_revisions()]
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    return f"{max(numbers, default=0) + 1:04d}_{slug}"[:MAX_REVISION_ID].rstrip("_")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    from alembic import command

    message = argv[0]
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(resolve_location(str(Path(tmp) / "head.sqlite")))
        migrate.upgrade(db)
        with db.engine.connect() as connection:
            config = migrate.alembic_config(connection)
            command.revision(config, message, autogenerate=True, rev_id=next_revision_id(message))
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
