"""Pure choice of FAISS index type and parameters from the collection size."""

from __future__ import annotations

from dataclasses import dataclass

FLAT_MAX = 200_000
"""Below this many clips exact search is fast enough (a few ms at 512-d on one core)."""


@dataclass(frozen=True)
class IndexSpec:
    kind: str
    """'flat' (exact inner product) or 'hnsw'."""
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 96

    def describe(self) -> str:
        if self.kind == "flat":
            return "flat (exact inner product)"
        return f"hnsw (M={self.hnsw_m}, efSearch={self.ef_search})"


def choose_index(n_clips: int, requested: str = "auto") -> IndexSpec:
    if requested == "flat" or (requested == "auto" and n_clips < FLAT_MAX):
        return IndexSpec("flat")
    return IndexSpec("hnsw")
