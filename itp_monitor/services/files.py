"""Writing a file whole or not at all: a half-written export is never left behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Writes `data` to a temporary file beside `path`, flushes it to disk, then renames
    it over `path`; on any failure the temporary file is removed and `path` untouched.

    An OSError names `path` (never the hidden temporary file), so that the message a
    person sees is about the file they chose: "No space left on device: w.json".
    """
    path = path.resolve()
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise _about(e, path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise _about(e, path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _about(error: OSError, path: Path) -> OSError:
    """The same error (same errno, same words), said of `path`."""
    return type(error)(error.errno, error.strerror or str(error), str(path))
