"""The FAISS index of clip vectors, keyed by SQL clip id.

SQL is the truth; this file is derived from it. The file carries the SQL ``generation`` it
matches, so a stale or missing file is noticed on open and rebuilt from the stored vectors.
Saves are atomic: temp file (``.NAME.*.tmp`` beside it), fsync, rename; the temp file of a save that was
killed is removed by the next process to open the index (``remove_left_over_saves``, under the file lock).

File layout: the FAISS index exactly as ``faiss.write_index`` writes it, then a JSON header, its
length (u32) and ``VIDSEEK2``. FAISS data first lets FAISS memory-map the file itself
(``load(mmap=True)``: the inverted lists stay on disk, in the page cache, and several processes
share them); files of the earlier layout (``VIDSEEK1``, header first) are still read.

Index types that cannot remove vectors in place (``fastscan``, ``hnsw``) mark removed clips as
*tombstones*: their ids are kept, sorted, as int64 right after the FAISS data (the header's
``tombstones`` gives their number), searches pass FAISS an ``IDSelectorBitmap`` of the live entries,
and the next rebuild purges them (``index_choice.outgrown``).

The header carries ``blake2b``, the BLAKE2b digest of the FAISS data and tombstones, checked on load: a payload
damaged under an intact header (zeroed or overwritten vectors load silently in FAISS) raises
``IndexCorruptError`` instead of answering wrongly; the library then rebuilds the file from SQL. Files
saved before the checksum have none: they load as before and get one at their next save.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import struct
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterable

import faiss
import numpy as np

from vidseek.vectors.ann_tuning import calibration_queries, exact_top_k, recall_at_k, smallest_setting
from vidseek.vectors.coarse import fill_quantizer, quantizer_ef
from vidseek.vectors.faiss_types import (
    IVF_KINDS,
    K_FACTORS,
    Blocks,
    _apply_search_params,
    _gpu_count,
    _new_faiss,
    _padded,
    _training_sample,
    pq_bytes,
    rescored,
)
from vidseek.vectors.index_choice import PQ_FETCH, TARGET_RECALL, IndexSpec, choose_index, training_size
from vidseek.vectors.index_files import (
    _TRAILER,
    IndexCorruptError,
    _file_digest,
    _read_layout,
    check_index_path,
    payload_digest,
    temp_prefix,
)

TOMBSTONE_KINDS = ("fastscan", "hnsw")
"""Types whose FAISS index cannot remove vectors: removed clips become tombstones."""


SEARCH_THREADS = 0
"""OpenMP threads of a search, set in the searching thread only (OpenMP keeps the setting per thread,
so a build or a save in another thread keeps all cores); 0 leaves FAISS's default (all cores).
``vidseek serve`` sets 1: its requests already run in parallel, one thread each, and a one-query
search split over busy cores waits on the other half (at 1M clips on two busy cores ``fastscan``
took ~8 ms on two threads against ~1 ms on one)."""


class ClipIndex:
    def __init__(self, dim: int, spec: IndexSpec, generation: int = 0) -> None:
        self.dim = dim
        self.spec = spec
        self.generation = generation
        self.uid: str | None = None
        """The database this index belongs to (``index_meta.index_uid``); None for files from before it."""
        self._lock = threading.RLock()
        self.index = _new_faiss(dim, spec)
        self.read_only = False
        """Memory-mapped from its file (``load(mmap=True)``): searched, never changed (FAISS cannot)."""
        self.tombstones = np.zeros(0, np.int64)
        """Sorted ids of removed clips still stored (``TOMBSTONE_KINDS``); purged by a rebuild."""
        self._live: tuple[tuple[int, int], np.ndarray, object] | None = None

    @property
    def count(self) -> int:
        """Live clips (tombstones not counted)."""
        return int(self.index.ntotal) - len(self.tombstones)

    @property
    def supports_remove(self) -> bool:
        return self.spec.kind in ("flat", *IVF_KINDS, *TOMBSTONE_KINDS) and not self.read_only

    def _writable(self) -> None:
        if self.read_only:
            raise RuntimeError(
                "this index is memory-mapped from its file and cannot be changed; load it without mmap to change it"
            )

    def ids(self) -> np.ndarray:
        """Every clip id in the index (order unspecified)."""
        if self.spec.kind in IVF_KINDS:
            ivf = faiss.extract_index_ivf(self.index)
            lists = [
                faiss.rev_swig_ptr(ivf.invlists.get_ids(i), ivf.invlists.list_size(i)).copy()
                for i in range(ivf.nlist)
                if ivf.invlists.list_size(i)
            ]
            return np.concatenate(lists) if lists else np.zeros(0, np.int64)
        ids = faiss.vector_to_array(self.index.id_map)
        return ids[~np.isin(ids, self.tombstones)] if len(self.tombstones) else ids

    def _positions(self) -> np.ndarray:
        """Clip id of each stored entry, by position (a view: valid until the next ``add``)."""
        return faiss.rev_swig_ptr(self.index.id_map.data(), int(self.index.ntotal))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        self._writable()
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(self.tombstones) and np.isin(ids, self.tombstones).any():
            raise ValueError("a removed clip id was added again; clip ids are never reused, so rebuild the index")
        with self._lock:
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)

    def remove(self, ids: Iterable[int]) -> None:
        ids = np.fromiter(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        self._writable()
        if not self.supports_remove:
            raise NotImplementedError(f"{self.spec.kind} index cannot remove vectors; rebuild instead")
        with self._lock:
            if self.spec.kind in TOMBSTONE_KINDS:
                stored = ids[np.isin(ids, self._positions())]
                self.tombstones = np.union1d(self.tombstones, stored)
            else:
                self.index.remove_ids(ids)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, clip ids) of the ``k`` nearest clips, best first; ids of -1 are padding."""
        scores, ids, _gen = self.search_at(query, k)
        return scores, ids

    def search_at(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Like ``search``, plus the generation of the state that answered (read under the same lock)."""
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if SEARCH_THREADS:
            faiss.omp_set_num_threads(SEARCH_THREADS)  # OpenMP keeps it per calling thread
        with self._lock:
            k = max(1, min(k, self.count))
            if self.spec.kind in TOMBSTONE_KINDS:
                scores, ids = self._search_live(query, k)
            else:
                scores, ids = self._searcher().search(query, k)
            generation = self.generation
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep], generation

    def _search_live(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Search the index below the id map with the search parameters of its type, tombstones
        excluded by a bitmap of live positions; positions are mapped back to clip ids here."""
        selector = self._live_selector()
        inner = self.index.index
        if self.spec.kind == "fastscan":
            nprobe = max(1, self.spec.nprobe)
            coarse = faiss.SearchParametersHNSW(efSearch=quantizer_ef(nprobe)) if self.spec.coarse == "hnsw" else None
            ivf_params = faiss.SearchParametersIVF(nprobe=nprobe, sel=selector)
            if coarse is not None:
                ivf_params.quantizer_params = coarse  # ``coarse`` stays referenced until the search is done
            params = faiss.IndexRefineSearchParameters(
                k_factor=rescored(self.spec.k_factor, k) / k, base_index_params=ivf_params
            )
        else:
            params = faiss.SearchParametersHNSW(efSearch=self.spec.ef_search, sel=selector)
        scores, positions = inner.search(query, k, params=params)
        labels = self._positions()
        ids = np.where(positions >= 0, labels[np.maximum(positions, 0)], -1)
        return scores, ids

    def _live_selector(self):  # noqa: ANN202 - a faiss.IDSelectorBitmap, or None without tombstones
        """An ``IDSelectorBitmap`` of the positions of live entries, made again when entries or
        tombstones change (cached: the bitmap is N/8 bytes)."""
        if len(self.tombstones) == 0:
            return None
        state = (int(self.index.ntotal), len(self.tombstones))
        if self._live is None or self._live[0] != state:
            live = ~np.isin(self._positions(), self.tombstones)
            bits = np.packbits(live, bitorder="little")
            self._live = (state, bits, faiss.IDSelectorBitmap(len(live), faiss.swig_ptr(bits)))
        return self._live[2]

    def _searcher(self):  # noqa: ANN202
        """What searches run on: with the faiss-gpu build and a GPU, a copy of the index on the GPUs
        (made again after any change; the CPU index stays the one that is changed and saved),
        otherwise the index itself. Untested on a GPU here: none was available."""
        if _gpu_count() == 0 or self.spec.kind in TOMBSTONE_KINDS:
            return self.index
        state = (self.generation, self.count)
        if getattr(self, "_gpu_state", None) != state:
            try:
                self._gpu = faiss.index_cpu_to_all_gpus(self.index)
            except Exception:  # noqa: BLE001 - a type or code size the GPU build does not take: search on the CPU
                self._gpu = self.index
            self._gpu_state = state
        return self._gpu

    def apply(self, remove: Iterable[int], ids: np.ndarray, vectors: np.ndarray, generation: int) -> None:
        """Remove, add and move to ``generation`` as one step: a concurrent search sees all of it or none."""
        with self._lock:
            self.remove(remove)
            self.add(ids, vectors)
            self.generation = generation

    def save(self, path: Path) -> None:
        with self._lock:
            payload = faiss.serialize_index(self.index)
            tombstones = self.tombstones.astype("<i8").tobytes()
            digest = hashlib.blake2b(memoryview(payload).cast("B"), digest_size=32)
            digest.update(tombstones)
            header = json.dumps(
                {
                    "generation": self.generation,
                    "dim": self.dim,
                    "count": self.count,
                    "spec": dataclasses.asdict(self.spec),
                    "uid": self.uid,
                    "blake2b": digest.hexdigest(),
                    "tombstones": len(self.tombstones),
                }
            ).encode()
        check_index_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload.tobytes())
                f.write(tombstones)
                f.write(header + struct.pack("<I", len(header)) + _TRAILER)
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

    def calibrate(self, blocks: Blocks, sample: np.ndarray, target: float = TARGET_RECALL + 0.02) -> float:
        """Set ``nprobe`` to the smallest power of two reaching ``target`` recall (see ``build_index``)."""
        queries = calibration_queries(sample)
        truth = exact_top_k(queries, blocks(), k=10)
        if self.spec.kind == "fastscan":
            return self._calibrate_fastscan(queries, truth, target)
        ivf = faiss.extract_index_ivf(self.index)

        fetch = PQ_FETCH if self.spec.kind == "ivfpq" else 10

        def recall_of(nprobe: int) -> float:
            ivf.nprobe = nprobe
            return recall_at_k(self.index.search(queries, fetch)[1], truth)

        candidates = [2**i for i in range(int(np.log2(ivf.nlist)) + 1)]
        nprobe, recall = smallest_setting(candidates, recall_of, target)
        ivf.nprobe = nprobe
        self.spec = dataclasses.replace(self.spec, nprobe=nprobe)
        return recall

    def _calibrate_fastscan(self, queries: np.ndarray, truth: np.ndarray, target: float) -> float:
        """``k_factor`` and ``nprobe`` together: for each re-scoring factor of ``K_FACTORS`` the
        smallest power-of-two ``nprobe`` reaching ``target``, then the pair that answered the
        calibration queries fastest (or, when none reaches it, the best recall). More candidates
        re-scored never need more lists, so each factor searches only up to the last one's probes,
        and one that needs as many is not a candidate (more work for the same lists).
        At 1M clips 16x needed 128 of 4,096 lists; at 10M even all lists left 16x at recall 0.967:
        the codes' order, not the lists, was the limit there (BENCHMARKS.md)."""
        seconds: dict[tuple[int, int], float] = {}

        def recall_of(k_factor: int, nprobe: int) -> float:
            self.spec = dataclasses.replace(self.spec, k_factor=k_factor, nprobe=nprobe)
            started = time.perf_counter()
            found = np.stack([_padded(self.search(q, 10)[1], 10) for q in queries])
            seconds[(k_factor, nprobe)] = time.perf_counter() - started
            return recall_at_k(found, truth)

        tried: list[tuple[bool, float, float, int, int]] = []  # (reached, -seconds, recall, k_factor, nprobe)
        ceiling = self.spec.nlist
        for k_factor in K_FACTORS:
            candidates = [2**i for i in range(int(np.log2(ceiling)) + 1)]
            nprobe, recall = smallest_setting(candidates, lambda p, f=k_factor: recall_of(f, p), target)
            reached = recall >= target
            if reached and any(t[0] for t in tried) and nprobe == ceiling:
                continue  # as many lists as a smaller factor needed, more re-scoring: never faster
            tried.append((reached, -seconds[(k_factor, nprobe)] if reached else recall, recall, k_factor, nprobe))
            if reached:
                ceiling = nprobe
                if nprobe == 1:
                    break
        _reached, _rank, recall, k_factor, nprobe = max(tried)
        self.spec = dataclasses.replace(self.spec, k_factor=k_factor, nprobe=nprobe)
        return recall

    @staticmethod
    def read_header(path: Path) -> dict | None:
        """The header of an index file (generation, dim, count, spec, uid) without its vectors; None when
        the file is missing or not an index file."""
        try:
            with open(path, "rb") as f:
                return _read_layout(f)[0]
        except (OSError, ValueError):
            return None

    @classmethod
    def load(cls, path: Path, *, mmap: bool = False, verify: bool = True) -> "ClipIndex":
        """Read an index file. ``mmap``: let FAISS map the file instead of reading it (the inverted
        lists are paged in from disk as searches touch them; the result is read-only). ``verify``:
        check the FAISS data against the header's checksum (IndexCorruptError when it differs; a
        mapped load reads the file once for it)."""
        with open(path, "rb") as f:
            header, start, end = _read_layout(f)
            if header is None:
                raise ValueError(f"{path} is not a vidseek index file")
            expected = header.get("blake2b") if verify else None
            obj = cls.__new__(cls)
            obj.dim = int(header["dim"])
            obj.generation = int(header["generation"])
            obj.uid = header.get("uid")
            obj.spec = IndexSpec(**header["spec"])
            obj._lock = threading.RLock()
            obj._live = None
            obj.read_only = mmap and start == 0
            faiss_end = end - 8 * int(header.get("tombstones", 0))
            if obj.read_only:
                if expected is not None and _file_digest(f, start, end) != expected:
                    raise IndexCorruptError(f"{path}: its FAISS data does not match the checksum in its header")
                f.seek(faiss_end)
                obj.tombstones = np.frombuffer(f.read(end - faiss_end), dtype="<i8").astype(np.int64)
                obj.index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
            else:
                f.seek(start)
                data = f.read(end - start)
                if expected is not None and payload_digest(data) != expected:
                    raise IndexCorruptError(f"{path}: its FAISS data does not match the checksum in its header")
                obj.tombstones = np.frombuffer(data[faiss_end - start :], dtype="<i8").astype(np.int64)
                obj.index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8, count=faiss_end - start))
        _apply_search_params(obj.index, obj.spec)
        return obj


