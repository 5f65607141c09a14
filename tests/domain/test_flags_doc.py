"""docs/flags.md explains every flag and every response status the engine can give."""

from __future__ import annotations

from pathlib import Path

import pytest

from itp_monitor.domain.flags import FlagCode
from itp_monitor.domain.response import ResponseStatus

DOC = (Path(__file__).resolve().parents[2] / "docs" / "flags.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", [*FlagCode, *ResponseStatus], ids=str)
def test_every_flag_and_status_is_explained_for_ward_staff(code: str) -> None:
    assert f"`{code}`" in DOC
