"""Storage: SQLAlchemy models, engine and connection rules, migrations. Knows nothing of Qt."""
