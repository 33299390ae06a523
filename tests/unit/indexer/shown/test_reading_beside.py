"""Text read beside decoding and embedding (issue 27's cost): the OCR model reads in a thread of its own,
a batch waiting while reading holds decoding up is embedded meanwhile, the model loads in the
background (a load that fails says why for each video and indexing goes on), and the text tower is
opened as soon as text is found. Fake OCR models; no wall-clock asserts (events with generous waits)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from colour_encoder import ColourEncoder
from shown_media import lower_third_video, plain_video

from indexer import pipeline
from indexer.decode import get_decoder
from indexer.progress import Progress
from indexer.runner import Indexer
from indexer.shown.text_reading import VideoTextReader, reader_factory
from vidseek.shown import ocr_engine
from vidseek.shown.ocr_engine import TextBox
from vidseek.storage.library import Library

WAIT_S = 20.0
"""Longest a fake waits for what it expects (never reached when the code works)."""


class _WaitsForEmbedding:
    """An OCR model whose reads wait until the picture model has embedded something."""

    name = "fake-ocr"

    def __init__(self, embedded: threading.Event) -> None:
        self.embedded = embedded
        self.threads: set[str] = set()
        self.saw_embedding: list[bool] = []

    def read(self, picture: np.ndarray) -> list[TextBox]:
        self.threads.add(threading.current_thread().name)
        self.saw_embedding.append(self.embedded.wait(WAIT_S))
        return []


def test_text_is_read_in_its_own_thread_and_a_waiting_batch_is_embedded_meanwhile(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(pipeline, "BATCH_WAIT_S", 0.05, raising=False)
    embedded = threading.Event()
    engine = _WaitsForEmbedding(embedded)

    def encode(frames: np.ndarray) -> np.ndarray:
        embedded.set()
        return np.ones((len(frames), 4), np.float32)

    videos = list(
        pipeline.embed_videos(
            get_decoder("pyav"),
            [(1, plain_video()), (2, lower_third_video())],
            fps=1.0,
            size=(16, 16),
            encode=encode,
            batch_size=32,  # more than both videos' frames: only the wait makes a batch go early
            read_text=lambda: VideoTextReader(engine, 1.0),
        )
    )
    assert sorted(v.key for v in videos) == [1, 2]
    assert all(v.error is None and v.shown is not None and v.shown.error is None for v in videos)
    assert all(len(v.times) == v.shown.frames > 0 for v in videos)
    assert engine.saw_embedding and all(engine.saw_embedding)  # decoding and embedding did not wait for reading
    assert engine.threads == {"vidseek-read-text"}


def test_a_reader_that_cannot_be_made_fails_its_video_reading_only() -> None:
    made = []

    def read_text() -> VideoTextReader:
        made.append(1)
        if len(made) == 1:
            raise RuntimeError("no reader today")
        return VideoTextReader(_Blind(), 1.0)

    videos = {
        v.key: v
        for v in pipeline.embed_videos(
            get_decoder("pyav"),
            [(1, plain_video()), (2, plain_video())],
            fps=1.0,
            size=(16, 16),
            encode=lambda frames: np.ones((len(frames), 4), np.float32),
            batch_size=2,
            read_text=read_text,
        )
    }
    assert videos[1].shown.error == "RuntimeError: no reader today" and videos[1].times
    assert videos[2].shown.error is None and videos[2].times


def test_a_model_that_fails_to_load_in_the_background_says_why_for_each_video_and_indexing_goes_on(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(threads: int) -> object:
        raise RuntimeError("[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model failed")

    monkeypatch.setattr(ocr_engine, "_SHARED", {})
    monkeypatch.setattr(ocr_engine, "_det_and_rec", broken)
    library = Library(settings.model_copy(update={"ocr": True}), notify=lambda m: None)
    first, second = plain_video(), lower_third_video()
    report = Indexer(library.settings, library, ColourEncoder(), progress=lambda: Progress(False)).index(
        [first, second]
    )
    assert sorted(report.indexed) == sorted([str(first), str(second)]) and report.failed == []
    why = (
        "shown: text not read: ModelError: Cannot load the OCR model PP-OCRv4: "
        "RuntimeError: [ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model failed"
    )
    assert sorted(report.notes) == sorted([(str(first), why), (str(second), why)])
    assert report.shown_lines == 0


class _Blind:
    name = "fake-ocr"

    def read(self, picture: np.ndarray) -> list[TextBox]:
        return []


class _SeesText:
    name = "fake-ocr"

    def read(self, picture: np.ndarray) -> list[TextBox]:
        return [TextBox("Quarterly review", 0.99, (0.1, 0.1, 0.5, 0.2))]


def test_the_first_text_found_opens_the_text_tower_once(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr_engine, "shared_engine", lambda threads=0: _SeesText())
    opened = threading.Event()
    calls = []

    class WithTextTower(ColourEncoder):
        def open_text_tower(self) -> None:
            calls.append(threading.current_thread().name)
            opened.set()

    library = Library(settings.model_copy(update={"ocr": True}), notify=lambda m: None)
    report = Indexer(library.settings, library, WithTextTower(), progress=lambda: Progress(False)).index(
        [plain_video(), lower_third_video()]
    )
    assert report.shown_lines >= 2 and report.cues_embedded >= 2
    assert opened.wait(WAIT_S)
    assert calls == ["vidseek-open-text"]


def test_no_text_found_leaves_the_text_tower_closed(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr_engine, "shared_engine", lambda threads=0: _Blind())
    factory = reader_factory(settings.model_copy(update={"ocr": True}), on_text=lambda: calls.append(1))
    calls: list[int] = []
    reader = factory()
    for frame in get_decoder("pyav").frames(plain_video(), fps=1.0, size=(16, 16)):
        reader.see(frame.t, frame.image, frame.picture)
    assert reader.finish().read >= 1 and calls == []
