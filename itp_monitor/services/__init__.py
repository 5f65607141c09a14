"""Use cases: record, correct, void, import, export. Own the transactions and the audit trail."""
