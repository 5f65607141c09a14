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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from itp_monitor.domain.vocab import AuditAction, ConflictKind, RecordStatus
from itp_monitor.services.backups import Backup, BackupRefused, BackupService, listed, reading
from itp_monitor.services.errors import StorageFailure
from itp_monitor.services.kinds import KINDS
from itp_monitor.services.recorder import PATIENT_ENTITY
from itp_monitor.services.sync_taking import PATIENT_FIELDS as DETAIL_FIELDS
from itp_monitor.services.unit import ServiceBase
from itp_monitor.storage import chain, cipher, guard_prints
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import HEAD_REVISION

# What reading the database (or a backup) can raise when it cannot be read: either
# driver's errors, SQLCipher's included (storage/cipher.py).
_UNREADABLE: tuple[type[Exception], ...] = (*cipher.DatabaseError, DBAPIError)
_UNREADABLE_CHAIN: tuple[type[Exception], ...] = (*_UNREADABLE, chain.NoIdentity)
_UNREADABLE_FILE: tuple[type[Exception], ...] = (*_UNREADABLE, OSError, StorageFailure)
_NO_CHAIN: tuple[type[Exception], ...] = (*cipher.Error, StorageFailure)

QUICK_LINKS = 200  # the chain's last links the check at start recomputes
BACKUPS_READ = 10  # the newest backups whose chains the full check compares with this one
CANDIDATES = 5  # the newest backups checked in full for the last good one
# her details as her entries record them, and the registration she was linked into
PATIENT_FIELDS = (*DETAIL_FIELDS, "linked_into")
UNLESS_RECORDED = {"linked_into": None}  # what a field is when no entry has named it
# the action of the entry that moves a version to each status (as guards.audited asks)
MOVED_BY = {
    RecordStatus.CORRECTED.value: AuditAction.CORRECT,
    RecordStatus.VOIDED.value: AuditAction.VOID,
}
Step = Callable[[str, Callable[[], list[str]]], bool]


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
    def other_schema(self) -> bool:
        """The schema was read and is not this version's: the other checks, made for this
        version's, would only raise false alarms."""
        return any(p.check == "schema" and p.detail.startswith(AT_SCHEMA) for p in self.problems)

    @property
    def schema_only(self) -> bool:
        """Only an older schema: nothing is wrong that opening it does not mend."""
        return all(p.check == "schema" for p in self.problems)

    def advice(self, where: str, *, in_app: bool = False) -> str:
        """What to do, for the command line, or (`in_app`) for the box in the app."""
        if self.ok:
            return ""
        if self.schema_only:
            if any(NEWER in p.detail for p in self.problems):
                return "open it with the version of the app that wrote it, or a newer one"
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
    def full(self, *, name_backup: bool = True) -> Report:
        """Everything: it reads the whole database. `name_backup`: with a problem, find
        the last good backup (each candidate is itself checked in full)."""
        report = Report()

        def steps(connection: Connection, step: Step) -> None:
            step("schema", lambda: _schema(connection))
            if report.other_schema:
                return  # an older (or newer) schema: the rest would be false alarms
            step("integrity", lambda: _integrity(connection, "integrity_check"))
            step("foreign_keys", lambda: _foreign_keys(connection))
            step("guards", lambda: _guards(connection))
            step("audit_chain", lambda: _chain(connection, report, last=None))
            step("audit_chain", lambda: self._against_backups(connection, newest=BACKUPS_READ))
            step("audit_records", lambda: _records(connection, report))
            step("patients", lambda: _patients(connection))

        self._read(report, steps)
        return self._with_backup(report) if name_backup else report

    def quick(self) -> Report:
        """What the app checks at start before it writes: a fraction of a second beside
        SQLite's quick_check, which reads the whole file."""
        report = Report()

        def steps(connection: Connection, step: Step) -> None:
            step("schema", lambda: _schema(connection))
            if report.other_schema:
                return
            step("integrity", lambda: _integrity(connection, "quick_check"))
            step("guards", lambda: _guards(connection))
            step("audit_chain", lambda: _chain(connection, report, last=QUICK_LINKS))
            step("audit_chain", lambda: self._against_backups(connection, newest=3))

        self._read(report, steps)
        return self._with_backup(report)  # only read when something was found

    def backups_folder(self) -> str:
        try:
            return str(self._backups().folder())
        except BackupRefused:
            return "its server's backups"

    def _backups(self) -> BackupService:
        return BackupService(self.db, self.user, self.clock)

    def _read(self, report: Report, steps: Callable[[Connection, Step], None]) -> None:
        """Runs `steps` in one read transaction. Each `step(check, run)` runs a check, adds
        what it found to `report` and says whether it found anything; a failure to read is
        itself a problem of that check (a damaged page stops one check, not the rest), and
        a database that cannot be read at all is a problem of its integrity."""

        def step(check: str, run: Callable[[], list[str]]) -> bool:
            try:
                details = run()
            except _UNREADABLE_CHAIN as error:
                details = [f"could not be read: {_first_line(error)}"]
            report.problems.extend(Problem(check, d) for d in details)
            return bool(details)

        try:
            with self.db.engine.connect() as connection, connection.begin():
                steps(connection, step)
        except _UNREADABLE as error:
            report.problems.append(Problem("integrity", f"could not be read: {_first_line(error)}"))

    def _against_backups(self, connection: Connection, *, newest: int) -> list[str]:
        """Entries missing at the chain's end: a backup of this database holds links past
        the last one here that begin exactly as here (saves lost with a deleted -wal file,
        or entries cut off). A backup from before a restore does not begin as here, and
        says nothing."""
        if connection.dialect.name != "sqlite":
            return []
        end, last = chain.head(connection)
        own = chain.identity(connection)
        device = connection.scalar(text("SELECT uid FROM devices WHERE this_device"))
        try:
            found = self._backups().all_backups()[-newest:]
        except (BackupRefused, OSError):
            return []
        for backup in reversed(found):
            held = _chain_of(backup.path, end)
            if held is None or held.identity != own or held.device != device:
                continue
            if held.end > end and held.at_end_here == last:
                return [
                    f"the audit trail ends at link {end}, but the backup of "
                    f"{backup.taken_at:%Y-%m-%d %H:%M} holds {held.end} links that begin the "
                    f"same: {held.end - end} entries and what they recorded are missing here "
                    "(recent saves lost, for example with a deleted -wal file, or cut off)"
                ]
        return []

    def _with_backup(self, report: Report) -> Report:
        """Names the newest backup of this database that passes a full check of its own,
        when there is a problem (other than an older schema)."""
        if report.ok or report.schema_only:
            return report
        service = self._backups()
        try:
            found = service.own_backups()
        except BackupRefused:
            return report
        except _UNREADABLE_FILE:
            # too damaged to say whose, or where its second folder is: those beside it
            found = listed(
                service.folder(), service.db.location.path.stem if service.db.location.path else ""
            )
        for backup in list(reversed(found))[:CANDIDATES]:
            if self._passes(backup.path):
                report.backup = backup
                break
        return report

    def _passes(self, path: Path) -> bool:
        location = resolve_location(str(path)).reading_only()
        try:
            db = Database(location, create=False)
        except Exception:
            return False
        try:
            return CheckService(db, self.user, self.clock).full(name_backup=False).ok
        finally:
            db.dispose()


