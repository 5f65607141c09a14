"""Files only their owner can read (issue 12): a clinic laptop's other accounts must not
copy the database, its WAL, its backups or an export.

On POSIX every file and folder this program makes is made owner-only (umask 077, set
once at start), and a database made before this rule, with its -wal and -shm, is made
owner-only when it is next opened (and that change is audited by the caller). The
folder is tightened only when it is the app's own data folder: a folder the user
chose (/tmp, a share) is theirs to keep as it is. Elsewhere (Windows) a user's data
folder is already private to its owner, and nothing is done here.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_FOLDER = 0o700
OTHERS = 0o077  # the bits of the group and of everyone else


def applies() -> bool:
    return os.name == "posix"


def restrict_new_files() -> None:
    """Every file and folder made from now on by this process is its owner's only."""
    if applies():
        os.umask(OTHERS)


@dataclass(frozen=True)
class Tightened:
    path: Path
    before: int  # the permission bits it had
    after: int

    def words(self) -> str:
        return f"{self.path.name}: {self.before:04o} → {self.after:04o}"


def tighten(database: Path, own_folder: Path | None) -> list[Tightened]:
    """Makes the database, its -wal and -shm owner-only, and its folder too when it is
    `own_folder` (the app's data folder); returns what changed. A file this account may
    not change (not its owner) is left as it is."""
    if not applies():
        return []
    changed: list[Tightened] = []
    files = [database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))]
    for path in files:
        changed += _tightened(path, OWNER_ONLY_FILE)
    if own_folder is not None and database.parent == own_folder:
        changed += _tightened(own_folder, OWNER_ONLY_FOLDER)
    return changed


def _tightened(path: Path, mode: int) -> list[Tightened]:
    try:
        bits = stat.S_IMODE(path.stat().st_mode)
        if not bits & OTHERS:
            return []
        path.chmod(bits & ~OTHERS & mode if mode == OWNER_ONLY_FILE else mode)
    except OSError:  # absent, or not ours to change: left as it is
        return []
    return [Tightened(path, bits, stat.S_IMODE(path.stat().st_mode))]
