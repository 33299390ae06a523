"""The embedding strategy seam: an ``Indexer`` stores what its ``FrameEmbedding`` hands back, the
same rows whichever strategy produced the frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media import Segment, make_video
from scale.conftest import assert_faiss_matches_sql, assert_same_index, snapshot

from indexer.decode import get_decoder
from indexer.decoded import DecodedVideo, decode_failure
from indexer.embedding import LocalEmbedding, VideoToEmbed, embedding_of
from indexer.progress import Progress
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.models.encoders import input_size_of, load_encoder
from vidseek.storage.library import Library


class OneFrameAtATime:
    """A ``FrameEmbedding`` unlike the local one: no decode thread, one model call per frame, the
    videos handed back last first and each video's frames in reverse time order."""

    def __init__(self, settings: Settings, encoder) -> None:  # noqa: ANN001
        self.encoder = encoder
        self.model_name, self.dim = encoder.name, encoder.dim
        self.decoder = get_decoder(settings.decoder)
        self.calls: list[tuple[list[int], float, bool]] = []

    def embed(self, videos, *, fps, keyframes_only, on_frame):  # noqa: ANN001, ANN201
        self.calls.append(([v.key for v in videos], fps, keyframes_only))
        for video in reversed(list(videos)):
            done = DecodedVideo(video.key)
            try:
                frames = list(
                    self.decoder.frames(
                        video.path, fps=fps, size=input_size_of(self.encoder), keyframes_only=keyframes_only
                    )
                )
            except Exception as exc:  # noqa: BLE001
                done.error = decode_failure(exc)
                yield done
                continue
            for frame in reversed(frames):
                on_frame(video.key, frame.t)
                done.times.append(frame.t)
                done.vectors.append(self.encoder.encode_frames(frame.image[None])[0])
            yield done


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("strategy-videos")
    make_video(root / "two colours.mp4", [Segment("red", 5), Segment("blue", 6)])
    make_video(root / "sub" / "green.webm", [Segment("green", 7)], codec="libvpx-vp9")
    (root / "notes.mov").write_text("this is not a video\n" * 20)
    return root


def _settings(tmp_path: Path, name: str, **kw) -> Settings:  # noqa: ANN003
    return Settings(
        data_dir=tmp_path / name,
        model="python:colour_encoder:ColourEncoder",
        sample_fps=2.0,
        clip_seconds=4.0,
        clip_stride=2.0,
        **kw,
    )


def test_a_strategy_given_to_the_indexer_stores_the_rows_a_local_run_stores(folder: Path, tmp_path: Path) -> None:
    local = _settings(tmp_path, "local")
    encoder = load_encoder(local.model)
    want = Indexer(local, Library(local, notify=lambda m: None), encoder, progress=lambda: Progress(False)).index(
        [folder]
    )

    other = _settings(tmp_path, "other")
    strategy = OneFrameAtATime(other, encoder)
    indexer = Indexer(
        other, Library(other, notify=lambda m: None), progress=lambda: Progress(False), embedding=strategy
    )
    got = indexer.index([folder])

    assert strategy.calls == [([0, 1], 2.0, False)]  # one call, at the run's sampling, each file that probed
    assert sorted(got.indexed) == sorted(want.indexed) and len(got.indexed) == 2
    assert sorted(got.failed) == sorted(want.failed) and len(got.failed) == 1
    assert_same_index(snapshot(other), snapshot(local))
    assert_faiss_matches_sql(other)


def test_the_library_records_the_strategys_model(folder: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, "data")
    library = Library(settings, notify=lambda m: None)
    Indexer(
        settings,
        library,
        progress=lambda: Progress(False),
        embedding=OneFrameAtATime(settings, load_encoder(settings.model)),
    ).index([folder / "sub"])
    assert library.model_name() == "test:colour-v1"


def test_an_indexer_takes_an_encoder_or_a_strategy_not_both(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "data")
    encoder = load_encoder(settings.model)
    assert isinstance(embedding_of(settings, encoder, None), LocalEmbedding)
    strategy = OneFrameAtATime(settings, encoder)
    assert embedding_of(settings, None, strategy) is strategy
    with pytest.raises(TypeError):
        embedding_of(settings, encoder, strategy)
    with pytest.raises(TypeError):
        embedding_of(settings, None, None)


def test_local_embedding_yields_every_video_once_with_its_frames_in_order(folder: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, "data", batch_size=3)
    local = LocalEmbedding(settings, load_encoder(settings.model))
    seen: list[tuple[int, float]] = []
    videos = [VideoToEmbed(7, folder / "two colours.mp4", 11.0), VideoToEmbed(3, folder / "notes.mov", 0.0)]
    done = {
        d.key: d for d in local.embed(videos, fps=1.0, keyframes_only=False, on_frame=lambda k, t: seen.append((k, t)))
    }
    assert sorted(done) == [3, 7]
    assert done[7].error is None and done[7].times == [float(t) for t in range(11)]
    assert np.stack(done[7].vectors).shape == (11, local.dim)
    assert done[3].error.startswith("not a readable video") and not done[3].times
    assert [t for k, t in seen if k == 7] == done[7].times
