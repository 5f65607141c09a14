"""docs/protocol.md shows exactly the numbers and sources the app ships."""

from __future__ import annotations

from pathlib import Path

from itp_monitor.domain.protocol import markdown_tables

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_the_document_tables_are_the_ones_generated_from_the_resource_file() -> None:
    text = DOC.read_text(encoding="utf-8")
    generated = text.split("<!-- BEGIN GENERATED -->\n")[1].split("<!-- END GENERATED -->")[0]
    assert generated == markdown_tables(), "run: python -m itp_monitor.domain.protocol"
