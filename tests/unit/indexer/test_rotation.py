"""Phone videos with a display matrix (rotation) are decoded, thumbnailed and recorded the way a
player shows them: upright, at the displayed size, with unchanged sample times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from optional import DECODER_PARAMS, DECODERS, HAVE_DECORD, needs_decord
from rotated_media import assert_upright, make_halves_video, make_rotated_video

from indexer.chunked import chunk_steps, frames_in_chunk
from indexer.decode import PyAVDecoder
from indexer.progress import Progress
from indexer.runner import Indexer
from search_api.http.thumbnails import frame_image
from vidseek.models.encoders import load_encoder
from vidseek.storage import store
from vidseek.storage.library import Library

TURNS = [0, 90, 180, 270]
SIZE = (32, 32)
STORED = (128, 64)
"""Stored width, height: 2:1, so every scaled width is a multiple of 32 (decord mangles some small widths)."""


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """clockwise degrees -> a 4 s file that players turn by that much."""
    root = tmp_path_factory.mktemp("rotated")
    return {
        turn: make_rotated_video(root / f"turned {turn}.mp4", turn, seconds=4.0, width=STORED[0], height=STORED[1])
        for turn in TURNS
    }


def displayed(turn: int) -> tuple[int, int]:
    return STORED[::-1] if turn in (90, 270) else STORED


@pytest.mark.parametrize("turn", TURNS)
def test_probe_reports_the_displayed_size(rotated: dict[int, Path], turn: int) -> None:
    info = PyAVDecoder().probe(rotated[turn])
    assert (info.width, info.height) == displayed(turn)
    assert info.rotation == turn


@pytest.mark.parametrize("decoder", DECODER_PARAMS)
@pytest.mark.parametrize("turn", TURNS)
def test_frames_are_upright_with_unchanged_times(rotated: dict[int, Path], decoder, turn: int) -> None:
    frames = list(decoder.frames(rotated[turn], fps=1.0, size=SIZE))
    plain = list(decoder.frames(rotated[0], fps=1.0, size=SIZE))
    assert [f.t for f in frames] == [f.t for f in plain] == [0.0, 1.0, 2.0, 3.0]
    for frame in frames:
        assert frame.image.shape == (*SIZE, 3) and frame.image.dtype == np.uint8
        assert frame.image.flags["C_CONTIGUOUS"]
        assert_upright(frame.image, turn)


@needs_decord
@pytest.mark.parametrize("turn", [90, 270])
def test_both_decoders_agree_on_a_portrait_video(rotated: dict[int, Path], turn: int) -> None:
    runs = [list(d.frames(rotated[turn], fps=1.0, size=(64, 64))) for d in DECODERS]
    diff = np.abs(runs[0][1].image.astype(int) - runs[1][1].image.astype(int)).mean()
    assert diff < 12, "the two backends should decode nearly the same (upright) pixels"


@pytest.mark.parametrize("turn", [0, 90, 180])
def test_keyframes_only_frames_are_upright(rotated: dict[int, Path], turn: int) -> None:
    for decoder in DECODERS if HAVE_DECORD else DECODERS[:1]:
        frames = list(decoder.frames(rotated[turn], fps=1.0, size=SIZE, keyframes_only=True))
        assert frames and all(f.image.shape == (*SIZE, 3) for f in frames)
        assert_upright(frames[0].image, turn)


@pytest.mark.parametrize("turn", [90, 180])
def test_chunks_of_a_rotated_video_match_the_whole_file(rotated: dict[int, Path], turn: int) -> None:
    path = rotated[turn]
    whole = list(PyAVDecoder().frames(path, fps=2.0, size=SIZE))
    got = [
        f
        for start, end in chunk_steps(4.0, 2.0, 1.0)
        for f in frames_in_chunk(path, fps=2.0, size=SIZE, start_step=start, end_step=end)
    ]
    assert [f.t for f in got] == [f.t for f in whole]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(got, whole))
    assert_upright(got[-1].image, turn)


@pytest.mark.parametrize("turn", TURNS)
def test_thumbnails_are_upright_at_the_displayed_size(rotated: dict[int, Path], turn: int) -> None:
    image = frame_image(rotated[turn], 2.0)
    assert image.size == displayed(turn)
    assert_upright(np.asarray(image.convert("RGB")), turn)


def test_the_video_row_records_the_displayed_size(settings, tmp_path: Path) -> None:
    portrait = make_rotated_video(tmp_path / "phone.mp4", 90, seconds=3.0, width=STORED[0], height=STORED[1])
    landscape = make_halves_video(tmp_path / "camera.mp4", seconds=3.0, width=STORED[0], height=STORED[1])
    library = Library(settings, notify=lambda m: None)
    report = Indexer(settings, library, load_encoder(settings.model), progress=lambda: Progress(False)).index(
        [portrait, landscape]
    )
    assert report.failed == []
    with library.sessions() as session:
        rows = {Path(v.path).name: v for v in store.list_videos(session=session)}
    assert (rows["phone.mp4"].width, rows["phone.mp4"].height) == (64, 128)
    assert (rows["camera.mp4"].width, rows["camera.mp4"].height) == (128, 64)
