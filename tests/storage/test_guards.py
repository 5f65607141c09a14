"""The database itself refuses to lose or rewrite what was saved, whatever SQL is sent."""

from __future__ import annotations

import pytest
from helpers import count
from postgres import on_both_databases
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from itp_monitor.domain.records import PlateletCount
from itp_monitor.services.container import Services
from itp_monitor.services.results import PatientInfo
from itp_monitor.storage.database import Database

pytestmark = on_both_databases  # the triggers have a PostgreSQL form: it is tested too


def _raw(db: Database, sql: str) -> None:
    with db.writing() as session:
        session.execute(text(sql))


@pytest.fixture
def audited(services: Services, patient: PatientInfo) -> int:
    """A patient with one count, so the audit trail has entries; returns the count's id."""
    return services.records.record(patient.id, count(42)).id


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_entries SET reason = 'tidied up'",
        """UPDATE audit_entries SET "user" = 'someone else' WHERE action = 'create'""",
        "DELETE FROM audit_entries",
        "DELETE FROM audit_entries WHERE id = (SELECT max(id) FROM audit_entries)",
    ],
)
def test_audit_entries_cannot_be_changed_or_deleted(db: Database, audited: int, sql: str) -> None:
    with db.reading() as session:
        before = session.execute(text("SELECT * FROM audit_entries ORDER BY id")).all()
    assert before
    with pytest.raises(IntegrityError, match="never changed or deleted"):
        _raw(db, sql)
    with db.reading() as session:
        assert session.execute(text("SELECT * FROM audit_entries ORDER BY id")).all() == before


def test_a_clinical_record_cannot_be_deleted(db: Database, audited: int) -> None:
    with pytest.raises(IntegrityError, match="never deleted; void them"):
        _raw(db, f"DELETE FROM platelet_counts WHERE id = {audited}")


def test_a_patient_cannot_be_deleted(db: Database, patient: PatientInfo) -> None:
    with pytest.raises(IntegrityError, match="archive them"):
        _raw(db, f"DELETE FROM patients WHERE id = {patient.id}")


@pytest.mark.parametrize(
    "change",
    [
        "value = 99",
        "collected_at = '2026-11-01 08:00:00.000000'",
        "entered_by = 'someone else'",
        "status = 'current', value = 43",
    ],
)
def test_a_saved_value_cannot_be_rewritten(db: Database, audited: int, change: str) -> None:
    with pytest.raises(IntegrityError, match="never changed; correct or void"):
        _raw(db, f"UPDATE platelet_counts SET {change} WHERE id = {audited}")
    with db.reading() as session:
        assert (
            session.execute(
                text(f"SELECT value FROM platelet_counts WHERE id = {audited}")
            ).scalar()
            == 42
        )


def test_a_voided_record_cannot_be_brought_back(
    db: Database, services: Services, audited: int
) -> None:
    services.records.void(PlateletCount, audited, "entered in error")
    with pytest.raises(IntegrityError):
        _raw(db, f"UPDATE platelet_counts SET status = 'current' WHERE id = {audited}")


@pytest.mark.parametrize("status", ["voided", "corrected"])
def test_a_status_never_changes_without_its_audit_entry(
    db: Database, audited: int, status: str
) -> None:
    """Voiding a count past the app, with no entry saying who and why, is refused."""
    with pytest.raises(IntegrityError, match="only with the audit entry"):
        _raw(db, f"UPDATE platelet_counts SET status = '{status}' WHERE id = {audited}")
    with db.reading() as session:
        held = session.execute(text(f"SELECT status FROM platelet_counts WHERE id = {audited}"))
        assert held.scalar() == "current"


def test_replace_meets_the_guards(db: Database, audited: int) -> None:
    """INSERT OR REPLACE deletes the row it replaces: with recursive triggers on, the delete
    guards refuse it, so neither an audit entry nor a count is rewritten that way."""
    if not db.is_sqlite:
        pytest.skip("REPLACE is SQLite's")
    with pytest.raises(IntegrityError, match="never changed or deleted"):
        _raw(
            db,
            "INSERT OR REPLACE INTO audit_entries SELECT id, at_utc, 'someone else', action, "
            "entity, record_id, original_id, patient_id, before, after, reason, record_uid, "
            "uid, device FROM audit_entries WHERE id = (SELECT min(id) FROM audit_entries)",
        )
    with pytest.raises(IntegrityError, match="never deleted"):
        _raw(
            db,
            "INSERT OR REPLACE INTO platelet_counts (id, patient_id, collected_at, value, "
            "source, status, entered_at_utc, entered_by, uid, device) SELECT id, patient_id, "
            "collected_at, 99, source, status, entered_at_utc, entered_by, uid, device "
            f"FROM platelet_counts WHERE id = {audited}",
        )


def test_protocol_setting_history_is_append_only(db: Database) -> None:
    _raw(
        db,
        "INSERT INTO protocol_settings (key, value, set_at_utc, set_by, reason, uid, device, "
        "replaces) VALUES ('delivery_min', 60, '2026-01-01', 'dr.x', 'unit policy', 'u1', "
        "'d1', '[]')",
    )
    for sql in ("UPDATE protocol_settings SET value = 40", "DELETE FROM protocol_settings"):
        with pytest.raises(IntegrityError):
            _raw(db, sql)


def test_check_constraints_refuse_implausible_values(db: Database, patient: PatientInfo) -> None:
    with pytest.raises(IntegrityError, match="value_plausible"):
        _raw(
            db,
            "INSERT INTO platelet_counts (patient_id, collected_at, value, source, status, "
            f"entered_at_utc, entered_by, uid, device) VALUES ({patient.id}, '2026-11-01', "
            "45000, 'lab', 'current', '2026-11-01', 'x', 'u1', 'd1')",
        )
