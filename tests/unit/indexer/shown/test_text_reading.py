"""Reading the text shown in generated videos with the real PP-OCRv4 model (the ocr extra): a lower
third read while indexing and a Chinese sign become lines with their seconds, reading only some
frames; a model that fails stops that video's reading only, and indexing goes on with the next file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shown_media import chinese_sign_video, lower_third_video, plain_video

from indexer.decode import get_decoder
from indexer.progress import Progress
from indexer.runner import Indexer
from indexer.shown import text_reading
from indexer.shown.text_reading import VideoTextReader
from vidseek.shown.ocr_engine import shared_engine
from vidseek.storage import cue_store, store
from vidseek.storage.library import Library


def _read(path: Path) -> text_reading.ShownText:
    reader = VideoTextReader(shared_engine(), 1.0)
    for frame in get_decoder("pyav").frames(path, fps=1.0, size=(16, 16)):
        reader.see(frame.t, frame.image, frame.picture)
    return reader.finish()


def _line(shown: text_reading.ShownText, word: str):  # noqa: ANN202
    found = [line for line in shown.lines if word in line.text]
    assert len(found) == 1, shown.lines
    return found[0]


def test_chinese_text_is_read() -> None:
    sign = _line(_read(chinese_sign_video()), "北京南站")
    assert abs(sign.start - 2.0) <= 1.0 and abs(sign.end - 5.0) <= 1.0, sign


def test_a_lower_third_is_read_from_some_frames_and_a_model_failing_on_another_video_fails_it_alone(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = shared_engine()

    class FailsOnce:
        name = engine.name
        calls = 0

        def read(self, picture):  # noqa: ANN001, ANN202
            FailsOnce.calls += 1
            if FailsOnce.calls == 1:
                raise RuntimeError("out of memory")
            return engine.read(picture)

    monkeypatch.setattr("vidseek.shown.ocr_engine.shared_engine", lambda threads=0: FailsOnce())
    from colour_encoder import ColourEncoder

    library = Library(settings.model_copy(update={"ocr": True}), notify=lambda m: None)
    first, second = plain_video(), lower_third_video()
    report = Indexer(library.settings, library, ColourEncoder(), progress=lambda: Progress(False)).index(
        [first, second]
    )
    assert sorted(report.indexed) == sorted([str(first), str(second)]) and report.failed == []
    assert report.notes == [(str(first), "shown: text not read: RuntimeError: out of memory")]
    with library.sessions() as session:
        ids = {v.path: v.id for v in store.list_videos(session=session)}
        assert cue_store.cues_of(ids[str(first)], session=session) == []
        lines = cue_store.cues_of(ids[str(second)], session=session)
    name = [c for c in lines if "Lopez" in c.text]
    title = [c for c in lines if "Council" in c.text]
    assert len(name) == len(title) == 1, [(c.start, c.end, c.text) for c in lines]
    assert name[0].text == "Maria Lopez" and name[0].source == title[0].source == "shown:PP-OCRv4"
    for line in (name[0], title[0]):
        assert abs(line.start - 1.0) <= 1.0 and abs(line.end - 4.0) <= 1.0, (line.start, line.end)
    assert report.frames_read < report.frames_seen == 6  # (the first video failed: its reading is not counted)
    assert report.frames_with_text >= 1


class _Actor:
    """Stands in for a Ray embedding actor (``ray.get`` patched to answer at once)."""

    class embed:  # noqa: N801
        @staticmethod
        def remote(images):  # noqa: ANN001, ANN205
            return np.zeros((len(images), 4), np.float32)


def test_ray_decode_tasks_read_their_own_frames_and_the_chunks_lines_are_joined(monkeypatch) -> None:  # noqa: ANN001
    ray = pytest.importorskip("ray")
    from indexer.ray_tasks import Unit, decode_unit

    monkeypatch.setattr(ray, "get", lambda ref: ref)
    parts = []
    for start, end in ((0, 2), (2, None)):  # the lower third runs 1-4 s, across the chunks' border
        unit = Unit(0, start, str(lower_third_video()), start, end, chunked=True)
        items = decode_unit(
            unit,
            _Actor(),
            decoder="pyav",
            fps=1.0,
            size=(16, 16),
            batch_size=4,
            keyframes_only=False,
            read_text={"side": 1280, "threads": 0, "max_chars": 1000},
        )
        end_item = list(items)[-1]
        assert end_item[0] == "end" and end_item[2] is None
        parts.append(end_item[4])
    assert [p.frames for p in parts] == [2, 4]  # each reads its own frames only
    name = [line for line in text_reading.joined(parts).lines if "Lopez" in line.text]
    assert len(name) == 1 and abs(name[0].start - 1.0) <= 1.0 and abs(name[0].end - 4.0) <= 1.0, name
