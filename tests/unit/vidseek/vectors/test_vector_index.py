"""FAISS index types against brute-force exact search on a seeded synthetic collection."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import faiss
import numpy as np
import pytest

from vidseek.vectors.ann_tuning import calibration_queries, exact_top_k, recall_at_k
from vidseek.vectors.faiss_types import fetch_size, rerank
from vidseek.vectors.index_choice import FLAT_MAX, IVF_FLAT_MAX, choose_index, ivf_lists, needs_retraining
from vidseek.vectors.synthetic import clustered_vectors, id_blocks
from vidseek.vectors.vector_index import ClipIndex, build_index

DIM = 64


@pytest.fixture(scope="module")
def collection() -> list[tuple[np.ndarray, np.ndarray]]:
    return id_blocks(list(clustered_vectors(30_000, DIM, block=10_000, seed=3)), first_id=100)


_built: dict[str, ClipIndex] = {}


def _build(kind: str, collection) -> ClipIndex:
    """One index per kind for the module (PQ training is the slow part)."""
    if kind not in _built:
        _built[kind] = build_index(lambda: iter(collection), dim=DIM, n=30_000, requested=kind, generation=4)
    return _built[kind]


def _recall(index: ClipIndex, blocks, queries) -> float:
    """recall@10 as the search engine sees it: PQ answers re-ranked on the exact vectors."""
    truth = exact_top_k(queries, blocks, k=10)
    ids = np.concatenate([i for i, _ in blocks])
    vectors = np.concatenate([v for _, v in blocks])
    found = []
    for q in queries:
        got = index.search(q, fetch_size(index.spec, 10))[1]
        found.append(rerank(got, vectors[np.searchsorted(ids, got)], q, 10))
    return recall_at_k(np.stack(found), truth)


def test_choice_by_size() -> None:
    assert choose_index(FLAT_MAX - 1).kind == "flat"
    assert choose_index(FLAT_MAX).kind == "ivf"
    assert choose_index(10, "hnsw").kind == "hnsw" and choose_index(10**7, "flat").kind == "flat"
    assert choose_index(IVF_FLAT_MAX).kind == "fastscan" and choose_index(10**6, "opq").opq
    assert choose_index(10**7, "ivfpq").kind == "ivfpq" and choose_index(999, "ivf").kind == "flat"


def test_retraining_when_the_collection_has_grown_fourfold() -> None:
    spec = choose_index(100_000)
    assert not needs_retraining(spec, 399_999) and needs_retraining(spec, 400_000)
    assert not needs_retraining(choose_index(100), 10**9)
    assert ivf_lists(1_000_000) == 2048 and ivf_lists(100) == 64


@pytest.mark.parametrize("kind", ["ivf", "fastscan", "hnsw", "ivfpq", "opq"])
def test_approximate_index_recall_against_exact(kind: str, collection) -> None:
    index = _build(kind, collection)
    assert index.spec.kind == ("ivfpq" if kind == "opq" else kind) and index.count == 30_000
    queries = calibration_queries(np.concatenate([v for _, v in collection]), n=100, seed=7)
    assert _recall(index, collection, queries) >= 0.95
    if kind != "hnsw":
        assert 1 <= index.spec.nprobe <= index.spec.nlist and index.spec.trained_on == 30_000
    if kind in ("ivfpq", "opq"):  # no polysemous reordering (2/3 of a build's training, no answer changed)
        assert not faiss.downcast_index(faiss.extract_index_ivf(index.index)).do_polysemous_training


def test_exact_index_is_exact(collection) -> None:
    index = build_index(lambda: iter(collection), dim=DIM, n=30_000, requested="flat", generation=1)
    queries = calibration_queries(collection[0][1], n=20, seed=1)
    assert _recall(index, collection, queries) == 1.0


@pytest.mark.parametrize("kind", ["ivf", "ivfpq"])
def test_ivf_removes_ids_and_round_trips_its_settings(kind: str, collection, tmp_path: Path) -> None:
    index = _build(kind, collection)
    _built.pop(kind)  # this test changes it
    ids, vectors = collection[0]
    index.remove(ids[:50].tolist())
    assert index.count == 30_000 - 50
    assert not set(index.search(vectors[0], 10)[1].tolist()) & set(ids[:50].tolist())
    path = tmp_path / "clips.faiss"
    index.save(path)
    loaded = ClipIndex.load(path)
    assert loaded.spec == index.spec and loaded.generation == 4 and loaded.count == index.count
    assert sorted(loaded.ids().tolist()) == sorted(index.ids().tolist())
    q = vectors[100]
    assert loaded.search(q, 5)[1].tolist() == index.search(q, 5)[1].tolist()


@pytest.mark.parametrize("kind", ["flat", "ivf", "fastscan", "ivfpq"])
def test_a_memory_mapped_index_answers_the_same_and_refuses_changes(kind: str, collection, tmp_path: Path) -> None:
    index = (
        _build(kind, collection)
        if kind != "flat"
        else build_index(lambda: iter(collection), dim=DIM, n=30_000, requested="flat", generation=4)
    )
    path = tmp_path / "clips.faiss"
    index.save(path)
    mapped = ClipIndex.load(path, mmap=True)
    assert mapped.read_only and not mapped.supports_remove and mapped.spec == index.spec
    assert mapped.generation == index.generation and mapped.count == index.count
    queries = calibration_queries(collection[1][1], n=20, seed=3)
    for q in queries:
        assert mapped.search(q, 10)[1].tolist() == index.search(q, 10)[1].tolist()
    with pytest.raises(RuntimeError, match="memory-mapped"):
        mapped.apply([int(collection[0][0][0])], np.zeros(0, np.int64), np.zeros((0, DIM), np.float32), 5)
    with pytest.raises(RuntimeError, match="memory-mapped"):
        mapped.add(np.array([10**9]), collection[0][1][:1])
    assert ClipIndex.read_header(path)["generation"] == index.generation


def test_files_of_the_first_layout_still_load(tmp_path: Path) -> None:
    import dataclasses
    import json
    import struct

    import faiss

    blocks = id_blocks([next(clustered_vectors(100, DIM))])
    index = build_index(lambda: iter(blocks), dim=DIM, n=100, requested="flat", generation=7)
    header = json.dumps(
        {"generation": 7, "dim": DIM, "count": 100, "spec": dataclasses.asdict(index.spec), "uid": "abc"}
    ).encode()
    path = tmp_path / "old.faiss"
    path.write_bytes(
        b"VIDSEEK1" + struct.pack("<I", len(header)) + header + faiss.serialize_index(index.index).tobytes()
    )
    assert ClipIndex.read_header(path) == json.loads(header)
    for mmap in (False, True):  # the old layout cannot be mapped: it is read instead
        loaded = ClipIndex.load(path, mmap=mmap)
        assert (loaded.generation, loaded.uid, loaded.count, loaded.read_only) == (7, "abc", 100, False)
        assert loaded.search(blocks[0][1][5], 1)[1].tolist() == [blocks[0][0][5]]
    path.write_bytes(b"not an index at all")
    assert ClipIndex.read_header(path) is None
    with pytest.raises(ValueError, match="not a vidseek index file"):
        ClipIndex.load(path)


def test_too_few_clips_to_train_falls_back_to_exact() -> None:
    tiny = id_blocks([next(clustered_vectors(30, DIM))])
    index = build_index(lambda: iter(tiny), dim=DIM, n=30, requested="ivf", generation=0)
    assert index.spec.kind == "flat" and index.count == 30


def test_growing_past_a_size_threshold_or_4x_needs_a_new_index() -> None:
    from vidseek.vectors.index_choice import outgrown

    assert outgrown(choose_index(100), FLAT_MAX)  # flat -> ivf
    assert not outgrown(choose_index(100), FLAT_MAX, requested="flat")
    assert not outgrown(choose_index(FLAT_MAX), FLAT_MAX + 1000)
    assert outgrown(choose_index(FLAT_MAX), 4 * FLAT_MAX)  # retrain the cells
    assert outgrown(choose_index(10, "fastscan"), 5_000, requested="fastscan")  # now enough clips to train


def test_probe_calibration_takes_the_smallest_setting_that_reaches_the_target() -> None:
    from vidseek.vectors.ann_tuning import smallest_setting

    curve = {1: 0.5, 2: 0.8, 4: 0.96, 8: 0.99}
    assert smallest_setting(list(curve), curve.__getitem__, 0.95) == (4, 0.96)
    plateau = {1: 0.5, 2: 0.79, 4: 0.805, 8: 0.81}  # never reaches 0.95: stop where it flattens
    assert smallest_setting(list(plateau), plateau.__getitem__, 0.95) == (4, 0.805)


@pytest.mark.parametrize("kind", ["ivf", "ivfpq", "fastscan"])
def test_training_on_a_small_library_writes_nothing_to_stderr(kind: str, capfd: pytest.CaptureFixture) -> None:
    """1,000 clips train fewer points a centroid than FAISS likes (on purpose: ``training_size``); its
    "WARNING clustering ... please provide at least ..." lines must not reach the user's terminal."""
    blocks = id_blocks(list(clustered_vectors(1_000, 16, block=500, seed=2)), first_id=1)
    if kind == "ivfpq":  # training is where FAISS writes; the PQ calibration after it is slow
        from vidseek.vectors.vector_index import _train_quietly

        index = ClipIndex(16, dataclasses.replace(choose_index(1_000, kind), pq_m=4), 1)
        faiss.downcast_index(faiss.extract_index_ivf(index.index)).do_polysemous_training = False  # slow; silent
        _train_quietly(index.index, np.concatenate([v for _, v in blocks]))
        assert index.index.is_trained
    else:
        index = build_index(lambda: iter(blocks), dim=16, n=1_000, requested=kind, generation=1)
        assert index.spec.kind == kind and index.count == 1_000
    assert capfd.readouterr().err == ""
