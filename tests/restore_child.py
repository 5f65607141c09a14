"""The processes that tests/services/test_restore_kill.py kills with SIGKILL midway through
a restore.

    python restore_child.py USER NOW

Python and the app's modules load once, here, so that each restore to be killed starts
at once. For each line "DATABASE BACKUP" read from its input, this process forks one that
restores BACKUP into DATABASE as `itp-monitor --db DATABASE restore BACKUP` does, printing
"restoring", each step as it reaches it, and "done" once it is in place ("failed" and the
traceback if it could not). The next line says "kill" (SIGKILL, at once) or "wait"; then
this process prints "ended STATUS" (-9 when killed) and reads the next one.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from forked import say, serve

from itp_monitor.services.restore import restore
from itp_monitor.storage.migrate import script_directory


def run(database: str, backup: str, user: str, now: datetime) -> None:
    say("restoring")
    restore(
        Path(database),
        Path(backup),
        user=user,
        clock=lambda: now,
        step=lambda step: say(str(step)),
    )
    say("done")


def main() -> None:
    user, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    script_directory()  # alembic loaded before the fork, as the app has it loaded
    serve(lambda f: run(f[0], f[1], user, now))


if __name__ == "__main__":
    main()
