"""cue terms: each cue's words analysed by its language, the one thing both full-text engines index

``cues.terms`` holds a cue's index terms, space-separated (``vidseek.said.text_analysis``: NFKC, case
and accent folding, Snowball stems by the cue's language, CJK runs as character bigrams); this
migration fills it for the cues already stored (from their text and language: no video is read
again) and records the stemmers used (``index_meta`` rows ``cue_stemmer:NAME``). Full text then
reads ``terms`` only, split at spaces: on SQLite the FTS5 table ``cues_fts`` is rebuilt over it
(``ascii`` tokenizer with ``.,:`` as word characters: every non-ASCII character is part of a word,
so the terms are taken as they are); on PostgreSQL a stored generated column ``terms_tsv`` holds
``vidseek_cue_terms(terms)``, a tsvector read from the terms as written (each at its position, no
parser), with a GIN index on it in place of the index on ``to_tsvector('simple', text)`` (stored, so
ranking reads it instead of rebuilding it for every matching line). So both databases hold the same
terms at the same positions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from vidseek.said import text_analysis

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BLOCK = 2000

_SQLITE_TRIGGERS = ("cues_fts_insert", "cues_fts_delete", "cues_fts_update")


def _sqlite_fts(column: str, tokenize: str) -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE cues_fts USING fts5({column}, content='cues', content_rowid='id', tokenize=\"{tokenize}\")",
        "CREATE TRIGGER cues_fts_insert AFTER INSERT ON cues BEGIN "
        f"INSERT INTO cues_fts(rowid, {column}) VALUES (new.id, new.{column}); END",
        "CREATE TRIGGER cues_fts_delete AFTER DELETE ON cues BEGIN "
        f"INSERT INTO cues_fts(cues_fts, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
        "CREATE TRIGGER cues_fts_update AFTER UPDATE ON cues BEGIN "
        f"INSERT INTO cues_fts(cues_fts, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
        f"INSERT INTO cues_fts(rowid, {column}) VALUES (new.id, new.{column}); END",
        "INSERT INTO cues_fts(cues_fts) VALUES ('rebuild')",
    ]


TERMS_TOKENIZER = "ascii tokenchars '.,:'"
OLD_TOKENIZER = "unicode61 remove_diacritics 0"

PG_TERMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION vidseek_cue_terms(terms text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(
    '''' || replace(replace(t, '\', '\\'), '''', '''''') || ''':' || least(n, 16383), ' '), '')::tsvector
  FROM unnest(string_to_array(terms, ' ')) WITH ORDINALITY AS u(t, n) WHERE t <> ''
$$
"""


def _drop_sqlite_fts() -> None:
    for name in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS cues_fts")


def _fill_terms() -> None:
    """Every stored cue's terms, from its text and language, in blocks by id; and the stemmers used."""
    bind = op.get_bind()
    stemmers: set[str] = set()
    last = 0
    while True:
        rows = bind.execute(
            sa.text("SELECT id, text, lang FROM cues WHERE id > :last ORDER BY id LIMIT :n"), {"last": last, "n": BLOCK}
        ).all()
        if not rows:
            break
        bind.execute(
            sa.text("UPDATE cues SET terms = :terms WHERE id = :id"),
            [{"id": id_, "terms": text_analysis.index_text(text, lang)} for id_, text, lang in rows],
        )
        stemmers |= {text_analysis.stemmer_of(lang) for _, _, lang in rows} - {None}
        last = rows[-1][0]
    for name in sorted(stemmers):
        key = f"cue_stemmer:{name}"
        if bind.execute(sa.text("SELECT 1 FROM index_meta WHERE key = :k"), {"k": key}).first() is None:
            bind.execute(sa.text("INSERT INTO index_meta (key, value) VALUES (:k, '1')"), {"k": key})


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_sqlite_fts()  # before the column fills: the old triggers would re-index every row
    else:
        op.execute("DROP INDEX IF EXISTS ix_cues_text_fts")
    op.add_column("cues", sa.Column("terms", sa.Text, nullable=False, server_default=""))
    _fill_terms()
    if sqlite:
        for statement in _sqlite_fts("terms", TERMS_TOKENIZER):
            op.execute(statement)
    else:
        op.execute(PG_TERMS_FUNCTION)
        op.execute(
            "ALTER TABLE cues ADD COLUMN terms_tsv tsvector GENERATED ALWAYS AS (vidseek_cue_terms(terms)) STORED"
        )
        op.execute("CREATE INDEX ix_cues_terms_fts ON cues USING gin (terms_tsv)")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_sqlite_fts()
    else:
        op.execute("DROP INDEX IF EXISTS ix_cues_terms_fts")
        op.execute("ALTER TABLE cues DROP COLUMN IF EXISTS terms_tsv")
        op.execute("DROP FUNCTION IF EXISTS vidseek_cue_terms(text)")
    op.execute("DELETE FROM index_meta WHERE key LIKE 'cue_stemmer:%'")
    op.execute("ALTER TABLE cues DROP COLUMN terms")  # in place: re-creating cues would cascade to cue_vectors
    if sqlite:
        for statement in _sqlite_fts("text", OLD_TOKENIZER):
            op.execute(statement)
    else:
        op.execute("CREATE INDEX ix_cues_text_fts ON cues USING gin (to_tsvector('simple', text))")
