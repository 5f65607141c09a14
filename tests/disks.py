"""Real read-only and full disks for the tests, or a skip saying why there are none here.

Root ignores file permissions, so a chmod-0444 file is no read-only database for the
suite when it runs as root (in CI containers it does): as root a read-only bind mount
is used, otherwise the permissions are taken away. A full disk is a tiny tmpfs,
which only root can mount; elsewhere those tests are skipped.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _run(*command: str) -> bool:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """`folder` as this process cannot write anything in it: the path to use it by."""
    if _is_root():
        view = folder.with_name(folder.name + "-read-only")
        view.mkdir()
        if not _run("mount", "--bind", str(folder), str(view)):
            pytest.skip("no read-only disk: as root a bind mount is needed, and it failed")
        try:
            if not _run("mount", "-o", "remount,bind,ro", str(view)):
                pytest.skip("no read-only disk: the bind mount could not be made read-only")
            yield view
        finally:
            _run("umount", str(view))
        return
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [folder, *folder.iterdir()]}
    for path, mode in modes.items():
        path.chmod(mode & ~0o222)
    try:
        yield folder
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


@contextmanager
def tiny_disk(mount_point: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of `size_kb` at `mount_point`, unmounted afterwards."""
    mount_point.mkdir(exist_ok=True)
    if not _is_root() or not _run(
        "mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount_point)
    ):
        pytest.skip("no full disk to test with: mounting a small tmpfs needs root")
    try:
        yield mount_point
    finally:
        _run("umount", str(mount_point))


def fill(folder: Path) -> Path:
    """Writes a file in `folder` until the disk is full; returns it (delete it to free)."""
    filler = folder / "filler"
    block = b"\0" * 4096
    with filler.open("wb", buffering=0) as f:  # unbuffered: nothing left to fail at close
        try:
            while f.write(block):
                pass
        except OSError:
            pass
    return filler


def leave_wal_behind(path: Path, script: str) -> None:
    """Runs `script` (Python, with `path` as sys.argv[1]) in a process that ends without
    closing the database, as a crash or power cut would: its -wal and -shm stay."""
    import sys

    done = subprocess.run(
        [sys.executable, "-c", script + "\nimport os; os._exit(0)", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": package_root()},
    )
    assert done.returncode == 0, done.stderr
    assert Path(f"{path}-wal").stat().st_size > 0


def package_root() -> str:
    """The folder holding the itp_monitor the tests import, for a subprocess to use too."""
    import itp_monitor

    return str(Path(itp_monitor.__file__).resolve().parent.parent)


def checkpoint(path: Path) -> None:
    """Writes the WAL into the database file and removes it, as a clean close does."""
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
