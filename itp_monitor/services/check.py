"""Check database: is this file sound, and is its record what the app wrote? (issue 11)

The full check (`itp-monitor check`, Tools → Check database) reads everything:

- SQLite's own integrity and foreign-key checks;
- every guard (trigger) that keeps records from being changed or deleted is there;
- the audit trail's hash chain is unbroken (storage/chain.py): no entry rewritten,
  inserted past the app or removed;
- every record version has the audit entry that created it, every corrected or voided
  version the entry that corrected or voided it, and each woman's details are what
  her audit entries say they became;
- the schema is the one this version of the app writes.

The quick check at start reads little: SQLite's `quick_check`, the guards, and the
chain's last links. Each problem is named with what to do: restore the last good
backup, which the check names.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from itp_monitor.services.backups import Backup, BackupRefused, listed
from itp_monitor.services.kinds import KINDS
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage import chain, guards
from itp_monitor.storage.migrate import HEAD_REVISION

QUICK_LINKS = 200  # the chain's last links the check at start recomputes
PATIENT_ENTITY = "patient"
PATIENT_FIELDS = ("mrn", "name", "date_of_birth", "edd", "weight_kg", "notes", "archived")
DETAILS_TWICE = "details_twice"  # a conflict: each device kept its own details (sync)


@dataclass(frozen=True)
class Problem:
    check: str  # integrity, foreign_keys, guards, audit_chain, audit_records, patients, schema
    detail: str


@dataclass
class Report:
    """What a check found, and the backup to restore if anything."""

    problems: list[Problem] = field(default_factory=list)
    backup: Backup | None = None
    entries: int = 0  # audit entries whose links were checked
    records: int = 0  # record versions checked against their entries

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def schema_only(self) -> bool:
        """Only an older schema: nothing is wrong that opening it does not mend."""
        return all(p.check == "schema" for p in self.problems)

    def advice(self, where: str, *, in_app: bool = False) -> str:
        """What to do, for the command line, or (`in_app`) for the box in the app."""
        if self.ok:
            return ""
        if self.schema_only:
            return "open it with the app, which upgrades it (keeping a copy first)"
        if self.backup is not None:
            taken = f"{self.backup.taken_at:%Y-%m-%d %H:%M}"
            if in_app:
                return (
                    f"restore the last good backup, taken {taken} ({self.backup.path.name}): "
                    "press Restore from backup…; the current database is set aside, "
                    "not deleted"
                )
            return (
                f"restore the last good backup, {self.backup.path} (taken {taken}): "
                f"`itp-monitor restore {self.backup.path}` or File → Restore from backup… "
                "in the app; the current database is set aside"
            )
        return (
            f"no backup of it was found in {where}: stop saving into it, keep the file as it "
            "is and ask for help (the user guide, 'If something goes wrong')"
        )

    def as_json(self, where: str) -> str:
        return json.dumps(
            {
                "ok": self.ok,
                "problems": [{"check": p.check, "detail": p.detail} for p in self.problems],
                "backup": str(self.backup.path) if self.backup is not None else None,
                "advice": self.advice(where) or None,
            },
            ensure_ascii=False,
        )


class CheckService(ServiceBase):
    def full(self) -> Report:
        """Everything: it reads the whole database."""
        report = Report()
        with self._reading() as (connection, step):
            step("integrity", lambda: _integrity(connection, "integrity_check"))
            step("foreign_keys", lambda: _foreign_keys(connection))
            step("guards", lambda: _guards(connection))
            step("audit_chain", lambda: _chain(connection, report, last=None))
            step("audit_records", lambda: _records(connection, report))
            step("patients", lambda: _patients(connection))
            step("schema", lambda: _schema(connection))
            report.problems = list(self._found)
        return self._with_backup(report)

    def quick(self) -> Report:
        """What the app checks at start before it writes: a fraction of a second."""
        report = Report()
        with self._reading() as (connection, step):
            step("integrity", lambda: _integrity(connection, "quick_check"))
            step("guards", lambda: _guards(connection))
            step("audit_chain", lambda: _chain(connection, report, last=QUICK_LINKS))
            report.problems = list(self._found)
        return self._with_backup(report)

    def backups_folder(self) -> str:
        try:
            return str(self._backups().folder())
        except BackupRefused:
            return "its server's backups"

    def _backups(self) -> Any:
        from itp_monitor.services.backups import BackupService

        return BackupService(self.db, self.user, self.clock)

    @contextmanager
    def _reading(
        self,
    ) -> Iterator[tuple[Connection, Callable[[str, Callable[[], list[str]]], None]]]:
        """One read transaction; `step(check, run)` runs a check whose failure to read is
        itself a problem of that check (a damaged page stops one check, not the rest)."""
        self._found: list[Problem] = []

        def step(check: str, run: Callable[[], list[str]]) -> None:
            try:
                details = run()
            except (DBAPIError, sqlite3.DatabaseError) as error:
                details = [f"could not be read: {_first_line(error)}"]
            self._found.extend(Problem(check, d) for d in details)

        with self.db.engine.connect() as connection:
            try:
                with connection.begin():
                    yield connection, step
            except (DBAPIError, sqlite3.DatabaseError) as error:
                self._found.append(Problem("integrity", f"could not be read: {_first_line(error)}"))

    def _with_backup(self, report: Report) -> Report:
        """Names the newest backup that passes its own quick check, when there is a problem
        (other than an older schema)."""
        if report.ok or report.schema_only:
            return report
        try:
            service = self._backups()
            found = listed(service.folder(), service._path().stem)
        except BackupRefused:
            return report
        for backup in reversed(found):
            if _sound(backup.path):
                report.backup = backup
                break
        return report


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).splitlines()[0] if str(original) else type(original).__name__


def _sound(path: Path) -> bool:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return [r[0] for r in connection.execute("PRAGMA quick_check")] == ["ok"]
        finally:
            connection.close()
    except sqlite3.Error:
        return False


def _integrity(connection: Connection, pragma: str) -> list[str]:
    if connection.dialect.name != "sqlite":
        return []  # the server keeps its own pages
    result = [str(r[0]) for r in connection.execute(text(f"PRAGMA {pragma}"))]
    if result == ["ok"]:
        return []
    shown = result[:5]
    more = f" (and {len(result) - 5} more)" if len(result) > 5 else ""
    return [f"SQLite finds the file damaged: {'; '.join(shown)}{more}"]


def _foreign_keys(connection: Connection) -> list[str]:
    if connection.dialect.name != "sqlite":
        return []  # the server enforces them
    broken = connection.execute(text("PRAGMA foreign_key_check")).all()
    return [
        f"row {rowid} of {table} names a missing row of {parent}"
        for table, rowid, parent, _ in broken[:20]
    ]


def _guards(connection: Connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    present = {str(n) for (n,) in connection.execute(text(sql))}
    missing = sorted(guards.IN_FORCE - present)
    return [f"the guard {name} is missing: records it kept can be changed" for name in missing]


def _chain(connection: Connection, report: Report, *, last: int | None) -> list[str]:
    breaks = chain.verify(connection, last=last)
    report.entries = chain.head(connection)[0]
    details = []
    for b in breaks:
        where = f"link {b.position}" if b.position is not None else "an entry"
        entry = f", audit entry {b.entry_id}" if b.entry_id is not None else ""
        details.append(f"{where}{entry}: {b.what}")
    return details


def _records(connection: Connection, report: Report) -> list[str]:
    """Each version holds the values of the entry that made it (a create or a correction);
    each corrected or voided one has the entry that corrected or voided it."""
    made: dict[tuple[str, int], dict[str, Any]] = {}
    moved: set[tuple[str, int, str]] = set()
    for entity, action, record_id, original_id, after in connection.execute(
        text(
            "SELECT entity, action, record_id, original_id, after FROM audit_entries "
            "WHERE action IN ('create', 'correct', 'void')"
        )
    ):
        if action in ("create", "correct") and record_id is not None:
            made[entity, int(record_id)] = _loaded(after)
        if action in ("correct", "void") and original_id is not None:
            moved.add((entity, int(original_id), action))
    details: list[str] = []
    for kind in KINDS:
        table = kind.row.__tablename__
        fields = kind.field_names
        rows = connection.execute(text(f"SELECT id, status, {', '.join(fields)} FROM {table}"))
        for record_id, status, *values in rows:
            report.records += 1
            recorded = made.get((kind.entity, record_id))
            if recorded is None:
                details.append(f"{kind.label} {record_id} has no audit entry that recorded it")
            else:
                changed = [
                    name
                    for name, value in zip(fields, values, strict=True)
                    if name in recorded and not _same_value(value, recorded[name])
                ]
                if changed:
                    details.append(
                        f"{kind.label} {record_id}: {', '.join(changed)} differ from the audit "
                        "entry that recorded it: changed past the app"
                    )
            needed = {"corrected": "correct", "voided": "void"}.get(status)
            if needed and (kind.entity, record_id, needed) not in moved:
                details.append(f"{kind.label} {record_id} is {status}; no audit entry did it")
    return details[:50]


def _loaded(value: Any) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return loaded if isinstance(loaded, dict) else {}


def _patients(connection: Connection) -> list[str]:
    """Each woman's details are what her audit entries made them; where two devices kept
    their own (a conflict), what one of them made them."""
    states: dict[int, list[dict[str, Any]]] = {}
    rows = connection.execute(
        text(
            "SELECT record_id, after FROM audit_entries WHERE entity = :e AND after IS NOT NULL "
            "ORDER BY at_utc, id"
        ),
        {"e": PATIENT_ENTITY},
    )
    for record_id, after in rows:
        folded = {**(states[record_id][-1] if record_id in states else {}), **_loaded(after)}
        states.setdefault(record_id, []).append(folded)
    apart = {
        int(p)
        for (p,) in connection.execute(
            text("SELECT patient_id FROM conflicts WHERE what = :w"), {"w": DETAILS_TWICE}
        )
        if p is not None
    }
    details = []
    columns = ", ".join(PATIENT_FIELDS)
    for patient_id, mrn, *values in connection.execute(
        text(f"SELECT id, mrn, {columns} FROM patients")
    ):
        row = dict(zip(PATIENT_FIELDS, values, strict=True))
        made = states.get(patient_id)
        if not made:
            details.append(f"patient {mrn} has no audit entry that registered her")
            continue
        candidates = made if patient_id in apart else made[-1:]
        if not any(_same(row, state) for state in candidates):
            changed = sorted(k for k in PATIENT_FIELDS if not _same_value(row[k], made[-1].get(k)))
            details.append(
                f"patient {mrn}: {', '.join(changed)} differ from her audit entries: "
                "changed past the app"
            )
    return details


def _same(row: dict[str, Any], state: dict[str, Any]) -> bool:
    return all(_same_value(row[k], state.get(k)) for k in PATIENT_FIELDS if k in state)


def _same_value(stored: Any, recorded: Any) -> bool:
    """A column as the database gives it against the value an entry recorded (JSON)."""
    if stored == recorded:
        return True
    if stored is None or recorded is None:
        return stored is None and recorded is None
    if isinstance(recorded, bool) or isinstance(stored, bool):
        return bool(stored) == bool(recorded)
    if isinstance(recorded, int | float) and not isinstance(stored, str):
        return float(stored) == float(recorded)
    as_text = stored.isoformat() if hasattr(stored, "isoformat") else str(stored)
    if as_text == str(recorded):
        return True
    try:  # a time: SQLite keeps '2026-11-09 08:00:00.000000', an entry '2026-11-09T08:00:00'
        return datetime.fromisoformat(as_text) == datetime.fromisoformat(str(recorded))
    except ValueError:
        return False


def _schema(connection: Connection) -> list[str]:
    found = [str(v) for (v,) in connection.execute(text("SELECT version_num FROM alembic_version"))]
    if found == [HEAD_REVISION]:
        return []
    return [f"the schema is {', '.join(found) or 'unknown'}, not this version's {HEAD_REVISION}"]
