"""Pure choice of FAISS index type and parameters from the collection size, in the spirit of
autofaiss: exact search while it is fast enough, an inverted file above that, and from
``FASTSCAN_MIN`` clips an inverted file of 4-bit fast-scan codes re-scored exactly; its probe
count calibrated against exact search for the target recall."""

from __future__ import annotations

import math
from dataclasses import dataclass

FLAT_MAX = 20_000
"""Below this many clips exact search answers in about 2-4 ms on two cores (measured, BENCHMARKS.md)."""

TARGET_RECALL = 0.95
"""recall@10 against exact search that IVF probing is calibrated for (with a margin)."""

FASTSCAN_MIN = 200_000
"""From here ``auto`` builds ``fastscan``: at 1M clips an inverted file of full vectors needed 512 of
2,048 lists for recall@10 0.98 (28 ms), fast-scan codes with exact re-scoring 64 lists of 4,096
for 0.96 in 0.6 ms (BENCHMARKS.md); below it the plain inverted file answers in ~0.1 ms."""

IVF_FLAT_MAX = FASTSCAN_MIN
"""Kept for callers of the earlier name: where ``auto`` stops building a plain inverted file."""

FASTSCAN_K_FACTOR = 16
"""``fastscan`` re-scores this many times the clips asked for on the stored vectors (fp16) until its
calibration picks the factor with the probes (``vector_index.K_FACTORS``): at 1M clips 16 reached
the recall of 32 and 64, at 10M it did not (BENCHMARKS.md)."""

FASTSCAN_FP16_MAX = 20_000_000
"""``fastscan`` keeps its re-scoring vectors as fp16 (1 KB a clip at 512-d, scores within ~1e-3 of
fp32) up to this many clips, and as 8-bit scalar codes (512 B) above it."""

PURGE_FRACTION = 0.2
"""An index that marks removed clips instead of removing them (``fastscan``, ``hnsw``) is rebuilt
once this share of its entries are such tombstones: they cost memory and probe time."""

PQ_FETCH = 256
"""Product-quantised codes rank only roughly: a PQ search returns at least this many (or 8x the
clips asked for) and the search engine re-ranks them on the exact clip vectors stored in SQL.
Probing is calibrated for the true top 10 to be among these."""


@dataclass(frozen=True)
class IndexSpec:
    kind: str
    """'flat' (exact inner product), 'ivf' (inverted file, flat lists), 'ivfpq' (inverted file,
    product-quantised codes, optionally OPQ-rotated), 'fastscan' (inverted file, 4-bit fast-scan
    product-quantised codes, candidates re-scored on stored vectors) or 'hnsw'."""
    nlist: int = 0
    """IVF: number of inverted lists (k-means cells)."""
    nprobe: int = 0
    """IVF: lists visited per query; set by calibration."""
    pq_m: int = 0
    """IVF-PQ: bytes per vector code (sub-quantisers of 8 bits). fastscan: sub-quantisers of 4 bits,
    one per 2 dimensions (128-byte codes at 512-d: at 1M clips 64-byte codes levelled off at
    recall@10 0.93 with 64x re-scoring, 128-byte ones reached 0.96 with 16x, BENCHMARKS.md)."""
    opq: bool = False
    """IVF-PQ: learn a rotation (OPQ) before quantising: better recall, slower training."""
    trained_on: int = 0
    """IVF kinds: clips in the collection when it was trained; retrained once it has grown 4x."""
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 512
    refine: str = ""
    """fastscan: how the re-scoring vectors are kept: 'fp16' or 'sq8'."""
    k_factor: int = 0
    """fastscan: candidates re-scored per clip asked for."""
    coarse: str = ""
    """fastscan: how a query finds its lists: '' compares it with every list's centroid (flat), 'hnsw'
    walks an HNSW graph of the centroids (``HNSW_COARSE_M`` links), for more lists than flat allows."""

    def describe(self) -> str:
        if self.kind == "flat":
            return "flat (exact inner product)"
        if self.kind == "ivf":
            return f"ivf (nlist={self.nlist}, nprobe={self.nprobe})"
        if self.kind == "ivfpq":
            return f"{'opq+' if self.opq else ''}ivfpq (nlist={self.nlist}, m={self.pq_m}, nprobe={self.nprobe})"
        if self.kind == "fastscan":
            coarse = " on an HNSW coarse quantizer" if self.coarse == "hnsw" else ""
            return (
                f"fastscan (nlist={self.nlist}{coarse}, nprobe={self.nprobe}, {self.pq_m // 2}-byte codes, "
                f"{self.k_factor}x re-scored on {self.refine})"
            )
        return f"hnsw (M={self.hnsw_m}, efSearch={self.ef_search})"


def ivf_lists(n_clips: int) -> int:
    """4·sqrt(N) rounded down to a power of two, at least 64: 2048 lists (~500 clips each) at 1M."""
    return max(64, 2 ** int(math.log2(max(1.0, 4 * math.sqrt(n_clips)))))


