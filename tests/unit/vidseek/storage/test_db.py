"""Opening the database: which errors mean a damaged SQLite file, and which URLs are SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from vidseek.storage.db import damaged_sqlite, sqlite_file


def test_damaged_sqlite_tells_damage_from_other_errors() -> None:
    class Fake(sqlite3.DatabaseError):
        def __init__(self, message: str, code: int) -> None:
            super().__init__(message)
            self.sqlite_errorcode = code

    assert damaged_sqlite(Fake("file is not a database", 26)) == "file is not a database"
    assert damaged_sqlite(Fake("database disk image is malformed", 11 | (1 << 8))) == "database disk image is malformed"
    assert damaged_sqlite(Fake("database is locked", 5)) is None  # busy: not damage
    assert damaged_sqlite(ValueError("x")) is None
    assert sqlite_file("sqlite:////tmp/x/vidseek.db") == Path("/tmp/x/vidseek.db")
    assert sqlite_file("sqlite://") is None and sqlite_file("postgresql+psycopg://u@h/db") is None
