"""The schema comes only from Alembic: empty database -> head -> base, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from alembic import command
from pg_databases import fresh_databases
from sqlalchemy import create_engine, inspect, text

from vidseek.storage.db import alembic_config, open_database
from vidseek.storage.tables import POSTGRESQL_ONLY_COLUMNS, Base


def test_upgrade_to_head_and_back_to_empty(database_url: str, data_dir) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    open_database(database_url)  # applies migrations on open
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables >= {"videos", "clips", "frame_vectors", "index_meta", "alembic_version"}
        extra = POSTGRESQL_ONLY_COLUMNS if engine.dialect.name == "postgresql" else {}
        for table in Base.metadata.sorted_tables:  # the models match what the migrations made
            columns = {c["name"] for c in inspect(engine).get_columns(table.name)}
            assert columns == {c.name for c in table.columns} | extra.get(table.name, set()), table.name
        cfg = alembic_config(database_url)
        command.downgrade(cfg, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(cfg, "head")
        assert "clips" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


# ------------------------------------------------- processes opening one fresh database at once

_OPENER = r"""
import sys
from vidseek.storage.db import open_sessions  # how every command and server opens the database
print("ready", flush=True)
for line in sys.stdin:  # one database URL per round: open it the moment the line arrives
    try:
        open_sessions(line.strip()).kw["bind"].dispose()
        print("ok", flush=True)
    except Exception as exc:
        print(f"{type(exc).__name__}: {str(exc).splitlines()[0]}", flush=True)
"""

OPENERS = 4
ROUNDS = 5


def _fresh_databases(backend: str, tmp_path) -> Iterator[str]:  # noqa: ANN001
    """A fresh, empty database per round: a new SQLite file, or a new database on the local PostgreSQL."""
    if backend == "sqlite":
        for n in range(ROUNDS):
            yield f"sqlite:///{tmp_path / f'round{n}' / 'vidseek.db'}"
        return
    with fresh_databases(f"vidseek_race_{os.getpid()}_{n}" for n in range(ROUNDS)) as urls:
        yield from urls


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_opening_a_fresh_database_at_once_all_succeed(backend: str, tmp_path) -> None:  # noqa: ANN001
    """Two indexers, or `serve` and `worker`, started together on a new database: each runs the upgrade
    on open. Without the migration lock most of them died (UniqueViolation on PostgreSQL, "table
    already exists" on SQLite) in every round."""
    for n in range(ROUNDS):
        (tmp_path / f"round{n}").mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPENER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[4],
        )
        for _ in range(OPENERS)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        for url in _fresh_databases(backend, tmp_path):
            for proc in procs:  # all at once: each has everything imported and waits for this line
                proc.stdin.write(url + "\n")
                proc.stdin.flush()
            results = [proc.stdout.readline().strip() for proc in procs]
            assert results == ["ok"] * OPENERS, (url, results)
            engine = create_engine(url)
            try:
                assert "clips" in inspect(engine).get_table_names()
                with engine.connect() as conn:  # migrated exactly once
                    assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            finally:
                engine.dispose()
    finally:
        for proc in procs:
            proc.stdin.close()
            proc.wait(timeout=60)


def test_opening_a_database_at_head_takes_no_write_lock(tmp_path) -> None:  # noqa: ANN001
    """SQLite: a process opening a migrated database while another holds a long write transaction
    does not wait for it (the migration lock is only taken when there is something to migrate)."""
    url = f"sqlite:///{tmp_path / 'vidseek.db'}"
    open_database(url).kw["bind"].dispose()
    import sqlite3
    import time

    writer = sqlite3.connect(tmp_path / "vidseek.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a writer mid-transaction
    try:
        started = time.monotonic()
        open_database(url).kw["bind"].dispose()
        assert time.monotonic() - started < 5
    finally:
        writer.execute("ROLLBACK")
        writer.close()
