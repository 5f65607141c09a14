"""Finds the data folders that ship with the app (migrations, resources)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_dir(name: str) -> Path:
    """The folder `name` inside the installed package, else at the top of a source checkout.

    The wheel carries `migrations/` and `resources/` inside the package (see
    pyproject.toml); a source checkout or an editable install has them beside it.
    """
    packaged = Path(str(files("itp_monitor") / name))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"the app's '{name}' folder is missing: looked in {packaged} and {checkout}. "
        "Reinstall ITP Monitor (make run)."
    )
