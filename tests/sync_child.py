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

import os
import signal
import sys
import traceback
from datetime import datetime

from itp_monitor.services.container import build_services
from itp_monitor.storage.database import Database, resolve_location


def say(line: str) -> None:
    """Prints a line in one write, which a pipe takes whole: print() writes the newline
    apart when Python's output is unbuffered (PYTHONUNBUFFERED, -u), and a sync killed
    between the two would run its last line into "ended"."""
    os.write(sys.stdout.fileno(), f"{line}\n".encode())


def sync(here: str, other: str, user: str, now: datetime) -> None:
    say("syncing")
    services = build_services(Database(resolve_location(here)), user, lambda: now)
    services.sync.sync(other, progress=lambda step: say(str(step)))
    say("done")


def main() -> None:
    user, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    while line := sys.stdin.readline():
        here, other = line.split()
        pid = os.fork()
        if pid == 0:  # the process to be killed: it never comes back to this loop
            try:
                sync(here, other, user, now)
            except BaseException:
                say("failed")
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        if sys.stdin.readline().strip() == "kill":
            os.kill(pid, signal.SIGKILL)  # not yet waited for: the pid is still its own
        _, status = os.waitpid(pid, 0)
        say(f"ended {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