@dataclass(frozen=True)
class _Held:
    identity: str | None
    device: str | None
    end: int  # its last link's position
    at_end_here: str | None  # its link at the position where this database's chain ends


def _chain_of(path: Path, here: int) -> _Held | None:
    """What a backup's chain holds, read without changing the file; None if it has none."""
    try:
        with reading(path) as connection:
            identity = connection.execute("SELECT uid FROM database_identity").fetchone()
            device = connection.execute("SELECT uid FROM devices WHERE this_device").fetchone()
            end = connection.execute("SELECT max(position) FROM audit_chain").fetchone()
            at = connection.execute(
                "SELECT hash FROM audit_chain WHERE position = ?", (here,)
            ).fetchone()
    except _NO_CHAIN:
        return None
    return _Held(
        identity[0] if identity else None,
        device[0] if device else None,
        int(end[0] or 0),
        at[0] if at else None,
    )


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).splitlines()[0] if str(original) else type(original).__name__


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
    """Every guard there, as the migrations made it; none added that the app did not make."""
    present = guard_prints.fingerprints(connection)
    expected = guard_prints.expected(connection.dialect.name)
    details = [
        f"the guard {name} is missing: records it kept can be changed"
        for name in sorted(expected.keys() - present.keys())
    ]
    details += [
        f"the guard {name} was replaced: it no longer does what the app made it do"
        for name in sorted(expected.keys() & present.keys())
        if expected[name] != present[name]
    ]
    details += [
        f"a trigger the app did not make is in the database: {name}"
        for name in sorted(present.keys() - expected.keys())
    ]
    return details


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
    """Each version holds the values, and belongs to the woman, of the entry that made it
    (a create or a correction); each corrected or voided one has the entry that corrected
    or voided it; and each version an entry made is still there."""
    made: dict[tuple[str, int], tuple[dict[str, Any], int | None]] = {}
    moved: set[tuple[str, int, str]] = set()
    for entity, action, record_id, original_id, patient_id, after in connection.execute(
        text(
            "SELECT entity, action, record_id, original_id, patient_id, after "
            "FROM audit_entries WHERE action IN ('create', 'correct', 'void')"
        )
    ):
        if action in ("create", "correct") and record_id is not None:
            made[entity, int(record_id)] = (_loaded(after), patient_id)
        if action in ("correct", "void") and original_id is not None:
            moved.add((entity, int(original_id), action))
    details: list[str] = []
    seen: set[tuple[str, int]] = set()
    for kind in KINDS:
        table = kind.row.__tablename__
        fields = kind.field_names
        rows = connection.execute(
            text(f"SELECT id, status, patient_id, {', '.join(fields)} FROM {table}")
        )
        for record_id, status, patient_id, *values in rows:
            report.records += 1
            seen.add((kind.entity, record_id))
            found = made.get((kind.entity, record_id))
            if found is None:
                details.append(f"{kind.label} {record_id} has no audit entry that recorded it")
            else:
                recorded, whose = found
                changed = [
                    name
                    for name, value in zip(fields, values, strict=True)
                    if name in recorded and not _same_value(value, recorded[name])
                ]
                if whose is not None and whose != patient_id:
                    changed.append("the woman it belongs to")
                if changed:
                    details.append(
                        f"{kind.label} {record_id}: {', '.join(changed)} differ from the audit "
                        "entry that recorded it: changed past the app"
                    )
            needed = MOVED_BY.get(status)
            if needed and (kind.entity, record_id, needed) not in moved:
                details.append(f"{kind.label} {record_id} is {status}; no audit entry did it")
    labels = {k.entity: k.label for k in KINDS}
    details += [
        f"{labels[entity]} {record_id} was recorded (its audit entry is there) but is gone: "
        "removed past the app"
        for entity, record_id in sorted(made.keys() - seen)
        if entity in labels
    ]
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
            # in the order they were applied here: a sync replays another device's changes
            # as they arrive, whatever its clock said
            "SELECT record_id, after FROM audit_entries WHERE entity = :e AND after IS NOT NULL "
            "ORDER BY id"
        ),
        {"e": PATIENT_ENTITY},
    )
    for record_id, after in rows:
        folded = {**(states[record_id][-1] if record_id in states else {}), **_loaded(after)}
        states.setdefault(record_id, []).append(folded)
    apart = {
        int(p)
        for (p,) in connection.execute(
            text("SELECT patient_id FROM conflicts WHERE what = :w"),
            {"w": ConflictKind.DETAILS_TWICE.value},
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
    return all(
        _same_value(row[k], state.get(k, UNLESS_RECORDED.get(k)))
        for k in PATIENT_FIELDS
        if k in state or k in UNLESS_RECORDED
    )


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
    if len(found) == 1 and _number(found[0]) < _number(HEAD_REVISION):
        return [f"{AT_SCHEMA} {found[0]}, older than this version's {HEAD_REVISION}"]
    return [f"{AT_SCHEMA} {', '.join(found) or 'unknown'}, {NEWER} {HEAD_REVISION}"]


NEWER = "not this version's"
AT_SCHEMA = "the database is at schema"


def _number(revision: str) -> int:
    head, _, _ = revision.partition("_")
    return int(head) if head.isdigit() else 10**9
