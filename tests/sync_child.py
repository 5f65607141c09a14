"""The processes that tests/services/test_sync_kill.py kills with SIGKILL midway through a sync.

    python sync_child.py USER NOW

Python and the app's modules load once, here, so that each sync to be killed starts at
once rather than after Python's own start. For each line "HERE OTHER" read from its input,
this process forks one that syncs HERE with OTHER as `itp-monitor --db HERE sync OTHER`
does, printing "syncing", each step of the sync as it reaches it (the last, "Saving",
just before the two commits), and "done" once both sides committed ("failed" and the
traceback if it could not). The next line says "kill" (SIGKILL, at once) or "wait"; then
this process prints "ended STATUS" (-9 when killed) and reads the next sync.
"""

from __future__ import annotations

import sys
from datetime import datetime

from forked import say, serve

from itp_monitor.services.container import build_services
from itp_monitor.storage.database import Database, resolve_location


def sync(here: str, other: str, user: str, now: datetime) -> None:
    say("syncing")
    services = build_services(Database(resolve_location(here)), user, lambda: now)
    services.sync.sync(other, progress=lambda step: say(str(step)))
    say("done")


def main() -> None:
    user, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    serve(lambda f: sync(f[0], f[1], user, now))


if __name__ == "__main__":
    main()