def _train_quietly(index, sample: np.ndarray) -> None:  # noqa: ANN001
    """Train ``index`` on ``sample`` without FAISS's "WARNING clustering N points to K centroids: please
    provide at least ..." lines on stderr. ``training_size`` chooses the sample on purpose (k-means is stable
    from ~40 points a centroid; a small library has fewer, and is trained on what it has); the warning is
    all that a clustering's ``min_points_per_centroid`` drives, so it is set to 1 on every clustering the
    index runs: the IVF cells, the product quantizer's codebooks, and OPQ's own quantizer. The k-means
    themselves, and so the index, are the same.

    An IVF-PQ index is trained without FAISS's polysemous step (``do_polysemous_training``, on by default):
    it only reorders each codebook's centroids so that Hamming distances between codes follow the real
    ones, which serves a search with a Hamming threshold (``polysemous_ht``), never used here. The
    centroids, and so every distance and answer, are the same; it took 2/3 of an IVF-PQ build's training
    (a 30,000-vector, 16-sub-quantizer build: 44.6 s against 13.4 s, the same top 10 for every query)."""
    ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
    ivf.cp.min_points_per_centroid = 1
    if hasattr(ivf, "do_polysemous_training"):
        ivf.do_polysemous_training = False
    pq = getattr(ivf, "pq", None)
    if pq is not None:
        pq.cp.min_points_per_centroid = 1
    keep = None
    if isinstance(index, faiss.IndexPreTransform):
        for i in range(index.chain.size()):
            transform = faiss.downcast_VectorTransform(index.chain.at(i))
            if isinstance(transform, faiss.OPQMatrix):
                keep = faiss.ProductQuantizer(transform.d_out, transform.M, 8)  # what OPQ trains by default
                keep.cp.min_points_per_centroid = 1
                transform.pq = keep
    try:
        index.train(sample)
    finally:
        if keep is not None:
            for i in range(index.chain.size()):
                transform = faiss.downcast_VectorTransform(index.chain.at(i))
                if isinstance(transform, faiss.OPQMatrix):
                    transform.pq = None  # it must not outlive ``keep``


