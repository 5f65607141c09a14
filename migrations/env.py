"""Alembic environment: runs on the connection the app hands over (see storage/migrate.py)."""

from alembic import context

from itp_monitor.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "ITP Monitor runs its migrations itself on start: use itp_monitor.storage.migrate, "
        "not the alembic command with an .ini file."
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters a table by copying it; the app turns foreign keys off around it.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)

with context.begin_transaction():
    context.run_migrations()
