"""The FAISS index of clip vectors, keyed by SQL clip id.

SQL is the truth; this file is derived from it. The file carries the SQL ``generation`` it
matches, so a stale or missing file is noticed on open and rebuilt from the stored vectors.
Saves are atomic: temp file, fsync, rename.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterable

import faiss
import numpy as np

from vidseek.index_choice import IndexSpec, choose_index

_MAGIC = b"VIDSEEK1"


class ClipIndex:
    def __init__(self, dim: int, spec: IndexSpec, generation: int = 0) -> None:
        self.dim = dim
        self.spec = spec
        self.generation = generation
        self._lock = threading.RLock()
        if spec.kind == "flat":
            base = faiss.IndexFlatIP(dim)
        else:
            base = faiss.IndexHNSWFlat(dim, spec.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = spec.ef_construction
            base.hnsw.efSearch = spec.ef_search
        self.index = faiss.IndexIDMap2(base)

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    @property
    def supports_remove(self) -> bool:
        return self.spec.kind == "flat"

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        with self._lock:
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                    np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: Iterable[int]) -> None:
        ids = np.fromiter(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        if not self.supports_remove:
            raise NotImplementedError(f"{self.spec.kind} index cannot remove vectors; rebuild instead")
        with self._lock:
            self.index.remove_ids(ids)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, clip ids) of the ``k`` nearest clips, best first; ids of -1 are padding."""
        k = max(1, min(k, self.count))
        with self._lock:
            scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def save(self, path: Path) -> None:
        header = json.dumps({"generation": self.generation, "dim": self.dim, "kind": self.spec.kind,
                             "count": self.count}).encode()
        with self._lock:
            payload = faiss.serialize_index(self.index)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".clips-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC + struct.pack("<I", len(header)) + header)
                f.write(payload.tobytes())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @classmethod
    def load(cls, path: Path) -> "ClipIndex":
        data = path.read_bytes()
        if not data.startswith(_MAGIC):
            raise ValueError(f"{path} is not a vidseek index file")
        (n,) = struct.unpack("<I", data[8:12])
        header = json.loads(data[12 : 12 + n])
        obj = cls.__new__(cls)
        obj.dim = int(header["dim"])
        obj.generation = int(header["generation"])
        obj.spec = IndexSpec(header["kind"])
        obj._lock = threading.RLock()
        obj.index = faiss.deserialize_index(np.frombuffer(data[12 + n :], dtype=np.uint8))
        if obj.spec.kind == "hnsw":
            faiss.downcast_index(obj.index.index).hnsw.efSearch = IndexSpec("hnsw").ef_search
        return obj


def build_index(blocks: Iterable[tuple[np.ndarray, np.ndarray]], *, dim: int, n: int, requested: str,
                generation: int) -> ClipIndex:
    """A fresh index over (ids, vectors) blocks; the type is chosen from the size ``n``."""
    index = ClipIndex(dim, choose_index(n, requested), generation)
    for ids, vectors in blocks:
        index.add(ids, vectors)
    return index


def open_index(path: Path, *, dim: int, n_clips: int, generation: int, requested: str,
               blocks: Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]],
               notify: Callable[[str], None] = lambda _m: None) -> ClipIndex:
    """Load the FAISS file; rebuild it from SQL when missing, unreadable or not at ``generation``."""
    reason = None
    index = None
    if not path.exists():
        reason = "missing"
    else:
        try:
            index = ClipIndex.load(path)
        except Exception as exc:  # corrupt or foreign file: it is derived, so rebuild it
            reason = f"unreadable ({exc})"
        else:
            if index.generation != generation or index.count != n_clips or index.dim != dim:
                reason = (f"stale (file at generation {index.generation} with {index.count} clips, "
                          f"database at generation {generation} with {n_clips} clips)")
            elif requested != "auto" and index.spec.kind != requested:
                reason = f"of type {index.spec.kind}, settings ask for {requested}"
    if reason is None and index is not None:
        return index
    if n_clips == 0 and reason == "missing":
        return ClipIndex(dim, choose_index(0, requested), generation)
    notify(f"FAISS index {path} is {reason}; rebuilding it from the {n_clips} clips in the database.")
    index = build_index(blocks(), dim=dim, n=n_clips, requested=requested, generation=generation)
    index.save(path)
    return index
