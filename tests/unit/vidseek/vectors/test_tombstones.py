"""Index types that cannot remove vectors in place (``fastscan``, ``hnsw``): removed clips become
tombstones, are never answered, survive a save (plain and memory-mapped loads), are covered by the
file's checksum, and are purged by the rebuild a library makes once they pile up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidseek.config import Settings
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.vectors.ann_tuning import calibration_queries, exact_top_k, recall_at_k
from vidseek.vectors.faiss_types import rescored
from vidseek.vectors.index_choice import FASTSCAN_MIN, PURGE_FRACTION, choose_index, outgrown
from vidseek.vectors.index_files import IndexCorruptError
from vidseek.vectors.synthetic import clustered_vectors, id_blocks
from vidseek.vectors.vector_index import ClipIndex, build_index

DIM = 64
N = 30_000


@pytest.fixture(scope="module")
def collection() -> list[tuple[np.ndarray, np.ndarray]]:
    return id_blocks(list(clustered_vectors(N, DIM, block=10_000, seed=5)), first_id=7)


@pytest.fixture(params=["fastscan", "hnsw"])
def kind(request) -> str:  # noqa: ANN001
    return request.param


def _removed_tenth(collection) -> np.ndarray:  # noqa: ANN001
    ids = np.concatenate([i for i, _ in collection])
    return np.sort(np.random.default_rng(11).choice(ids, size=N // 10, replace=False))


def _answers(index: ClipIndex, queries: np.ndarray, k: int = 10) -> np.ndarray:
    rows = [index.search(q, k)[1] for q in queries]
    return np.stack([np.pad(r, (0, k - len(r)), constant_values=-1) for r in rows])


def test_auto_picks_fastscan_for_large_libraries() -> None:
    assert choose_index(FASTSCAN_MIN - 1).kind == "ivf"
    spec = choose_index(FASTSCAN_MIN)
    assert spec.kind == "fastscan" and spec.refine == "fp16" and spec.k_factor > 1
    assert choose_index(10**6).nlist == 4096 == choose_index(300_000).nlist
    assert choose_index(10**8).refine == "sq8"  # fp16 re-scoring vectors would need 100 GB there


def test_fastscan_rescores_16x_for_a_page_and_less_for_a_wide_search() -> None:
    assert rescored(16, 10) == 160 and rescored(16, 64) == 1024
    assert rescored(16, 4096) == 8192 and rescored(16, 16384) == 32768 and rescored(0, 5) == 5


def test_tombstones_past_the_purge_fraction_ask_for_a_rebuild() -> None:
    spec = choose_index(FASTSCAN_MIN)
    live = FASTSCAN_MIN
    below = int(PURGE_FRACTION * live / (1 - PURGE_FRACTION)) - 10
    assert not outgrown(spec, live, tombstones=below)
    assert outgrown(spec, live, tombstones=below + 20)
    assert outgrown(spec, live, requested="fastscan", tombstones=live)  # also when the type is asked for


def test_removed_clips_are_never_answered_and_recall_holds(kind: str, collection) -> None:
    index = build_index(lambda: iter(collection), dim=DIM, n=N, requested=kind, generation=3)
    removed = _removed_tenth(collection)
    index.remove(removed.tolist())
    index.remove(removed[:5].tolist() + [10**9])  # removing again, or an id never stored, changes nothing
    assert index.count == N - len(removed) and len(index.tombstones) == len(removed)
    assert len(index.ids()) == index.count and not np.isin(index.ids(), removed).any()

    queries = calibration_queries(np.concatenate([v for _, v in collection]), n=100, seed=2)
    live = [(ids[~np.isin(ids, removed)], vectors[~np.isin(ids, removed)]) for ids, vectors in collection]
    found = _answers(index, queries)
    assert not np.isin(found, removed).any()
    assert recall_at_k(found, exact_top_k(queries, live, k=10)) >= 0.95
    # a removed clip's own vector, searched for, finds its live neighbours only
    ids, vectors = collection[0]
    gone = int(removed[0])
    assert gone not in index.search(vectors[np.searchsorted(ids, gone)], 50)[1].tolist()

    with pytest.raises(ValueError, match="added again"):
        index.add(np.array([gone]), vectors[:1])


@pytest.mark.parametrize("mmap", [False, True])
def test_tombstones_survive_a_save_and_the_checksum_covers_them(
    kind: str, collection, tmp_path: Path, mmap: bool
) -> None:
    index = build_index(lambda: iter(collection), dim=DIM, n=N, requested=kind, generation=3)
    removed = _removed_tenth(collection)
    index.remove(removed.tolist())
    path = tmp_path / "clips.faiss"
    index.save(path)
    assert ClipIndex.read_header(path)["tombstones"] == len(removed)
    loaded = ClipIndex.load(path, mmap=mmap)
    assert loaded.read_only == mmap and loaded.count == index.count
    assert loaded.tombstones.tolist() == removed.tolist()
    queries = calibration_queries(collection[1][1], n=20, seed=4)
    assert (_answers(loaded, queries) == _answers(index, queries)).all()

    data = bytearray(path.read_bytes())
    header = ClipIndex.read_header(path)
    trailer = 12 + len(__import__("json").dumps(header).encode())
    data[-trailer - 8] ^= 0xFF  # a byte of the last tombstone
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError):
        ClipIndex.load(path, mmap=mmap)


def _write_video(library: Library, name: str, vectors: np.ndarray) -> int:
    times = np.arange(len(vectors), dtype=np.float64)
    windows = [(i, i, float(i), float(i + 1)) for i in range(len(vectors))]
    record = store.VideoRecord(
        path=f"/videos/{name}.mp4",
        title=name,
        size=1,
        mtime_ns=1,
        fingerprint=name,
        duration=float(len(vectors)),
        fps=25.0,
        width=64,
        height=48,
        codec="h264",
        model_name="test:vectors",
        sample_fps=1.0,
        clip_seconds=1.0,
        clip_stride=1.0,
    )
    return library.write_video(record, times, vectors, windows, vectors)


def test_a_fastscan_library_forgets_deleted_videos_and_purges_them_on_rebuild(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, index_type="fastscan", model="test:vectors")
    library = Library(settings, notify=lambda message: None)
    with library.sessions() as session:
        store.claim_model("test:vectors", DIM, session=session)
        session.commit()
    blocks = list(clustered_vectors(4_000, DIM, block=400, seed=9))
    videos = [_write_video(library, f"v{i}", block) for i, block in enumerate(blocks)]
    library.rebuild_index()
    assert library.index().spec.kind == "fastscan" and library.index().count == 4_000

    library.delete_videos(videos[:1])
    with library.sessions() as session:
        live = set(store.all_clip_ids(session=session).tolist())
    index = library.index()
    assert index.count == 3_600 and len(index.tombstones) == 400
    for q in blocks[0][:20]:  # the deleted video's own frames: only live clips come back
        assert set(index.search(q, 20)[1].tolist()) <= live
    library.save_index(force=True)
    reopened = Library(settings, notify=lambda message: None).index()
    assert reopened.count == 3_600 and set(reopened.ids().tolist()) == live

    library.delete_videos(videos[1:2])  # 800 of 4,000 entries are tombstones: 20 %, time to purge
    library.save_index(force=True)
    purged = Library(settings, notify=lambda message: None).index()
    assert len(purged.tombstones) == 0 and purged.count == 3_200


def test_tombstones_a_killed_purge_left_are_purged_by_the_next_process_to_open_the_index(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, index_type="hnsw", model="test:vectors")
    library = Library(settings, notify=lambda message: None)
    with library.sessions() as session:
        store.claim_model("test:vectors", DIM, session=session)
        session.commit()
    blocks = list(clustered_vectors(1_000, DIM, block=100, seed=3))
    videos = [_write_video(library, f"v{i}", block) for i, block in enumerate(blocks)]
    library.rebuild_index()
    library.delete_videos(videos[:6])  # 600 of 1,000 entries become tombstones
    index = library.index()
    assert len(index.tombstones) == 600
    index.save(settings.faiss_path)  # saved, and the purge that was to follow never ran (killed)
    assert len(ClipIndex.load(settings.faiss_path).tombstones) == 600

    told: list[str] = []
    reopened = Library(settings, notify=told.append).index()
    assert len(reopened.tombstones) == 0 and reopened.count == 400
    assert len(ClipIndex.load(settings.faiss_path).tombstones) == 0  # and the file was saved purged
    (line,) = told
    assert "600 markers of deleted clips (60% of its entries" in line and "rebuilding" in line
