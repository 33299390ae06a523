"""The schema comes only from Alembic: empty database -> head -> base, on both backends."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from vidseek.db import alembic_config, open_database
from vidseek.models import Base


def test_upgrade_to_head_and_back_to_empty(database_url: str, data_dir) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    open_database(database_url)  # applies migrations on open
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables >= {"videos", "clips", "frame_vectors", "index_meta", "alembic_version"}
        for table in Base.metadata.sorted_tables:  # the models match what the migrations made
            columns = {c["name"] for c in inspect(engine).get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
        cfg = alembic_config(database_url)
        command.downgrade(cfg, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(cfg, "head")
        assert "clips" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
