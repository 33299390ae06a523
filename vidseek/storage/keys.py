"""API keys: random bearer tokens, stored only as a SHA-256 hash plus a short prefix for display.

A key looks like ``vsk_`` + 43 URL-safe characters (32 random bytes). With that much entropy a plain
SHA-256 is the right hash (nothing to brute-force, no need for a slow password hash), and it lets a
presented key be found by an indexed lookup on its hash. The raw key is shown once, when created.

Functions take ``session`` as a keyword argument; ``create_key``, ``revoke_key`` and ``touch`` leave
the commit to the caller, like ``vidseek.storage.store``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vidseek.storage.clock import as_utc, utcnow
from vidseek.storage.tables import ApiKey

KEY_PREFIX = "vsk_"
PREFIX_CHARS = 8
"""Random characters kept (after ``vsk_``) to tell keys apart in listings."""
TOUCH_EVERY = timedelta(seconds=60)
"""``last_used_at`` is written at most this often per key, so reads do not each cost a write."""


class KeyLookupError(LookupError):
    """No key, or more than one, matches what was asked for."""


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def display_prefix(raw: str) -> str:
    return raw[: len(KEY_PREFIX) + PREFIX_CHARS]


def create_key(name: str, *, session: Session) -> tuple[ApiKey, str]:
    """A new key named ``name``: (its row, the raw key). The raw key is not stored anywhere."""
    name = name.strip()
    if not name:
        raise ValueError("a key needs a name, e.g. the person or tool that will use it")
    if len(name) > 128:
        raise ValueError("a key's name is at most 128 characters")
    raw = generate_key()
    row = ApiKey(name=name, prefix=display_prefix(raw), key_hash=hash_key(raw), created_at=utcnow())
    session.add(row)
    session.flush()
    return row, raw


def list_keys(*, session: Session, include_revoked: bool = True) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def active_key_count(*, session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at.is_(None))) or 0)


def find_key(ref: str, *, session: Session) -> ApiKey:
    """The key ``ref`` names: its id, its display prefix (or the start of it), or the whole raw key."""
    ref = ref.strip()
    if ref.isdigit():
        row = session.get(ApiKey, int(ref))
        if row is None:
            raise KeyLookupError(f"no API key has id {ref}")
        return row
    if len(ref) > len(KEY_PREFIX) + PREFIX_CHARS:
        row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(ref)))
        if row is None:
            raise KeyLookupError("no API key matches that key")
        return row
    if len(ref) < len(KEY_PREFIX) + 2:
        raise KeyLookupError(f"{ref!r} is too short to name a key: give its id or its prefix (e.g. vsk_AbC12345)")
    rows = [k for k in list_keys(session=session) if k.prefix.startswith(ref)]
    if not rows:
        raise KeyLookupError(f"no API key has the prefix {ref!r}")
    if len(rows) > 1:
        raise KeyLookupError(
            f"{len(rows)} keys have the prefix {ref!r}: give the id instead ({', '.join(str(k.id) for k in rows)})"
        )
    return rows[0]


def revoke_key(ref: str, *, session: Session) -> ApiKey:
    """Revoke the key ``ref`` names (see ``find_key``); revoking twice keeps the first time."""
    row = find_key(ref, session=session)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def verify_key(raw: str, *, session: Session) -> ApiKey | None:
    """The active key ``raw`` is, or None (unknown, malformed or revoked)."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 256:
        return None
    digest = hash_key(raw)
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
        return None
    return row


def touch(row: ApiKey, *, session: Session, now: datetime | None = None) -> bool:
    """Record that ``row`` was used (at most once per ``TOUCH_EVERY``); True when it changed."""
    now = now or utcnow()
    last = as_utc(row.last_used_at)
    if last is not None and now - last < TOUCH_EVERY:
        return False
    row.last_used_at = now
    return True


def key_json(row: ApiKey) -> dict:
    def iso(value: datetime | None) -> str | None:
        value = as_utc(value)
        return value.isoformat() if value is not None else None

    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": iso(row.created_at),
        "last_used_at": iso(row.last_used_at),
        "revoked_at": iso(row.revoked_at),
        "active": row.revoked_at is None,
    }
