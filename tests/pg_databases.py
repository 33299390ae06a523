"""Fresh databases on the local PostgreSQL for tests: created empty, dropped (connections forced
closed) afterwards; skipped when PostgreSQL is not reachable, unless VIDSEEK_REQUIRE_POSTGRES is set."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_DSN = os.environ.get("VIDSEEK_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


def admin_connection():  # noqa: ANN201 - psycopg is imported only when a PostgreSQL test runs
    """An autocommit connection to the maintenance database, or a skip (a failure under CI)."""
    import psycopg

    try:
        return psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("VIDSEEK_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL not reachable ({exc})")


@contextmanager
def fresh_databases(names: Iterator[str]) -> Iterator[Iterator[str]]:
    """SQLAlchemy URLs of new, empty databases, one per name as the caller asks for them; all are
    dropped when the block ends."""
    admin = admin_connection()
    made: list[str] = []

    def urls() -> Iterator[str]:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
            made.append(name)
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    try:
        yield urls()
    finally:
        gc.collect()  # engines are disposed with the test's objects
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
