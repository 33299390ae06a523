"""cues: timed subtitle text of each video, searchable by the database's own full-text engine

``cues`` holds one row per subtitle cue; ``videos.sidecars`` the names, sizes and mtimes of the
subtitle files the row was read with (a changed one makes the row stale). Full text: on SQLite an
external-content FTS5 table ``cues_fts`` over ``cues.text``, kept in step by triggers; on PostgreSQL
a GIN index on ``to_tsvector('simple', text)`` (the 'simple' configuration: no stemming and no stop
words, so any language's words match as written).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE cues_fts USING fts5(text, content='cues', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER cues_fts_insert AFTER INSERT ON cues BEGIN "
    "INSERT INTO cues_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER cues_fts_delete AFTER DELETE ON cues BEGIN "
    "INSERT INTO cues_fts(cues_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER cues_fts_update AFTER UPDATE ON cues BEGIN "
    "INSERT INTO cues_fts(cues_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO cues_fts(rowid, text) VALUES (new.id, new.text); END",
]


def upgrade() -> None:
    op.add_column("videos", sa.Column("sidecars", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "cues",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("video_id", sa.Integer, sa.ForeignKey("videos.id", ondelete="CASCADE"), nullable=False),
        sa.Column("start", sa.Float, nullable=False),
        sa.Column("end", sa.Float, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("lang", sa.String(35), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_cues_video_id", "cues", ["video_id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute("CREATE INDEX ix_cues_text_fts ON cues USING gin (to_tsvector('simple', text))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("cues_fts_insert", "cues_fts_delete", "cues_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS cues_fts")
    op.drop_table("cues")
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("sidecars")
