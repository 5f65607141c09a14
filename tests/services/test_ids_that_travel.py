"""Ids that travel: every row the app writes has a uid unique everywhere and this database's
device; each database is its own device, whose name staff may change but whose id stays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import NOW, USER, count, hours_ago
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.results import PatientInfo
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import migrate
from itp_monitor.storage.models import CLINICAL_TABLES

TRAVELLING = (
    "patients",
    *(t.__tablename__ for t in CLINICAL_TABLES),
    "protocol_settings",
    "preferences",
    "audit_entries",
)


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Services]:
    """A second database, set up on its own as on a clinic laptop."""
    db = Database(resolve_location(str(tmp_path / "laptop.sqlite")))
    migrate(db)
    yield build_services(db, user="nurse.laptop", clock=lambda: NOW)
    db.dispose()


def _rows(db: Database, table: str) -> list[dict[str, Any]]:
    with db.reading() as session:
        return [dict(r._mapping) for r in session.execute(text(f"SELECT * FROM {table}"))]


def test_every_row_written_by_the_app_has_its_own_uid_and_this_device(
    services: Services, laptop: Services, tmp_path: Path
) -> None:
    services.demo.load()
    # a count on another database, carried here in a record file
    theirs = laptop.patients.add(PatientDetails("C3003", "Ann Poe", date(2027, 1, 20)))
    laptop.records.record(theirs.id, count(61))
    laptop.exchange.export_file(tmp_path / "ann.json", ["C3003"])
    services.exchange.import_file(tmp_path / "ann.json")
    # a woman admitted, and her counts saved, corrected and voided in the app
    jane = services.patients.add(PatientDetails("Z9001", "Jane Roe", date(2027, 1, 10)))
    first = services.records.record(jane.id, count(95, hours=5))
    services.records.correct(first.id, count(59, hours=5), "digits swapped")
    slip = services.records.record(jane.id, count(40, hours=3))
    services.records.void(PlateletCount, slip.id, "wrong patient")
    services.patients.correct(
        jane.id, PatientDetails("Z9001", "Jane Roe", date(2027, 1, 11)), "EDD revised"
    )
    services.patients.archive(jane.id, "moved to another hospital")
    # a laboratory file, a protocol change and remembered preferences
    lab = tmp_path / "labs.csv"
    taken = hours_ago(1)
    lab.write_text(
        f"MRN,Collected at,Platelets,Unit,Accession\nC3003,{taken:%Y-%m-%d %H:%M},44,G/L,L9\n"
    )
    assert services.labs.save(lab).patient_ids
    services.protocol.change("delivery_min", 60, "unit policy")
    services.labs.set_local_codes(["PLT"])
    services.labs.remember_mapping(["a", "b"], {"a": "mrn"})

    device = services.device.this().uid
    uids: dict[tuple[str, int], str] = {}
    for table in TRAVELLING:
        rows = _rows(services.db, table)
        assert rows, f"{table}: nothing written, so nothing checked"
        for row in rows:
            assert row["device"] == device, table
            uids[table, row["id"]] = row["uid"]
    assert len(set(uids.values())) == len(uids)  # distinct across every table
    assert laptop.device.this().uid != device
    # and each audit entry names the uid of what it is about
    tables = {"patient": "patients", "protocol_setting": "protocol_settings"}
    tables |= {t.__tablename__.removesuffix("s"): t.__tablename__ for t in CLINICAL_TABLES}
    tables["delivery"] = "deliveries"
    for entry in _rows(services.db, "audit_entries"):
        assert entry["record_uid"] == uids[tables[entry["entity"]], entry["record_id"]], entry


def test_two_databases_set_up_apart_are_two_devices(tmp_path: Path, laptop: Services) -> None:
    other = Database(resolve_location(str(tmp_path / "ward.sqlite")))
    try:
        migrate(other)
        ward = build_services(other, user=USER, clock=lambda: NOW)
        assert ward.device.this().uid != laptop.device.this().uid
        assert ward.device.this().name  # named after the computer until renamed
    finally:
        other.dispose()


def test_a_renamed_device_keeps_its_id_and_the_rename_is_audited(laptop: Services) -> None:
    before = laptop.device.this()
    renamed = laptop.device.rename("  Clinic laptop 2 ")
    assert (renamed.uid, renamed.name) == (before.uid, "Clinic laptop 2")
    assert laptop.device.this() == renamed
    entries = [e for e in _rows(laptop.db, "audit_entries") if e["entity"] == "device"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["action"], entry["user"], entry["record_uid"]) == (
        "setting",
        "nurse.laptop",
        before.uid,
    )
    assert '"Clinic laptop 2"' in entry["after"] and before.name in entry["before"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_device_name_must_be_given_and_short(laptop: Services, name: str) -> None:
    before = laptop.device.this()
    with pytest.raises(ValueError, match="name: is"):
        laptop.device.rename(name)
    assert laptop.device.this() == before


def _refused(db: Database, sql: str, match: str = "never change") -> None:
    with pytest.raises(IntegrityError, match=match), db.writing() as session:
        session.execute(text(sql))


@pytest.mark.parametrize("column", ["uid", "device"])
def test_the_uid_and_device_of_a_saved_row_cannot_be_changed(
    services: Services, patient: PatientInfo, column: str
) -> None:
    saved = services.records.record(patient.id, count(42))
    services.labs.set_local_codes(["PLT"])
    services.protocol.change("delivery_min", 60, "unit policy")
    before = {t: _rows(services.db, t) for t in TRAVELLING}
    other = "00000000-0000-0000-0000-000000000000"
    _refused(services.db, f"UPDATE platelet_counts SET {column} = '{other}' WHERE id = {saved.id}")
    # also together with a status change (refused by whichever guard meets it first)
    _refused(
        services.db,
        f"UPDATE platelet_counts SET status = 'voided', {column} = '{other}' WHERE id = {saved.id}",
        "never change|only with the audit entry",
    )
    for table in ("patients", "preferences", "audit_entries", "protocol_settings"):
        _refused(services.db, f"UPDATE {table} SET {column} = '{other}'")
    if column == "uid":
        _refused(services.db, f"UPDATE devices SET uid = '{other}'")
    assert {t: _rows(services.db, t) for t in TRAVELLING} == before
