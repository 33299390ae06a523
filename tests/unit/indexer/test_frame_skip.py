"""Near-duplicate frames in a local index run: frames that barely differ from the last embedded one are not
embedded, yet every sampled frame is stored with its own time and a vector; 0 turns it off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from colour_encoder import ColourEncoder
from media import Segment, make_video
from pydantic import ValidationError
from scale.conftest import snapshot

from indexer.decode import get_decoder
from indexer.progress import Progress
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.storage.library import Library

SEGMENTS = [Segment("red", 6), Segment("blue", 5), Segment("red", 4), Segment("green", 6)]


class CountingEncoder(ColourEncoder):
    """The colour encoder, counting its calls and the frames it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        self.calls += 1
        return super().encode_frames(frames)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long stretches of one colour each (only sensor-like noise changes within a stretch)."""
    return make_video(tmp_path_factory.mktemp("skip") / "stretches.mp4", SEGMENTS)


def index(video: Path, tmp_path: Path, name: str, **kw) -> tuple[dict, CountingEncoder]:  # noqa: ANN003
    settings = Settings(
        data_dir=tmp_path / name, model="python:colour_encoder:ColourEncoder", sample_fps=2.0, batch_size=4, **kw
    )
    encoder = CountingEncoder()
    report = Indexer(
        settings, Library(settings, notify=lambda m: None), encoder, progress=lambda: Progress(False)
    ).index([video])
    assert report.indexed and not report.failed
    (row,) = snapshot(settings).values()
    return row, encoder


def sampled_times(video: Path) -> list[float]:
    return [f.t for f in get_decoder("pyav").frames(video, fps=2.0, size=ColourEncoder.input_size)]


def test_threshold_zero_embeds_every_sampled_frame(video: Path, tmp_path: Path) -> None:
    row, encoder = index(video, tmp_path, "off", skip_similar=0)
    assert encoder.frames_seen == len(sampled_times(video)) == len(row["times"])


def test_identical_stretches_embed_fewer_frames_and_every_frame_keeps_its_time_and_a_vector(
    video: Path, tmp_path: Path
) -> None:
    off, _ = index(video, tmp_path, "off", skip_similar=0)
    on, encoder = index(video, tmp_path, "on", skip_similar=2.0)
    times = sampled_times(video)
    assert on["times"].tolist() == off["times"].tolist() == times  # grounding sees the same frames
    assert on["frames"].shape == off["frames"].shape
    assert encoder.frames_seen < len(times) / 2  # most frames of a stretch reuse its first frame's vector
    # a reused vector is one of the stored ones, and close to the frame's own
    distinct = np.unique(on["frames"], axis=0)
    assert len(distinct) == encoder.frames_seen
    cosines = (on["frames"] * off["frames"]).sum(1) / (
        np.linalg.norm(on["frames"], axis=1) * np.linalg.norm(off["frames"], axis=1)
    )
    assert cosines.min() > 0.999


def test_a_frame_that_changes_is_never_skipped(video: Path, tmp_path: Path) -> None:
    off, _ = index(video, tmp_path, "off", skip_similar=0)
    on, _ = index(video, tmp_path, "on", skip_similar=2.0)
    starts = np.cumsum([0] + [s.seconds for s in SEGMENTS[:-1]])
    times = off["times"]
    firsts = [int(np.searchsorted(times, s - 1e-6)) for s in starts]  # the first frame of each colour
    assert len(set(firsts)) == len(SEGMENTS)
    for i in firsts:
        np.testing.assert_allclose(on["frames"][i], off["frames"][i], atol=1e-6)  # its own vector
        if i:
            assert not np.allclose(on["frames"][i], on["frames"][i - 1], atol=1e-3)  # not the one before


def test_skipping_is_on_by_default() -> None:
    assert Settings().skip_similar > 0


@pytest.mark.parametrize("bad", ["-1", "nan", "300"])
def test_a_bad_threshold_is_one_sentence_naming_the_setting(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDSEEK_SKIP_SIMILAR", bad)
    with pytest.raises(ValidationError, match="skip_similar must be a number of grey levels from 0"):
        Settings()


class BlockEncoder:
    """Frames as their 4x4 grid of mean colours: a vector that moves with the noise, so a reused vector is
    told from a frame's own."""

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        n, h, w, _ = frames.shape
        blocks = frames[:, : h // 4 * 4, : w // 4 * 4].reshape(n, 4, h // 4, 4, w // 4, 3).astype(np.float32)
        return blocks.mean(axis=(2, 4)).reshape(n, -1)


class LocalActor:
    """Stands in for a Ray embedding actor: ``embed.remote`` answers at once (with ``ray.get`` patched)."""

    def __init__(self) -> None:
        self.frames = 0
        encoder = BlockEncoder()

        class Embed:
            @staticmethod
            def remote(images: np.ndarray) -> np.ndarray:
                self.frames += len(images)
                return encoder.encode_frames(images)

        self.embed = Embed()


def unit_frames(video: Path, actor: LocalActor, start: int, end: int | None, chunked: bool, skip: float) -> tuple:
    from indexer.ray_tasks import Unit, decode_unit

    times, vectors = [], []
    for item in decode_unit(
        Unit(0, 0, str(video), start, end, chunked),
        actor,
        decoder="pyav",
        fps=2.0,
        size=(32, 32),
        batch_size=3,
        keyframes_only=False,
        skip_similar=skip,
    ):
        if item[0] == "batch":
            times.extend(item[2].tolist())
            vectors.extend(item[3])
        else:
            assert item[2] is None, item
    return times, np.array(vectors)


def test_a_ray_decode_in_chunks_reuses_the_vectors_a_whole_decode_reuses(
    video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    import ray

    from indexer.chunked import chunk_steps
    from indexer.frame_signature import refresh_steps

    monkeypatch.setattr(ray, "get", lambda ref: ref)
    whole_actor, plain_actor, chunk_actor = LocalActor(), LocalActor(), LocalActor()
    whole = unit_frames(video, whole_actor, 0, None, False, 2.0)
    plain = unit_frames(video, plain_actor, 0, None, False, 0.0)
    steps = chunk_steps(sum(s.seconds for s in SEGMENTS), 2.0, 3.0)
    assert any(start % refresh_steps(2.0) for start, _ in steps)  # some chunks start inside a span
    parts = [unit_frames(video, chunk_actor, start, end, True, 2.0) for start, end in steps]
    assert [t for p in parts for t in p[0]] == whole[0] == plain[0]
    np.testing.assert_array_equal(np.concatenate([p[1] for p in parts]), whole[1])
    assert whole_actor.frames < plain_actor.frames / 2  # frames were skipped ...
    assert not np.allclose(whole[1], plain[1], atol=1e-3)  # ... and a reused vector differs from a frame's own
