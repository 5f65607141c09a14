"""The schema scripts: one head, no drift from the models, upgrades that keep every row."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import postgres
import pytest
from alembic import command
from postgres import on_both_databases
from sqlalchemy import Connection, inspect, text
from sqlalchemy.orm import Session

import itp_monitor
from itp_monitor.services.protocol_store import protocol_in_force
from itp_monitor.storage import chain, guard_prints
from itp_monitor.storage import sqlite as sqlite_rules
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import (
    HEAD_REVISION,
    DatabaseTooNew,
    NotAnItpDatabase,
    alembic_config,
    migrate,
    script_directory,
    stored_revisions,
    upgrade,
)
from itp_monitor.storage.models import Base
from itp_monitor.storage.revision import MAX_REVISION_ID

# Rows written at each earlier revision; the upgrade test checks they all survive.
# Adding a migration makes the old head an earlier revision: give it rows here.
SEED_ROWS: dict[str, dict[str, list[dict[str, Any]]]] = {
    "0001_record_store": {
        "patients": [
            {
                "id": 1,
                "mrn": "A1001",
                "name": "Jane Doe",
                "date_of_birth": "1993-04-02",
                "edd": "2026-12-20",
                "weight_kg": 68.0,
                "notes": None,
                "archived": 0,
                "created_at_utc": "2026-10-01 07:00:00.000000",
                "created_by": "nurse",
            },
            {
                "id": 2,
                "mrn": "A1002",
                "name": "Mary Roe",
                "date_of_birth": None,
                "edd": "2027-01-15",
                "weight_kg": None,
                "notes": "twin",
                "archived": 1,
                "created_at_utc": "2026-10-02 07:00:00.000000",
                "created_by": "nurse",
            },
        ],
        "platelet_counts": [
            {
                "id": 1,
                "patient_id": 1,
                "collected_at": "2026-10-01 08:00:00.000000",
                "value": 18.0,
                "source": "lab",
                "accession": "L1",
                "status": "corrected",
                "supersedes_id": None,
                "entered_at_utc": "2026-10-01 09:00:00.000000",
                "entered_by": "nurse",
            },
            {
                "id": 2,
                "patient_id": 1,
                "collected_at": "2026-10-01 08:00:00.000000",
                "value": 19.0,
                "source": "lab",
                "accession": "L1",
                "status": "current",
                "supersedes_id": 1,
                "entered_at_utc": "2026-10-01 10:00:00.000000",
                "entered_by": "dr",
            },
        ],
        "injections": [
            {
                "id": 1,
                "patient_id": 1,
                "given_at": "2026-10-02 09:00:00.000000",
                "dose_units": 20400,
                "weight_kg": 68.0,
                "site": "abdomen-left",
                "lot": None,
                "given_by": None,
                "notes": None,
                "status": "current",
                "supersedes_id": None,
                "entered_at_utc": "2026-10-02 09:05:00.000000",
                "entered_by": "nurse",
            },
        ],
        "audit_entries": [
            {
                "id": 1,
                "at_utc": "2026-10-01 09:00:00.000000",
                "user": "nurse",
                "action": "create",
                "entity": "platelet_count",
                "record_id": 1,
                "original_id": None,
                "patient_id": 1,
                "before": None,
                "after": '{"value": 18.0}',
                "reason": None,
            },
        ],
    },
}


_STAMP = {
    "status": "current",
    "supersedes_id": None,
    "entered_at_utc": "2026-11-01 09:00:00.000000",
    "entered_by": "nurse",
}
SEED_ROWS["0002_more_records"] = {
    **SEED_ROWS["0001_record_store"],
    "bleeding_assessments": [
        {
            "id": 1,
            "patient_id": 1,
            "assessed_at": "2026-10-01 08:00:00.000000",
            "who_grade": 2,
            "notes": "epistaxis",
            **_STAMP,
        },
    ],
    "treatments": [
        {
            "id": 1,
            "patient_id": 1,
            "kind": "ivig",
            "started_at": "2026-10-03 10:00:00.000000",
            "ended_at": None,
            "dose": "1 g/kg",
            "notes": None,
            **_STAMP,
        },
    ],
    "deliveries": [
        {
            "id": 1,
            "patient_id": 2,
            "delivered_at": "2026-11-02 14:00:00.000000",
            "mode": "caesarean",
            "anaesthesia": "neuraxial",
            "blood_loss_ml": 600,
            "notes": None,
            **_STAMP,
        },
    ],
    "neonatal_counts": [
        {
            "id": 1,
            "patient_id": 2,
            "collected_at": "2026-11-02 15:00:00.000000",
            "value": 88.0,
            "notes": "cord",
            **_STAMP,
        },
    ],
    "adverse_events": [
        {
            "id": 1,
            "patient_id": 1,
            "onset_at": "2026-10-04 10:00:00.000000",
            "description": "rash",
            "grade": 1,
            "related_to_rhtpo": 1,
            "notes": None,
            **_STAMP,
        },
    ],
    "protocol_settings": [
        {
            "id": 1,
            "key": "delivery_min",
            "value": 60.0,
            "set_at_utc": "2026-10-01 07:00:00.000000",
            "set_by": "dr",
            "reason": "unit policy",
        },
        {
            "id": 2,
            "key": "delivery_min",
            "value": 55.0,
            "set_at_utc": "2026-10-02 07:00:00.000000",
            "set_by": "dr",
            "reason": "unit policy revised",
        },
    ],
}

# 0003 only added indexes: the same tables, the same rows.
SEED_ROWS["0003_covering_indexes"] = SEED_ROWS["0002_more_records"]

SEED_ROWS["0004_preferences"] = {
    **SEED_ROWS["0003_covering_indexes"],
    "preferences": [
        {
            "id": 1,
            "key": "hl7_platelet_codes",
            "value": '["PLT"]',
            "set_at_utc": "2026-10-05 07:00:00.000000",
            "set_by": "dr",
        },
    ],
    "audit_entries": [
        *SEED_ROWS["0001_record_store"]["audit_entries"],
        {
            "id": 2,
            "at_utc": "2026-10-01 10:00:00.000000",
            "user": "dr",
            "action": "correct",
            "entity": "platelet_count",
            "record_id": 2,
            "original_id": 1,
            "patient_id": 1,
            "before": '{"value": 18.0}',
            "after": '{"value": 19.0}',
            "reason": "misread",
        },
        {
            "id": 3,
            "at_utc": "2026-10-01 07:00:00.000000",
            "user": "dr",
            "action": "setting",
            "entity": "protocol_setting",
            "record_id": 1,
            "original_id": None,
            "patient_id": None,
            "before": None,
            "after": '{"key": "delivery_min", "value": 60.0}',
            "reason": "unit policy",
        },
    ],
}


SEED_DEVICE = "0190a000-0000-7000-8000-000000000001"


def _travelling(revision: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of `revision` as 0005 keeps them: each with a uid and a device, a laptop
    this database met (its own device is made by the migration), each audit entry naming
    its record's uid."""
    rows: dict[str, list[dict[str, Any]]] = {
        "devices": [
            {
                "id": 2,
                "uid": SEED_DEVICE,
                "name": "Clinic laptop 2",
                "this_device": 0,
                "first_seen_utc": "2026-10-01 06:00:00.000000",
            }
        ]
    }
    uids: dict[tuple[str, int], str] = {}
    for n, (table, seeded) in enumerate(SEED_ROWS[revision].items()):
        rows[table] = []
        for row in seeded:
            uid = f"0190a000-0000-7000-8000-{n:04d}{row['id']:08d}"
            uids[table, row["id"]] = uid
            rows[table].append({**row, "uid": uid, "device": SEED_DEVICE})
    tables = {"platelet_count": "platelet_counts", "protocol_setting": "protocol_settings"}
    for entry in rows["audit_entries"]:
        entry["record_uid"] = uids[tables[entry["entity"]], entry["record_id"]]
    return rows


