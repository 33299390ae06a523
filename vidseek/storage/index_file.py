"""The FAISS file and the index facts in SQL, for ``vidseek.storage.library``: the file read (or why it
cannot be used), whether the file on disk is newer, the database's index state, the difference that
brings an index up to it, and the spec recorded to load a model again."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from vidseek.storage import index_meta, store
from vidseek.storage.index_verdict import DatabaseState
from vidseek.vectors.index_files import IndexCorruptError
from vidseek.vectors.vector_index import ClipIndex


def read_index_file(path: Path, *, mmap: bool, verify: bool) -> tuple[ClipIndex | None, str | None]:
    """The index in the file, or None and why it cannot be used ("missing", "corrupt ...", "unreadable ...")."""
    if not path.exists():
        return None, "missing"
    try:
        return ClipIndex.load(path, mmap=mmap, verify=verify), None
    except IndexCorruptError:
        return None, "corrupt (its contents do not match the checksum saved with it)"
    except Exception as exc:  # noqa: BLE001 - unreadable or foreign file: it is derived, so rebuild it
        return None, f"unreadable ({exc})"


def index_state(session: Session) -> DatabaseState | None:
    """What ``session`` sees of the database's index state; None before any model."""
    dim = index_meta.get_meta("dim", session=session)
    if dim is None:
        return None
    return DatabaseState(
        int(dim),
        store.generation(session=session),
        store.count_clips(session=session),
        index_meta.get_meta("model", session=session),
    )


def difference(index: ClipIndex, session: Session) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """(ids gone, ids new, their vectors, generation) that bring ``index`` to what ``session`` sees, by
    difference of clip ids; None when vectors must go and this index type cannot remove them (rebuild)."""
    gen = store.generation(session=session)
    change = store.changes_since(index.generation, gen, session=session)
    if change is not None:  # the usual case: read just what the missed generations changed
        gone, new = change
        if len(gone) and not index.supports_remove:  # ids added and removed meanwhile are not in it
            gone = np.intersect1d(gone, index.ids())
    else:
        wanted = store.all_clip_ids(session=session)
        have = index.ids()
        gone = np.setdiff1d(have, wanted, assume_unique=True)
        new = np.setdiff1d(wanted, have, assume_unique=True)
    if len(gone) and not index.supports_remove:
        return None
    ids, vectors = store.clip_vectors_by_ids(new, session=session)
    if len(ids) == 0:
        vectors = np.zeros((0, index.dim), np.float32)
    return gone, ids, vectors, gen


def file_is_newer(path: Path, index: ClipIndex) -> bool:
    """The file at ``path`` is this database's index at ``index``'s generation or later (never save over it)."""
    header = ClipIndex.read_header(path)
    return (
        header is not None and header.get("uid") == index.uid and int(header.get("generation", -1)) >= index.generation
    )


def spec_key(model: str) -> str:
    """``index_meta`` key of the spec a model was loaded from (keys are short; names may not be)."""
    return "model_spec:" + hashlib.sha1(model.encode()).hexdigest()


def remember_spec(model: str, spec: str, session: Session) -> None:
    """Record ``spec`` as how to load ``model`` (``Library.remember_spec``), and commit."""
    current = index_meta.get_meta("model", session=session)
    if current is not None and current != model:
        return  # a different explicit model: refused where it is used, not recorded
    key = spec_key(model)
    recorded = index_meta.get_meta(key, session=session)
    if recorded == spec:
        return
    if recorded is None:
        index_meta.ensure_meta(key, spec, session=session)  # concurrent first writers: one wins
    else:
        index_meta.set_meta(key, spec, session=session)  # moved weights: the new place
    session.commit()
