"""The ``index_meta`` table: small named facts of the library (its model, dimension, uid, the specs
recorded for models), read and written one key at a time."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vidseek.storage.tables import IndexMeta


def get_meta(key: str, *, session: Session) -> str | None:
    row = session.get(IndexMeta, key)
    return row.value if row else None


def set_meta(key: str, value: str, *, session: Session) -> None:
    row = session.get(IndexMeta, key)
    if row is None:
        session.add(IndexMeta(key=key, value=value))
    else:
        row.value = value


def ensure_meta(key: str, value: str, *, session: Session) -> None:
    """Insert the row unless it exists, without failing when another transaction inserts it at the
    same moment (``ON CONFLICT DO NOTHING``: concurrent first writers do not collide)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover
        if get_meta(key, session=session) is None:
            set_meta(key, value, session=session)
        return
    session.execute(insert(IndexMeta).values(key=key, value=value).on_conflict_do_nothing(index_elements=["key"]))