def build_index(blocks: Blocks, *, dim: int, n: int, requested: str, generation: int) -> ClipIndex:
    """A fresh index over the (ids, vectors) blocks; the type is chosen from the size ``n``.

    An inverted file is trained on a sample, filled, then its ``nprobe`` is calibrated: the
    smallest power of two whose recall against exact search reaches the target (+0.02 margin):
    recall@10 for full vectors, the true top 10 among the first ``PQ_FETCH`` for PQ codes (which
    the search engine re-ranks exactly, see ``rerank``).
    """
    spec = choose_index(n, requested)
    if spec.kind == "ivfpq":
        spec = dataclasses.replace(spec, pq_m=pq_bytes(dim))
    if spec.kind == "fastscan":
        spec = dataclasses.replace(spec, pq_m=dim // 2) if dim % 2 == 0 else choose_index(n, "ivf")
    trained = (*IVF_KINDS, "fastscan")
    sample = None
    if spec.kind in trained:
        sample = _training_sample(blocks, n, training_size(spec, n))
        if len(sample) < max(spec.nlist, 256 if spec.kind == "ivfpq" else 0):
            spec = choose_index(0, "flat")  # too few clips to train the cells: exact is fast anyway
    index = ClipIndex(dim, spec, generation)
    if spec.coarse == "hnsw":
        fill_quantizer(index.index, sample)  # many lists: two-level k-means, then the HNSW graph over them
    if spec.kind in trained:
        _train_quietly(index.index, sample)
    for ids, vectors in blocks():
        index.add(ids, vectors)
    if spec.kind in trained:
        index.calibrate(blocks, sample)
    return index
