"""The harness of the tests that kill a process with SIGKILL midway through its work
(a writer, a sync, a restore): both sides of it.

The child (tests/crash_writer.py, sync_child.py, restore_child.py) loads Python and the
app's modules once, then `serve`s: for each line of work read from its input it forks a
process that does it, printing its progress with `say`; the next line says "kill"
(SIGKILL, at once) or "wait", then it prints "ended STATUS" (-9 when killed) and reads
the next. The test drives it through a `Forking` of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import itp_monitor


def say(line: str) -> None:
    """Prints a line in one write, which a pipe takes whole: print() writes the newline
    apart when Python's output is unbuffered (PYTHONUNBUFFERED, -u), and a process killed
    between the two would run its last line into the next."""
    os.write(sys.stdout.fileno(), f"{line}\n".encode())


def serve(work: Callable[[list[str]], None]) -> None:
    """Forks a process for each line of input, which runs `work` on the line's fields
    ("failed" and the traceback if it raises), then kills it or waits for it."""
    while line := sys.stdin.readline():
        pid = os.fork()
        if pid == 0:  # the process to be killed: it never comes back to this loop
            try:
                work(line.split())
            except BaseException:
                say("failed")
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        if sys.stdin.readline().strip() == "kill":
            os.kill(pid, signal.SIGKILL)  # not yet waited for: the pid is still its own
        _, status = os.waitpid(pid, 0)
        say(f"ended {os.waitstatus_to_exitcode(status)}")


class Forking:
    """A child that `serve`s, run as `python CHILD ARGS` on the package the tests import."""

    def __init__(self, child: Path, *args: str) -> None:
        source = str(Path(itp_monitor.__file__).parents[1])
        self.process = subprocess.Popen(
            [sys.executable, str(child), *args],
            env={**os.environ, "PYTHONPATH": source},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout

    def _say(self, line: str) -> None:
        self.stdin.write(f"{line}\n")
        self.stdin.flush()

    def end(self, how: str) -> int:
        """Kills the work ("kill") or lets it finish ("wait"); returns its exit status."""
        self._say(how)
        while line := self.stdout.readline():
            if line.startswith("ended "):
                return int(line.split()[1])
        raise AssertionError("the child ended")

    def close(self) -> None:
        self.stdin.close()
        try:
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