TRAINING_MAX = 1_000_000
"""At most this many clips (2 GB at 512-d) are sampled to train on, however many lists."""


def training_size(spec: "IndexSpec", n_clips: int) -> int:
    """k-means needs ~40 points per centroid to be stable (the IVF cells, and PQ's 256 codes per
    sub-quantiser); more only slows training. At most ``TRAINING_MAX``."""
    return min(n_clips, TRAINING_MAX, max(40 * spec.nlist, 40 * 256 if spec.kind == "ivfpq" else 0))


FASTSCAN_MAX_LISTS = 4096
"""The most lists ``fastscan`` gives a flat coarse quantizer (every centroid compared with every clip
added and every query): 10M clips against 4,096 flat centroids is already ~21 T multiply-adds, and
k-means for more lists the plain way costs more than the rest of a build on a few cores. Past this
(from ~2M clips) the lists get an HNSW coarse quantizer instead (``coarse='hnsw'``)."""

FASTSCAN_HNSW_MAX_LISTS = 65_536
"""The most lists ``fastscan`` makes with an HNSW coarse quantizer (reached at ~67M clips)."""

HNSW_COARSE_M = 32
"""Links per centroid in the HNSW coarse quantizer (FAISS's ``IVF..._HNSW32``)."""


def fastscan_lists(n_clips: int) -> int:
    """8·sqrt(N) rounded down to a power of two, from 64 to ``FASTSCAN_HNSW_MAX_LISTS``: 4,096 lists
    (~250 clips each) at 1M, 16,384 (~600 each) at 10M. More than ``FASTSCAN_MAX_LISTS`` of them
    are found through an HNSW graph of their centroids (``fastscan_coarse``)."""
    return min(FASTSCAN_HNSW_MAX_LISTS, max(64, 2 ** int(math.log2(max(1.0, 8 * math.sqrt(n_clips))))))


def fastscan_coarse(nlist: int) -> str:
    """'' (flat centroids) up to ``FASTSCAN_MAX_LISTS`` lists, 'hnsw' past it: a query then compares
    itself with a few hundred centroids instead of all of them, and k-means trains in two levels."""
    return "hnsw" if nlist > FASTSCAN_MAX_LISTS else ""


def needs_retraining(spec: "IndexSpec", n_clips: int) -> bool:
    """An inverted file trained on a quarter of today's clips has too few, too crowded cells."""
    return spec.kind in ("ivf", "ivfpq", "fastscan") and spec.trained_on > 0 and n_clips >= 4 * spec.trained_on


TRAINED_MIN = 1_000
"""Below this many clips a type that trains cells (``ivf``, ``fastscan``, ``ivfpq``, ``opq``) is built
as exact search, even when asked for by name: too few clips to train on, and exact search is faster
there anyway. It becomes the asked-for type once the library has grown past this (``outgrown``)."""

_TRAINED = ("ivf", "fastscan", "ivfpq", "opq")


def choose_index(n_clips: int, requested: str = "auto") -> IndexSpec:
    """The index for ``n_clips`` clips: ``requested`` by name, or by size for ``auto``."""
    if (
        requested == "flat"
        or (requested == "auto" and n_clips < FLAT_MAX)
        or (requested in _TRAINED and n_clips < TRAINED_MIN)
    ):
        return IndexSpec("flat")
    if requested == "hnsw":
        return IndexSpec("hnsw")
    if requested in ("ivfpq", "opq"):
        return IndexSpec(
            "ivfpq", nlist=ivf_lists(n_clips), nprobe=16, pq_m=128, opq=requested == "opq", trained_on=n_clips
        )
    if requested == "fastscan" or (requested == "auto" and n_clips >= FASTSCAN_MIN):
        nlist = fastscan_lists(n_clips)
        return IndexSpec(
            "fastscan",
            nlist=nlist,
            coarse=fastscan_coarse(nlist),
            nprobe=16,
            pq_m=256,
            trained_on=n_clips,
            refine="fp16" if n_clips <= FASTSCAN_FP16_MAX else "sq8",
            k_factor=FASTSCAN_K_FACTOR,
        )
    return IndexSpec("ivf", nlist=ivf_lists(n_clips), nprobe=16, trained_on=n_clips)


def outgrown(spec: IndexSpec, n_clips: int, requested: str = "auto", *, tombstones: int = 0) -> bool:
    """True when the collection should be re-indexed into a new structure: its size now calls for
    another type (by size with ``auto``; a named type once there are enough clips to train it), an
    inverted file needs retraining, or ``tombstones`` (entries marked removed but still stored) have
    reached ``PURGE_FRACTION`` of the index."""
    if choose_index(n_clips, requested).kind != spec.kind:
        return True
    if tombstones and tombstones >= PURGE_FRACTION * (n_clips + tombstones):
        return True
    return needs_retraining(spec, n_clips)
