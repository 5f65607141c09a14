"""Entry forms: one dialog for every kind of record, keyboard first."""
