"""Small pieces of the ward's wording shared by every layer: counted things."""

from __future__ import annotations


def counted(n: int, thing: str, things: str | None = None) -> str:
    """'1 result', '2 results', '0 results'; `things` for a plural not made with 's'."""
    return f"{n:,} {thing if n == 1 else (things or thing + 's')}"
