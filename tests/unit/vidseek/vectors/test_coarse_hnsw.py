"""``fastscan`` with many lists on an HNSW coarse quantizer (issue 29): chosen by size past 4,096
lists, its centroids trained by two-level k-means on a sample, removed clips never answered, and
the same answers after a save (plain and memory-mapped loads)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from vidseek.vectors import index_choice, vector_index
from vidseek.vectors.ann_tuning import calibration_queries, exact_top_k, recall_at_k
from vidseek.vectors.coarse import shares, two_level_centroids
from vidseek.vectors.index_choice import IndexSpec, choose_index, fastscan_coarse, training_size
from vidseek.vectors.synthetic import clustered_vectors, id_blocks
from vidseek.vectors.vector_index import ClipIndex, build_index

DIM = 32
N = 12_000


def test_large_libraries_get_more_lists_on_an_hnsw_coarse_quantizer() -> None:
    one_m, three_m, ten_m = choose_index(10**6), choose_index(3 * 10**6), choose_index(10**7)
    assert (one_m.nlist, one_m.coarse) == (4096, "")  # flat centroids where they are cheap, as before
    assert (three_m.nlist, three_m.coarse) == (8192, "hnsw")
    assert (ten_m.kind, ten_m.nlist, ten_m.coarse) == ("fastscan", 16384, "hnsw")
    assert choose_index(10**9).nlist == index_choice.FASTSCAN_HNSW_MAX_LISTS
    assert "HNSW coarse" in ten_m.describe() and "HNSW" not in one_m.describe()
    assert fastscan_coarse(4096) == "" and fastscan_coarse(8192) == "hnsw"


def test_training_samples_at_most_a_million_clips_and_forty_a_list() -> None:
    assert training_size(choose_index(10**7), 10**7) == 40 * 16384
    assert training_size(choose_index(10**9), 10**9) == index_choice.TRAINING_MAX


def test_lists_are_shared_out_in_proportion_and_never_left_empty() -> None:
    got = shares(np.array([500, 3, 0, 97]), 60)
    assert got.sum() == 60 and got[2] == 0 and got[1] >= 1 and got[0] > got[3] > got[1]
    assert (shares(np.array([2, 2, 50]), 10) <= np.array([2, 2, 50])).all()
    with pytest.raises(ValueError):
        shares(np.array([3, 1]), 5)  # more lists than points


def test_two_level_centroids_are_unit_vectors_near_the_points() -> None:
    sample = next(clustered_vectors(4000, DIM, seed=3, block=4000))
    centroids = two_level_centroids(sample, 100)
    assert centroids.shape == (100, DIM) and np.allclose(np.linalg.norm(centroids, axis=1), 1, atol=1e-5)
    one_level = faiss.Kmeans(DIM, 100, spherical=True, seed=1, niter=20)
    one_level.train(sample)
    picked = sample[np.random.default_rng(0).choice(len(sample), 100, replace=False)]

    def fit(c: np.ndarray) -> float:  # mean cosine of a point with its nearest centroid
        return float((sample @ c.T).max(axis=1).mean())

    assert fit(centroids) >= fit(one_level.centroids) - 0.02  # about as good as plain k-means
    assert fit(centroids) > fit(picked) + 0.05  # and much better than centroids picked at random


@pytest.fixture(scope="module")
def collection() -> list[tuple[np.ndarray, np.ndarray]]:
    return id_blocks(list(clustered_vectors(N, DIM, block=4000, seed=8)), first_id=3)


@pytest.fixture(scope="module")
def small_hnsw_index(collection) -> tuple[ClipIndex, dict]:  # noqa: ANN001
    """At this size ``fastscan`` would have 512 flat lists: lower the flat limit so they get the HNSW
    coarse quantizer, and cap the training sample below the collection."""
    mp = pytest.MonkeyPatch()
    mp.setattr(index_choice, "FASTSCAN_MAX_LISTS", 64)
    mp.setattr(index_choice, "TRAINING_MAX", 6000)
    trained_on: dict = {}
    real_fill = vector_index.fill_quantizer

    def counting_fill(index, sample):  # noqa: ANN001, ANN202
        trained_on["n"] = len(sample)
        return real_fill(index, sample)

    mp.setattr(vector_index, "fill_quantizer", counting_fill)
    try:
        index = build_index(lambda: iter(collection), dim=DIM, n=N, requested="fastscan", generation=2)
    finally:
        mp.undo()
    return index, trained_on


def test_a_small_build_finds_its_lists_through_hnsw_and_trains_on_a_sample(small_hnsw_index) -> None:  # noqa: ANN001
    index, trained_on = small_hnsw_index
    assert index.spec.coarse == "hnsw" and index.spec.nlist == 512
    ivf = faiss.extract_index_ivf(index.index)
    assert isinstance(faiss.downcast_index(ivf.quantizer), faiss.IndexHNSWFlat)
    assert ivf.quantizer.ntotal == 512 and 0 < index.spec.nprobe <= 512
    assert trained_on["n"] == 6000 < N  # the centroids come from a sample, not the collection


def test_removed_clips_are_never_answered_and_survive_a_save(small_hnsw_index, collection, tmp_path: Path) -> None:  # noqa: ANN001
    index, _ = small_hnsw_index
    ids = np.concatenate([i for i, _ in collection])
    removed = np.sort(np.random.default_rng(4).choice(ids, size=N // 10, replace=False))
    index.remove(removed.tolist())
    queries = calibration_queries(np.concatenate([v for _, v in collection]), n=60, seed=9)
    live = [(i[~np.isin(i, removed)], v[~np.isin(i, removed)]) for i, v in collection]
    found = np.stack(
        [np.pad(index.search(q, 10)[1], (0, 10 - len(index.search(q, 10)[1])), constant_values=-1) for q in queries]
    )
    assert not np.isin(found, removed).any()
    assert recall_at_k(found, exact_top_k(queries, live, k=10)) >= 0.9

    path = tmp_path / "clips.faiss"
    index.save(path)
    for mmap in (False, True):
        loaded = ClipIndex.load(path, mmap=mmap)
        assert loaded.spec == index.spec and loaded.count == N - len(removed)
        again = np.stack(
            [
                np.pad(loaded.search(q, 10)[1], (0, 10 - len(loaded.search(q, 10)[1])), constant_values=-1)
                for q in queries
            ]
        )
        assert (again == found).all()


def test_a_spec_saved_before_the_coarse_field_reads_as_flat_centroids() -> None:
    old = {k: v for k, v in IndexSpec("fastscan", nlist=4096).__dict__.items() if k != "coarse"}
    assert IndexSpec(**old).coarse == ""
