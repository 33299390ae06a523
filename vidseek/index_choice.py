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


@dataclass(frozen=True)
class IndexSpec:
    kind: str
    """'flat' (exact inner product), 'ivf' (inverted file, flat lists) or 'hnsw'."""
    nlist: int = 0
    """IVF: number of inverted lists (k-means cells)."""
    nprobe: int = 0
    """IVF: lists visited per query; set by calibration."""
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 128

    def describe(self) -> str:
        if self.kind == "flat":
            return "flat (exact inner product)"
        if self.kind == "ivf":
            return f"ivf (nlist={self.nlist}, nprobe={self.nprobe})"
        return f"hnsw (M={self.hnsw_m}, efSearch={self.ef_search})"


def ivf_lists(n_clips: int) -> int:
    """4·sqrt(N) rounded down to a power of two, at least 64: 2048 lists (~500 clips each) at 1M."""
    return max(64, 2 ** int(math.log2(max(1.0, 4 * math.sqrt(n_clips)))))


def training_size(nlist: int, n_clips: int) -> int:
    """k-means needs ~40 points per centroid to be stable; more only slows training."""
    return min(n_clips, 40 * nlist)


def choose_index(n_clips: int, requested: str = "auto") -> IndexSpec:
    if requested == "flat" or (requested == "auto" and n_clips < FLAT_MAX):
        return IndexSpec("flat")
    if requested == "hnsw":
        return IndexSpec("hnsw")
    return IndexSpec("ivf", nlist=ivf_lists(n_clips), nprobe=16)
