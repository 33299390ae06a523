"""The SQL statements a block of code sends, seen by a SQLAlchemy event listener."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """The text of every statement ``engine`` sends to its driver while the block runs, in order."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def frame_reads(sent: list[str]) -> list[str]:
    """The statements that read frame windows (``substr`` on the frame blobs)."""
    return [s for s in sent if "frame_vectors" in s and "substr(" in s]
