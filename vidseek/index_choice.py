"""Pure choice of FAISS index type and parameters from the collection size, in the spirit of
autofaiss: exact search while it is fast enough, an inverted file above that, its probe count
calibrated against exact search for the target recall."""

from __future__ import annotations

import math
from dataclasses import dataclass

FLAT_MAX = 20_000
"""Below this many clips exact search answers in about 2-4 ms on two cores (measured, BENCHMARKS.md)."""

TARGET_RECALL = 0.95
"""recall@10 against exact search that IVF probing is calibrated for (with a margin)."""

IVF_FLAT_MAX = 2_000_000
"""Above this, full vectors in RAM (2 KB a clip at 512-d) cost more than they are worth: product
quantisation keeps 128 bytes a clip, and grounding re-scores candidates on exact frame vectors."""

PQ_FETCH = 256
"""Product-quantised codes rank only roughly: a PQ search returns at least this many (or 8x the
clips asked for) and the search engine re-ranks them on the exact clip vectors stored in SQL.
Probing is calibrated for the true top 10 to be among these."""


@dataclass(frozen=True)
class IndexSpec:
    kind: str
    """'flat' (exact inner product), 'ivf' (inverted file, flat lists), 'ivfpq' (inverted file,
    product-quantised codes, optionally OPQ-rotated) or 'hnsw'."""
    nlist: int = 0
    """IVF: number of inverted lists (k-means cells)."""
    nprobe: int = 0
    """IVF: lists visited per query; set by calibration."""
    pq_m: int = 0
    """IVF-PQ: bytes per vector code (sub-quantisers of 8 bits)."""
    opq: bool = False
    """IVF-PQ: learn a rotation (OPQ) before quantising: better recall, slower training."""
    trained_on: int = 0
    """IVF kinds: clips in the collection when it was trained; retrained once it has grown 4x."""
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 512

    def describe(self) -> str:
        if self.kind == "flat":
            return "flat (exact inner product)"
        if self.kind == "ivf":
            return f"ivf (nlist={self.nlist}, nprobe={self.nprobe})"
        if self.kind == "ivfpq":
            return f"{'opq+' if self.opq else ''}ivfpq (nlist={self.nlist}, m={self.pq_m}, nprobe={self.nprobe})"
        return f"hnsw (M={self.hnsw_m}, efSearch={self.ef_search})"


def ivf_lists(n_clips: int) -> int:
    """4·sqrt(N) rounded down to a power of two, at least 64: 2048 lists (~500 clips each) at 1M."""
    return max(64, 2 ** int(math.log2(max(1.0, 4 * math.sqrt(n_clips)))))


def training_size(spec: "IndexSpec", n_clips: int) -> int:
    """k-means needs ~40 points per centroid to be stable (the IVF cells, and PQ's 256 codes per
    sub-quantiser); more only slows training."""
    return min(n_clips, max(40 * spec.nlist, 40 * 256 if spec.kind == "ivfpq" else 0))


def needs_retraining(spec: "IndexSpec", n_clips: int) -> bool:
    """An inverted file trained on a quarter of today's clips has too few, too crowded cells."""
    return spec.kind in ("ivf", "ivfpq") and spec.trained_on > 0 and n_clips >= 4 * spec.trained_on


def choose_index(n_clips: int, requested: str = "auto") -> IndexSpec:
    if requested == "flat" or (requested == "auto" and n_clips < FLAT_MAX):
        return IndexSpec("flat")
    if requested == "hnsw":
        return IndexSpec("hnsw")
    if requested in ("ivfpq", "opq") or (requested == "auto" and n_clips >= IVF_FLAT_MAX):
        return IndexSpec(
            "ivfpq", nlist=ivf_lists(n_clips), nprobe=16, pq_m=128, opq=requested == "opq", trained_on=n_clips
        )
    return IndexSpec("ivf", nlist=ivf_lists(n_clips), nprobe=16, trained_on=n_clips)


def outgrown(spec: IndexSpec, n_clips: int, requested: str = "auto") -> bool:
    """True when the collection should be re-indexed into a new structure: its size now calls for
    another type (auto only), or an inverted file needs retraining."""
    if requested == "auto" and choose_index(n_clips).kind != spec.kind:
        return True
    return needs_retraining(spec, n_clips)
