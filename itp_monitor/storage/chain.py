"""The audit trail's hash chain: a rewritten, inserted or removed entry shows.

Each audit entry gets a link (`audit_chain`) in the transaction that writes it: its
position, and a SHA-256 hash over the previous link's hash and the entry's content
as the database stores it. The first link anchors on the database's own id
(`database_identity`, made once; not its device, which a copy changes at its first
sync). `itp-monitor check` recomputes every link: an entry rewritten in the
file (even by `INSERT OR REPLACE` past the guards) no longer matches its link, an
entry inserted past the app has none, a removed one leaves its link pointing at
nothing or a gap in the positions.

This makes tampering evident, not impossible: someone who can write the file and
knows this scheme can rebuild the chain (issue 12's encryption keeps them from
reading and writing it at all). Entries that arrive by a sync are linked into this
database's chain as they arrive: each database's chain is its own.

What `content` hashes, and how, is part of every chain already written: never change
it; a new scheme needs a new table and a migration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

# The entry's columns, in the order they are hashed.
COLUMNS = (
    "id",
    "uid",
    "device",
    "at_utc",
    "user",
    "action",
    "entity",
    "record_id",
    "record_uid",
    "original_id",
    "patient_id",
    "before",
    "after",
    "reason",
)
_SELECT = f"SELECT {', '.join(f'a.{c}' for c in COLUMNS)} FROM audit_entries a"
ANCHOR_PREFIX = "itp-monitor audit chain of "
BATCH = 5_000


def _as_text(value: Any) -> Any:
    """What JSON cannot hold as such: PostgreSQL's driver gives times (SQLite gives back
    the text it stores)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def content(row: Sequence[Any]) -> bytes:
    """An entry's columns (COLUMNS order) as bytes no two different entries share: a JSON
    array, with JSON values (PostgreSQL's parsed ones) in a fixed key order. One call into
    the C encoder per entry: the check reads every entry."""
    return json.dumps(
        tuple(row), ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=_as_text
    ).encode()


def link(previous: str, row: Sequence[Any]) -> str:
    return hashlib.sha256(previous.encode() + b"|" + content(row)).hexdigest()


class NoIdentity(RuntimeError):
    """The database's identity, which the chain is anchored on, is gone."""


def identity(connection: Connection) -> str | None:
    """The database's own id (`database_identity`), None if it is gone."""
    found = connection.scalar(text("SELECT uid FROM database_identity WHERE id = 1"))
    return str(found) if found is not None else None


def anchor(connection: Connection) -> str:
    """The hash the first link follows: made from the database's own id."""
    uid = identity(connection)
    if uid is None:
        raise NoIdentity("the database's identity, which its audit chain starts from, is gone")
    return hashlib.sha256((ANCHOR_PREFIX + uid).encode()).hexdigest()


def head(connection: Connection) -> tuple[int, str]:
    """The last link's position and hash; (0, the anchor) before the first."""
    last = connection.execute(
        text("SELECT position, hash FROM audit_chain ORDER BY position DESC LIMIT 1")
    ).first()
    if last is None:
        return 0, anchor(connection)
    return int(last[0]), str(last[1])


def extend(connection: Connection, entry_ids: Iterable[int]) -> int:
    """Links the entries `entry_ids`, written in this transaction, at the chain's end, in
    the order of their ids; returns how many. The caller holds the write lock (SQLite's
    BEGIN IMMEDIATE; on PostgreSQL the table lock taken here), so links never fork."""
    ids = sorted(set(entry_ids))
    if not ids:
        return 0
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE audit_chain IN SHARE ROW EXCLUSIVE MODE"))
    position, previous = head(connection)
    # the driver's own statements: no compiling or per-row processing, and the links of
    # a 100,000-row lab import written a batch at a time, never all held at once
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    select = f"{_SELECT} WHERE a.id >= {mark} AND a.id <= {mark} ORDER BY a.id"
    insert = f"INSERT INTO audit_chain (position, entry_id, hash) VALUES ({mark}, {mark}, {mark})"
    linked = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        rows = connection.exec_driver_sql(select, (batch[0], batch[-1])).all()
        wanted = set(batch)
        links = []
        for row in rows:
            if row[0] not in wanted:
                continue  # another program's entry between ours (PostgreSQL's sequences)
            position += 1
            previous = link(previous, row)
            links.append((position, row[0], previous))
        if links:
            connection.exec_driver_sql(insert, links)
            linked += len(links)
    return linked


@dataclass(frozen=True)
class Break:
    """Where the chain does not hold: which check, which entry or position, what is wrong."""

    position: int | None
    entry_id: int | None
    what: str


def _links(connection: Connection, after: int) -> Iterator[Sequence[Any]]:
    """Each link past position `after` with its entry's columns (None when the entry is
    gone), in order, read a batch at a time."""
    while True:
        rows = connection.execute(
            text(
                "SELECT c.position, c.entry_id, c.hash, "
                f"{', '.join(f'a.{c}' for c in COLUMNS)} FROM audit_chain c "
                "LEFT JOIN audit_entries a ON a.id = c.entry_id "
                "WHERE c.position > :after ORDER BY c.position LIMIT :n"
            ),
            {"after": after, "n": BATCH},
        ).all()
        yield from rows
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def verify(connection: Connection, *, last: int | None = None) -> list[Break]:
    """Recomputes the chain (only its `last` links when given) and names each break: an
    entry that differs from what was linked, a link whose entry is gone, a gap in the
    positions, and entries with no link (written past the app)."""
    breaks: list[Break] = []
    end, _ = head(connection)
    start = 0 if last is None else max(0, end - last)
    if start == 0:
        previous = anchor(connection)
    else:
        previous = str(
            connection.scalar(
                text("SELECT hash FROM audit_chain WHERE position = :p"), {"p": start}
            )
        )
    expected = start
    for row in _links(connection, start):
        position, entry_id, stored = int(row[0]), int(row[1]), str(row[2])
        expected += 1
        if position != expected:
            breaks.append(Break(expected, None, f"links {expected} to {position - 1} are missing"))
            expected = position
        entry = row[3:]
        if entry[0] is None:
            breaks.append(Break(position, entry_id, "the entry of this link was removed"))
        elif link(previous, entry) != stored:
            breaks.append(Break(position, entry_id, "the entry differs from what was linked"))
        previous = stored
    breaks += [
        Break(None, entry_id, "the entry has no link: it was not written by the app")
        for entry_id in unlinked(connection, recent_only=last is not None)
    ]
    return breaks


def unlinked(connection: Connection, *, recent_only: bool = False) -> list[int]:
    """Entries with no link. `recent_only`: only those past the last linked entry (quick,
    for the check at start)."""
    if recent_only:
        sql = (
            "SELECT id FROM audit_entries WHERE id > "
            "(SELECT coalesce(max(entry_id), 0) FROM audit_chain) ORDER BY id"
        )
    else:
        sql = (
            "SELECT a.id FROM audit_entries a LEFT JOIN audit_chain c ON c.entry_id = a.id "
            "WHERE c.entry_id IS NULL ORDER BY a.id"
        )
    return [int(i) for (i,) in connection.execute(text(sql))]
