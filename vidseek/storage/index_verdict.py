"""Why a FAISS file must be used, patched or rebuilt, from its header and the database's state (pure).

The FAISS file is a checkpoint derived from the database: the library reads its header, asks
``file_verdict``, and only then does the IO (load, patch by clip-id difference, or rebuild).
"""

from __future__ import annotations

from typing import Literal, NamedTuple, Protocol

from vidseek.vectors.index_choice import PURGE_FRACTION, choose_index


class _Spec(Protocol):
    kind: str


class _Header(Protocol):
    dim: int
    uid: str | None
    generation: int
    count: int
    tombstones: object

    @property
    def spec(self) -> _Spec: ...


class FileFacts(NamedTuple):
    """What an index file's header says about it."""

    dim: int
    kind: str
    uid: str | None
    generation: int
    count: int
    tombstones: int = 0
    """Entries marked removed but still stored (``fastscan``, ``hnsw``)."""

    @classmethod
    def of(cls, index: _Header) -> FileFacts:
        return cls(index.dim, index.spec.kind, index.uid, index.generation, index.count, len(index.tombstones))


class DatabaseState(NamedTuple):
    """What the database says the index must hold."""

    dim: int
    generation: int
    count: int
    """Clips in the database."""
    model: str | None


Verdict = Literal["use", "patch", "rebuild"]


def file_verdict(
    file: FileFacts, *, dim: int, generation: int, count: int, uid: str, requested: str
) -> tuple[Verdict, str | None]:
    """What to do with a readable index file, given the database's state:
    ``("use", None)``, ``("patch", why)`` (stale: brought up to date by clip-id difference) or
    ``("rebuild", why)``."""
    if file.dim != dim:
        return "rebuild", f"for vectors of dimension {file.dim}, the database has {dim}"
    if requested != "auto" and file.kind != choose_index(count, requested).kind:
        return "rebuild", f"of type {file.kind}, settings ask for {requested}"
    if file.uid is not None and file.uid != uid:
        return "rebuild", "from another database"
    if file.generation > generation:
        return "rebuild", f"ahead of the database (file at generation {file.generation}, database at {generation})"
    stored = file.count + file.tombstones
    if file.tombstones and file.tombstones >= PURGE_FRACTION * stored:
        # a purge that was killed (or never ran) left them: the rebuild from the database purges them
        return "rebuild", (
            f"holding {file.tombstones} markers of deleted clips ({file.tombstones / stored:.0%} of its entries, "
            f"purged from {PURGE_FRACTION:.0%})"
        )
    if file.generation == generation and file.count == count:
        return "use", None
    stale = (
        f"stale (file at generation {file.generation} with {file.count} clips, "
        f"database at generation {generation} with {count} clips)"
    )
    if file.uid is None:  # a file from before ids were tied to a database: cannot be patched
        return "rebuild", stale
    return "patch", stale
