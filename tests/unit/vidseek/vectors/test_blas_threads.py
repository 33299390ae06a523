"""numpy's BLAS on one thread in `vidseek serve` (``vidseek.vectors.blas_threads``); FAISS's own BLAS untouched."""

from __future__ import annotations

from collections.abc import Iterator

import faiss  # its BLAS loaded, to see it left alone
import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from cli.serve_command import run_serve
from vidseek.config import Settings
from vidseek.vectors.blas_threads import limit_numpy_blas, numpy_blas_files


@pytest.fixture(autouse=True)
def restored_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every library's thread count as it was before the test (``limits=None`` changes nothing, then restores),
    and the text tower's setting, which ``run_serve`` sets for the process."""
    from vidseek.models import onnx_encoder

    monkeypatch.setattr(onnx_encoder, "TEXT_THREADS", None)
    with threadpool_limits(limits=None):
        yield


def _threads() -> dict[str, int]:
    return {info["filepath"]: info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


def test_numpy_blas_runs_on_the_threads_asked_and_faiss_keeps_its_own() -> None:
    before = _threads()
    files = limit_numpy_blas(1)
    assert files and set(files) == set(numpy_blas_files())  # numpy's wheel ships OpenBLAS
    after = _threads()
    assert {after[f] for f in files} == {1}
    assert {f: n for f, n in after.items() if f not in files} == {f: n for f, n in before.items() if f not in files}
    a = np.random.default_rng(0).standard_normal((1024, 512)).astype(np.float32)
    assert (a @ a[0]).shape == (1024,)


def test_vidseek_serve_limits_numpy_blas_before_it_serves(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: list[dict[str, int]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.append(_threads()))
    limit_numpy_blas(2)
    run_serve(settings, "127.0.0.1", 0)
    assert len(seen) == 1 and {seen[0][f] for f in numpy_blas_files()} == {1}


def test_vidseek_serve_searches_faiss_on_the_request_thread_only(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import uvicorn

    from vidseek.vectors import vector_index
    from vidseek.vectors.synthetic import clustered_vectors, id_blocks

    monkeypatch.setattr(vector_index, "SEARCH_THREADS", 0)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: None)
    run_serve(settings, "127.0.0.1", 0)
    assert vector_index.SEARCH_THREADS == 1

    blocks = id_blocks([next(clustered_vectors(2000, 32, seed=1))])
    index = vector_index.build_index(lambda: iter(blocks), dim=32, n=2000, requested="flat", generation=0)
    before = faiss.omp_get_max_threads()
    answers: list[tuple[int, list[int]]] = []

    def search() -> None:
        ids = index.search(blocks[0][1][3], 5)[1].tolist()
        answers.append((faiss.omp_get_max_threads(), ids))

    worker = threading.Thread(target=search)
    worker.start()
    worker.join()
    assert answers[0][0] == 1 and answers[0][1][0] == blocks[0][0][3]  # the request's thread: one
    assert faiss.omp_get_max_threads() == before  # every other thread (builds, saves) keeps its cores


def test_vidseek_serve_opens_the_text_tower_on_one_thread_and_leaves_the_image_tower_its_cores(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # noqa: ANN001
    import uvicorn

    from vidseek.models import onnx_encoder

    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: None)
    run_serve(settings, "127.0.0.1", 0)
    opened: list[tuple[str, int]] = []
    monkeypatch.setattr(onnx_encoder, "cpu_session", lambda path, threads, **kw: opened.append((path.name, threads)))
    meta = {"name": "test", "dim": 4, "input_size": [8, 8]}
    encoder = onnx_encoder.OnnxClipEncoder(tmp_path, meta, precision="fp32", threads=0, text_setting="fp32")
    encoder._open_text()
    encoder._cpu_session()
    assert opened == [("text.fp32.onnx", 1), ("image.fp32.onnx", 0)]  # the image tower keeps every core
