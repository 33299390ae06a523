"""Alembic environment: every run (the upgrade on open, or the ``alembic`` command) is one transaction
that first takes the migration lock, so processes opening one fresh database at once migrate it in
turn: the first creates the schema, the others then find it at head and do nothing.

- PostgreSQL: ``pg_advisory_xact_lock`` on a fixed key (released with the transaction). Without it,
  two processes both create the tables and one dies with ``UniqueViolation``.
- SQLite: ``BEGIN IMMEDIATE`` (the database's write lock, waited for up to the busy timeout). pysqlite
  runs DDL outside any transaction by itself, so without it concurrent first opens collide ("table
  ... already exists") and a failed run leaves half a schema.

A database already at head is not locked at all (one read), so opening it never waits for writers.

The scripts import nothing of vidseek: ``vidseek.storage.db`` reads this folder, and hands the tables'
metadata (for ``--autogenerate``) in ``config.attributes["target_metadata"]``.
"""

from __future__ import annotations

from alembic import context
from alembic.runtime.migration import MigrationContext
from sqlalchemy import engine_from_config, pool, text

config = context.config
target_metadata = config.attributes.get("target_metadata")

MIGRATION_LOCK_KEY = 7_236_286_054_915_031_301
"""The advisory lock key of vidseek's migrations (any fixed int64; advisory locks are per database)."""


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as conn, conn.begin():  # one transaction, as for the upgrade on open
        _run(conn)


def _run(connection) -> None:  # noqa: ANN001
    if not _already_at_head(connection):
        take_migration_lock(connection)
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _already_at_head(connection) -> bool:  # noqa: ANN001
    """The run's destination is where the database already is (the usual open): nothing will be
    written, so no lock is needed. Anything unclear takes the lock."""
    try:
        destination = context.get_revision_argument()  # "head" resolved to the revision id
    except Exception:  # noqa: BLE001 - relative or unknown revisions: just lock
        return False
    wanted = {destination} if isinstance(destination, str) else set(destination or ())
    return bool(wanted) and set(MigrationContext.configure(connection).get_current_heads()) == wanted


def take_migration_lock(connection) -> None:  # noqa: ANN001
    """Hold the migration lock until ``connection``'s transaction ends (see the module docstring)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif dialect == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # (in a transaction, its writes already hold the lock)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
