"""Training the coarse quantizer of an inverted file with many lists: k-means in two levels.

Plain k-means for 16,384 lists on 655k sampled clips compares every point with every centroid on
every iteration (~140 T multiply-adds, most of an hour on two cores). Two levels cost ~100x less:
k-means into sqrt(nlist) groups, then each group's points into its share of the lists (in
proportion to its size, at least one each). The centroids are unit length (spherical k-means),
as an inner-product quantizer needs them."""

from __future__ import annotations

import math

import faiss
import numpy as np

SEED = 1234

ADD_EF = 64
"""HNSW search depth when clips are assigned to their list on ``add`` (FAISS's default is 16)."""


def _kmeans(points: np.ndarray, k: int, *, max_points: int = 256) -> np.ndarray:
    km = faiss.Kmeans(
        points.shape[1],
        k,
        niter=20,
        spherical=True,
        seed=SEED,
        min_points_per_centroid=1,
        max_points_per_centroid=max_points,
    )
    km.train(np.ascontiguousarray(points, dtype=np.float32))
    return km.centroids


def shares(sizes: np.ndarray, total: int) -> np.ndarray:
    """How many of ``total`` lists each group of ``sizes`` points gets: in proportion to its size,
    at least one and at most its points, summing to ``total`` (largest remainders first)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    if total > sizes.sum() or total < np.count_nonzero(sizes):
        raise ValueError(f"cannot split {sizes.sum()} points in {len(sizes)} groups into {total} lists")
    exact = sizes * total / max(1, sizes.sum())
    out = np.minimum(sizes, np.maximum(np.floor(exact).astype(np.int64), (sizes > 0).astype(np.int64)))
    while out.sum() != total:
        if out.sum() < total:
            room = np.where(out < sizes, exact - out, -np.inf)
            out[int(np.argmax(room))] += 1
        else:
            spare = np.where(out > 1, out - exact, -np.inf)
            out[int(np.argmax(spare))] -= 1
    return out


def two_level_centroids(sample: np.ndarray, nlist: int) -> np.ndarray:
    """``nlist`` unit centroids for ``sample`` (at least ``nlist`` points) by two-level k-means."""
    if len(sample) < nlist:
        raise ValueError(f"{len(sample)} sampled clips cannot train {nlist} lists")
    groups = max(1, int(math.isqrt(nlist)))
    top = _kmeans(sample, groups, max_points=2000)
    _, assign = faiss.knn(sample, top, 1, metric=faiss.METRIC_INNER_PRODUCT)
    assign = assign.ravel()
    counts = shares(np.bincount(assign, minlength=groups), nlist)
    out = []
    for group, k in enumerate(counts):
        if k == 0:
            continue
        members = sample[assign == group]
        out.append(_kmeans(members, int(k)))
    centroids = np.concatenate(out).astype(np.float32)
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    return centroids


def fill_quantizer(index, sample: np.ndarray) -> None:  # noqa: ANN001 - a FAISS index holding an IVF
    """Give the IVF inside ``index`` its centroids from ``sample`` (``two_level_centroids``); its
    ``train`` then trains only what it encodes (the quantizer counts as trained)."""
    ivf = faiss.extract_index_ivf(index)
    quantizer = faiss.downcast_index(ivf.quantizer)
    quantizer.hnsw.efSearch = ADD_EF
    quantizer.add(two_level_centroids(sample, ivf.nlist))
    quantizer.is_trained = True


def quantizer_ef(nprobe: int) -> int:
    """HNSW search depth over the centroids for ``nprobe`` lists: twice the lists wanted, at least 64
    (the graph's walk finds the true nearest centroids more reliably with room to spare)."""
    return max(64, 2 * nprobe)
