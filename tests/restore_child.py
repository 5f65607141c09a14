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

import os
import signal
import sys
import traceback
from datetime import datetime
from pathlib import Path

from itp_monitor.services.restore import restore
from itp_monitor.storage.migrate import script_directory


def run(database: str, backup: str, user: str, now: datetime) -> None:
    print("restoring", flush=True)
    restore(
        Path(database),
        Path(backup),
        user=user,
        clock=lambda: now,
        step=lambda step: print(step, flush=True),
    )
    print("done", flush=True)


def main() -> None:
    user, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    script_directory()  # alembic loaded before the fork, as the app has it loaded
    while line := sys.stdin.readline():
        database, backup = line.split()
        pid = os.fork()
        if pid == 0:  # the process to be killed: it never comes back to this loop
            try:
                run(database, backup, user, now)
            except BaseException:
                print("failed", flush=True)
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        if sys.stdin.readline().strip() == "kill":
            os.kill(pid, signal.SIGKILL)  # not yet waited for: the pid is still its own
        _, status = os.waitpid(pid, 0)
        print(f"ended {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