SEED_ROWS["0005_ids_that_travel"] = _travelling("0004_preferences")


def _with_replaces(revision: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of `revision` as 0006 keeps them: each setting change names the one it
    replaced."""
    rows = {table: [dict(r) for r in seeded] for table, seeded in SEED_ROWS[revision].items()}
    before: dict[str, str] = {}
    for row in rows["protocol_settings"]:
        row["replaces"] = json.dumps([before[row["key"]]] if row["key"] in before else [])
        before[row["key"]] = row["uid"]
    return rows


SEED_ROWS["0006_sync"] = _with_replaces("0005_ids_that_travel")
# 0007 adds tables of its own making (the chain, the identity), none to seed by hand
SEED_ROWS["0007_tamper_evident"] = SEED_ROWS["0006_sync"]


def _fresh(tmp_path: Path, name: str = "w.sqlite") -> Database:
    return Database(resolve_location(str(tmp_path / name)))


def _rows(db_or_path: Database | Path, table: str) -> list[dict[str, Any]]:
    if isinstance(db_or_path, Path):
        with sqlite3.connect(db_or_path) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(r) for r in connection.execute(f"SELECT * FROM {table} ORDER BY id")]
    with db_or_path.engine.connect() as connection:
        return [
            dict(r._mapping) for r in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
        ]


def test_there_is_one_head_and_the_app_knows_it() -> None:
    heads = script_directory().get_heads()
    assert heads == [HEAD_REVISION]


def test_every_revision_id_fits_postgresqls_version_column() -> None:
    """alembic_version.version_num is VARCHAR(32) on PostgreSQL; SQLite would not complain."""
    for rev in script_directory().walk_revisions():
        assert len(rev.revision) <= MAX_REVISION_ID, rev.revision


@on_both_databases
def test_the_scripts_match_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        command.check(alembic_config(connection))  # raises if autogenerate finds a difference


# Tables whose models declare no CHECK constraint (so that an empty comparison means it).
_WITHOUT_CHECKS = {
    t.name
    for t in Base.metadata.sorted_tables
    if not any(c.__class__.__name__ == "CheckConstraint" for c in t.constraints)
}


def _normalised(sql: str) -> str:
    return re.sub(r"\s+", " ", sql.replace('"', "")).strip()


@on_both_databases
def test_check_constraints_in_the_database_match_the_models(db: Database) -> None:
    """alembic check does not compare CHECK constraints; this does. PostgreSQL gives back
    its own rewriting of each expression, so there the models' tables are made beside the
    migrated ones (in a schema of their own) and the two rewritings compared."""
    inspector = inspect(db.engine)
    if db.is_sqlite:
        models: dict[str, set[tuple[str | None, str]]] = {
            table.name: {
                (c.name, _normalised(str(c.sqltext)))
                for c in table.constraints
                if c.__class__.__name__ == "CheckConstraint"
            }
            for table in Base.metadata.sorted_tables
        }
    else:
        with db.engine.begin() as connection:
            connection.execute(text("CREATE SCHEMA models"))
            Base.metadata.create_all(
                connection.execution_options(schema_translate_map={None: "models"})
            )
        inspector = inspect(db.engine)
        models = {
            table.name: {
                (c["name"], _normalised(c["sqltext"]))
                for c in inspector.get_check_constraints(table.name, schema="models")
            }
            for table in Base.metadata.sorted_tables
        }
    for table in Base.metadata.sorted_tables:
        in_database = {
            (c["name"], _normalised(c["sqltext"]))
            for c in inspector.get_check_constraints(table.name)
        }
        assert in_database == models[table.name], table.name
        assert models[table.name] or table.name in _WITHOUT_CHECKS, table.name


def test_a_new_database_is_created_at_the_newest_schema(tmp_path: Path) -> None:
    db = _fresh(tmp_path)
    outcome = migrate(db)
    assert (outcome.before, outcome.after, outcome.backup) == (None, HEAD_REVISION, None)
    assert stored_revisions(db) == (HEAD_REVISION,)
    assert set(inspect(db.engine).get_table_names()) >= set(Base.metadata.tables)
    assert not list(tmp_path.glob("*before-upgrade*"))  # nothing to back up in a new file
    db.dispose()


EARLIER = [
    rev.revision for rev in script_directory().walk_revisions() if rev.revision != HEAD_REVISION
]


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrading_a_database_with_data_keeps_every_row(tmp_path: Path, revision: str) -> None:
    assert revision in SEED_ROWS, f"give {revision} rows in SEED_ROWS to test its upgrade"
    db = _fresh(tmp_path)
    upgrade(db, revision)
    with db.engine.begin() as connection:
        for table, rows in SEED_ROWS[revision].items():
            for row in rows:
                columns = ", ".join(f'"{c}"' for c in row)
                values = ", ".join(f":{c}" for c in row)
                connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)
        _link_seeded(connection)
    outcome = migrate(db)
    assert (outcome.before, outcome.after) == (revision, HEAD_REVISION)
    for table, rows in SEED_ROWS[revision].items():
        after = _seeded(_rows(db, table), rows)
        assert [{k: r[k] for k in rows[0]} for r in after] == rows, table
    _each_row_has_a_uid_and_this_device(db, SEED_ROWS[revision])
    if "protocol_settings" in SEED_ROWS[revision]:
        _each_setting_change_replaces_the_one_before(db)
    _the_audit_trail_is_chained_and_guarded(db)
    # and the copy taken before the upgrade holds the old schema with the same rows
    assert outcome.backup is not None and outcome.backup.exists()
    assert revision in outcome.backup.name
    with sqlite3.connect(outcome.backup) as old:
        assert old.execute("SELECT version_num FROM alembic_version").fetchall() == [(revision,)]
    for table, rows in SEED_ROWS[revision].items():
        old_rows = _seeded(_rows(outcome.backup, table), rows)
        assert [{k: r[k] for k in rows[0]} for r in old_rows] == rows
    db.dispose()


def _each_setting_change_replaces_the_one_before(db: Database) -> None:
    """What is in force follows what each change replaced, never a clock: the changes made
    before the upgrade each replace the one made before them."""
    first, second = _rows(db, "protocol_settings")
    assert json.loads(first["replaces"]) == []
    assert json.loads(second["replaces"]) == [first["uid"]]
    with Session(db.engine) as session:
        assert protocol_in_force(session).values.delivery_min == 55


def _the_audit_trail_is_chained_and_guarded(db: Database) -> None:
    """After the upgrade every audit entry, old ones included, has its link in the hash
    chain, and every guard is there as the check expects it (guard_prints.EXPECTED)."""
    with db.engine.connect() as connection:
        assert chain.verify(connection) == []
        linked = connection.execute(text("SELECT count(*) FROM audit_chain")).scalar()
        assert linked == connection.execute(text("SELECT count(*) FROM audit_entries")).scalar()
        found = guard_prints.fingerprints(connection)
        assert found == guard_prints.expected(connection.dialect.name)


def _seeded(found: list[dict[str, Any]], seeded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows seeded, without those a migration made (the database's own device)."""
    ids = {row["id"] for row in seeded}
    return [row for row in found if row["id"] in ids]


def _each_row_has_a_uid_and_this_device(db: Database, seeded: dict[str, Any]) -> None:
    """After the upgrade every row has a distinct uid and the database's own device, and
    each audit entry names the uid of its record."""
    own = [d for d in _rows(db, "devices") if d["this_device"]]
    assert len(own) == 1 and own[0]["name"]
    uids: dict[tuple[str, int], str] = {}
    for table, rows in seeded.items():
        if table == "devices":
            continue
        made_by = {r["id"]: r.get("device", own[0]["uid"]) for r in rows}
        for row in _rows(db, table):
            assert row["device"] == made_by[row["id"]], table
            uids[table, row["id"]] = row["uid"]
    assert len(set(uids.values())) == len(uids)
    assert all(len(uid) == 36 for uid in uids.values())
    tables = {"platelet_count": "platelet_counts", "protocol_setting": "protocol_settings"}
    for entry in _rows(db, "audit_entries"):
        assert entry["record_uid"] == uids[tables[entry["entity"]], entry["record_id"]]


def _as_text(value: Any) -> str | None:
    """A seed value as PostgreSQL takes it: text it reads by the column's type ('0' a
    boolean, '2026-10-01 08:00:00.000000' a timestamp), as SQLite stores them."""
    return None if value is None else str(value)


def _as_sqlite_keeps(value: Any) -> Any:
    """A value read from PostgreSQL written as the seed rows (SQLite's storage) write it."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _seed_pg(db: Database, revision: str) -> None:
    with db.engine.begin() as connection:
        for table, rows in SEED_ROWS[revision].items():
            for row in rows:
                columns = ", ".join(f'"{c}"' for c in row)
                values = ", ".join(f":{c}" for c in row)
                connection.execute(
                    text(f"INSERT INTO {table} ({columns}) VALUES ({values})"),
                    {k: _as_text(v) for k, v in row.items()},
                )
        _link_seeded(connection)


def _link_seeded(connection: Connection) -> None:
    """From 0007 on, the seeded audit entries linked into the chain, as the app does in
    the transaction that writes them."""
    if "audit_chain" in inspect(connection).get_table_names():
        ids = connection.execute(text("SELECT id FROM audit_entries ORDER BY id")).scalars()
        chain.extend(connection, list(ids))


_pg_names = iter(range(1, 1000))


@pytest.fixture
def empty_pg(pg_server: postgres.Server) -> Iterator[Database]:
    """An empty PostgreSQL database, as a ward's administrator creates it."""
    name = f"empty_{next(_pg_names)}"
    pg_server.admin(f"CREATE DATABASE {name}")
    db = Database(resolve_location(pg_server.url(name)))
    yield db
    db.dispose()
    pg_server.admin(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.mark.postgresql
def test_a_new_postgresql_database_is_created_at_the_newest_schema(empty_pg: Database) -> None:
    outcome = migrate(empty_pg)
    assert (outcome.before, outcome.after, outcome.backup) == (None, HEAD_REVISION, None)
    assert stored_revisions(empty_pg) == (HEAD_REVISION,)
    assert set(inspect(empty_pg.engine).get_table_names()) >= set(Base.metadata.tables)


@pytest.mark.postgresql
@pytest.mark.parametrize("revision", EARLIER)
def test_upgrading_a_postgresql_database_with_data_keeps_every_row(
    empty_pg: Database, revision: str
) -> None:
    """Every script runs on PostgreSQL too, on rows; its backup is the administrator's."""
    upgrade(empty_pg, revision)
    _seed_pg(empty_pg, revision)
    outcome = migrate(empty_pg)
    assert (outcome.before, outcome.after, outcome.backup) == (revision, HEAD_REVISION, None)
    for table, rows in SEED_ROWS[revision].items():
        after = _seeded(_rows(empty_pg, table), rows)
        assert [{k: _as_sqlite_keeps(r[k]) for k in rows[0]} for r in after] == rows, table
    _each_row_has_a_uid_and_this_device(empty_pg, SEED_ROWS[revision])
    _the_audit_trail_is_chained_and_guarded(empty_pg)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_database_newer_than_the_app_is_refused_and_left_untouched(
    db: Database, db_path: Path
) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
        connection.exec_driver_sql("SELECT 1")
    db.dispose()
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _digest(db_path)
    later = _fresh(db_path.parent, db_path.name)
    with pytest.raises(DatabaseTooNew, match=r"newer version of ITP Monitor.*Nothing was changed"):
        migrate(later)
    later.dispose()
    assert _digest(db_path) == before
    assert not list(db_path.parent.glob("*before-upgrade*"))


def test_a_database_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    db = _fresh(tmp_path, "other.sqlite")
    with pytest.raises(NotAnItpDatabase, match="not an ITP Monitor database"):
        migrate(db)
    db.dispose()
    with sqlite3.connect(path) as other:
        tables = other.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [("invoices",)]


def test_a_migration_holds_the_write_lock_from_its_start(db: Database, db_path: Path) -> None:
    with sqlite_rules.migration_connection(db.engine) as connection:
        connection.execute(text("SELECT 1"))  # begins the transaction
        other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_foreign_keys_are_off_during_migrations_and_back_on_after(db: Database) -> None:
    with sqlite_rules.migration_connection(db.engine) as connection:
        raw = sqlite_rules.driver_connection(connection)
        assert raw.execute("PRAGMA foreign_keys").fetchone() == (0,)
        pooled = raw
    assert pooled.execute("PRAGMA foreign_keys").fetchone() == (1,)


@pytest.mark.skipif(
    Path(itp_monitor.__file__).parent.parent.joinpath("pyproject.toml").exists(),
    reason="running from a source checkout; this checks the installed package",
)
def test_the_installed_package_carries_its_migrations_and_resources() -> None:
    package = Path(itp_monitor.__file__).parent
    assert (package / "migrations" / "env.py").is_file()
    assert (package / "migrations" / "versions" / f"{HEAD_REVISION}.py").is_file()
    assert (package / "resources" / "protocol.toml").is_file()


def test_two_copies_upgraded_apart_give_their_shared_rows_the_same_uids(tmp_path: Path) -> None:
    """A laptop copied from the ward before ids travelled: each copy is upgraded on its own
    machine, and what they shared has the same uid in both, so a sync holds it once."""
    db = _fresh(tmp_path, "ward.sqlite")
    upgrade(db, "0004_preferences")
    with db.engine.begin() as connection:
        for table, rows in SEED_ROWS["0004_preferences"].items():
            for row in rows:
                columns = ", ".join(f'"{c}"' for c in row)
                values = ", ".join(f":{c}" for c in row)
                connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)
    db.dispose()
    copy = tmp_path / "laptop.sqlite"
    copy.write_bytes((tmp_path / "ward.sqlite").read_bytes())
    with sqlite3.connect(copy) as laptop:  # apart: the laptop corrects her weight
        laptop.execute("UPDATE patients SET weight_kg = 70.5 WHERE id = 1")
    laptop.close()
    uids = []
    for path in (tmp_path / "ward.sqlite", copy):
        upgraded = Database(resolve_location(str(path)))
        migrate(upgraded)
        uids.append(
            {t: [r["uid"] for r in _rows(upgraded, t)] for t in SEED_ROWS["0004_preferences"]}
        )
        upgraded.dispose()
    assert uids[0] == uids[1]  # her details changed: she is still the same registration
