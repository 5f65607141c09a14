"""What each guard (trigger) of a database at the newest revision is, as a fingerprint, so
that the check finds a guard dropped or replaced by one that lets everything through.

A fingerprint is a SHA-256 over what defines the guard: on SQLite its CREATE TRIGGER
statement as stored; on PostgreSQL its function's name and source, its arguments and
when it fires (not `pg_get_triggerdef`, whose wording may change between server
versions). EXPECTED is made by `python -m itp_monitor.storage.guard_prints` from newly
migrated databases; a test keeps it equal to what the migrations make, on both.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text


def fingerprints(connection: Connection) -> dict[str, str]:
    """Each guard of the database and its fingerprint."""
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        ).all()
        return {str(name): _digest(str(sql)) for name, sql in rows}
    rows = connection.execute(
        text(
            "SELECT t.tgname, p.proname, p.prosrc, encode(t.tgargs, 'escape'), t.tgtype, "
            "c.relname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal ORDER BY t.tgname"
        )
    ).all()
    return {str(row[0]): _digest("|".join(str(v) for v in row[1:])) for row in rows}


def _digest(definition: str) -> str:
    return hashlib.sha256(definition.encode()).hexdigest()[:16]


def expected(dialect: str) -> dict[str, str]:
    return EXPECTED[dialect]


EXPECTED: dict[str, dict[str, str]] = {
    "sqlite": {
        "accounts_keep_ids": "77090301bf221668",
        "accounts_no_delete": "433b00a19f8917f0",
        "adverse_events_keep_values": "a4eea8f4e49b169a",
        "adverse_events_no_delete": "81401708fdd5eb66",
        "adverse_events_status_audited": "c9654fdc361f2850",
        "audit_chain_no_delete": "8ce0bb1a1a7937c3",
        "audit_chain_no_update": "42120dc4aac87419",
        "audit_entries_no_delete": "f2ba38f583d1374a",
        "audit_entries_no_update": "50508457993b45a2",
        "bleeding_assessments_keep_values": "b392b7da926525d6",
        "bleeding_assessments_no_delete": "6ca3acfea2676f74",
        "bleeding_assessments_status_audited": "72638a17524d6c92",
        "conflicts_no_delete": "dc4445b74ed3946e",
        "conflicts_no_update": "3837bcdd16e0367d",
        "database_identity_no_delete": "21bb293ffda5f659",
        "database_identity_no_update": "2c35c86affbef6b1",
        "deliveries_keep_values": "bacfd558bed3f57f",
        "deliveries_no_delete": "ea00aa19ca31f2d8",
        "deliveries_status_audited": "e893d756fefc2038",
        "devices_keep_ids": "abacca645cdb6bd0",
        "injections_keep_values": "0e953404f35087a6",
        "injections_no_delete": "0e94f259cdbc0868",
        "injections_status_audited": "6811750f144aec7a",
        "neonatal_counts_keep_values": "56e155be5983a3ea",
        "neonatal_counts_no_delete": "a52d32b9308cc311",
        "neonatal_counts_status_audited": "c8af8afa8362cb93",
        "patients_keep_ids": "c934fc35939e055b",
        "patients_no_delete": "3107df8d44767e14",
        "platelet_counts_keep_values": "e15b1a935eaa737f",
        "platelet_counts_no_delete": "91778cd7819daa0e",
        "platelet_counts_status_audited": "c945728b1adb54fb",
        "preferences_keep_ids": "77831d774e5cf99d",
        "protocol_settings_no_delete": "09ced875ee4d88fc",
        "protocol_settings_no_update": "b3b964d0243e54c2",
        "settlements_no_delete": "8ca38975276d6476",
        "settlements_no_update": "2adbc63f895a7fb3",
        "syncs_no_delete": "14e6e09627fd69c5",
        "syncs_no_update": "935155857c95b2b4",
        "treatments_keep_values": "d87598c251e07312",
        "treatments_no_delete": "1dd080cfd46acf23",
        "treatments_status_audited": "cf2428623e0cc3bf",
    },
    "postgresql": {
        "accounts_keep_ids": "247ca30a55611b9f",
        "accounts_no_delete": "33644830d6838ef3",
        "adverse_events_keep_values": "542e1ff3fd503d91",
        "adverse_events_no_delete": "51354afcf6d14b9c",
        "adverse_events_status_audited": "d0eb4969e5b23c4d",
        "audit_chain_no_delete": "7fe9fa5b5f993cd3",
        "audit_chain_no_update": "6b5a31145b030a66",
        "audit_entries_no_delete": "b12097a6440a39a7",
        "audit_entries_no_update": "c9473771267be570",
        "bleeding_assessments_keep_values": "197576aedc498012",
        "bleeding_assessments_no_delete": "a85a81fc04697c7e",
        "bleeding_assessments_status_audited": "ffd8c4065fc5e0f3",
        "conflicts_no_delete": "862aa8b52d369f0f",
        "conflicts_no_update": "df6e8f51e4e52c31",
        "database_identity_no_delete": "70b9832f15c52a48",
        "database_identity_no_update": "071baa838dbfaafc",
        "deliveries_keep_values": "7cd8c16884481875",
        "deliveries_no_delete": "7f2605dbf3075a2c",
        "deliveries_status_audited": "bd7933a2c3dc1439",
        "devices_keep_ids": "00f7e3ff2a706f45",
        "injections_keep_values": "78cf8d8b65b580fd",
        "injections_no_delete": "85a85967bab23ac2",
        "injections_status_audited": "20ec78851daee55f",
        "neonatal_counts_keep_values": "dbd1321b8b164e36",
        "neonatal_counts_no_delete": "31f741cb6ab47517",
        "neonatal_counts_status_audited": "d92ced22c960c48b",
        "patients_keep_ids": "161a419a56272719",
        "patients_no_delete": "aa717d4ec9b8943a",
        "platelet_counts_keep_values": "367db9fd06336351",
        "platelet_counts_no_delete": "f60b3305b4d294e1",
        "platelet_counts_status_audited": "d0cee69d2bb89283",
        "preferences_keep_ids": "c029b16adb0cb2b0",
        "protocol_settings_no_delete": "dfff0a671065bb44",
        "protocol_settings_no_update": "ac51e879f8f198c5",
        "settlements_no_delete": "07da110a1b7a353d",
        "settlements_no_update": "a12531bc36611d6d",
        "syncs_no_delete": "0d770eeddc1be64d",
        "syncs_no_update": "c204b6914e4005a0",
        "treatments_keep_values": "5db848ef84aa93d0",
        "treatments_no_delete": "f3210fb4fc8936c7",
        "treatments_status_audited": "f8eb21aafdb85189",
    },
}


if __name__ == "__main__":  # prints EXPECTED for a newly migrated SQLite database
    import sys
    import tempfile
    from pathlib import Path

    from itp_monitor.storage.database import Database, resolve_location
    from itp_monitor.storage.migrate import migrate

    url = sys.argv[1] if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as folder:
        db = Database(resolve_location(url or str(Path(folder) / "new.sqlite")))
        migrate(db)
        with db.engine.connect() as connection:
            print(repr(fingerprints(connection)))
        db.dispose()
