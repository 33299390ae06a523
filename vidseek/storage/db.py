"""Engine and sessions; the schema is brought to the newest migration on open.

``open_sessions`` is how every command and server opens the database: a SQLite file is opened
under ``<db>.lock`` (its first connection switches a new file to WAL, which concurrent first opens
would otherwise fail with "database is locked"; migrations take their own lock, see
``migrations/env.py``). A file that is not a SQLite database, or a damaged one, is a
``StorageError`` naming it: nothing is written to it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

import migrations
from vidseek.errors import StorageError
from vidseek.storage.filelock import locked
from vidseek.storage.tables import Base

MIGRATIONS_DIR = Path(migrations.__file__).parent
"""The Alembic scripts: a folder this module reads (``migrations/`` imports nothing of vidseek)."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["target_metadata"] = Base.metadata  # what ``alembic revision --autogenerate`` compares
    return cfg


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API objects
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade_to_head(engine: Engine) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_database(url: str) -> sessionmaker[Session]:
    """Connect, migrate to head, and return a session factory."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade_to_head(engine)
    return sessionmaker(engine, expire_on_commit=False)


def open_sessions(url: str) -> sessionmaker[Session]:
    """``open_database``, under ``<file>.lock`` for SQLite; a file that is not a readable SQLite
    database is a StorageError naming it (nothing written to it)."""
    path = sqlite_file(url)
    try:
        if path is None:
            return open_database(url)
        with locked(path.with_name(path.name + ".lock")):
            return open_database(url)
    except DatabaseError as exc:
        why = path is not None and damaged_sqlite(exc.orig)
        if not why:
            raise
        raise StorageError(
            f"The database file {path} is not a readable vidseek database ({why}): restore it "
            "from a backup, or move it away and run `vidseek index` again to build a new one "
            "(nothing was written to it)."
        ) from None


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def damaged_sqlite(error: BaseException | None) -> str | None:
    """SQLite's words when ``error`` says the file is damaged or not a database at all, else None."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None or code & 0xFF not in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return None
    return str(error).splitlines()[0] if str(error) else "damaged"
