"""Decoding a long video a chunk at a time (for Ray's decode tasks) keeps exactly the frames, times
and pixels that decoding the whole file keeps; and `--ray` without Ray installed is one clear line."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from media import Segment, make_video

from cli.main import main
from indexer.chunked import Unchunkable, chunk_steps, frames_in_chunk
from indexer.decode import PyAVDecoder

SEGMENTS = [Segment("red", 7), Segment("blue", 9), Segment("green", 7)]


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("chunk-videos")
    times = np.cumsum(np.random.default_rng(1).uniform(0.02, 0.4, 200))
    return {
        "cfr": make_video(root / "cfr.mp4", SEGMENTS),
        "long-gop": make_video(root / "gop.mp4", SEGMENTS, fps=25, x264_params="keyint=48:min-keyint=48:bframes=3"),
        "vfr": make_video(
            root / "vfr.mkv", SEGMENTS, frame_times=sorted({round(float(t), 3) for t in times if t < 23})
        ),
        "vp9": make_video(root / "v.webm", SEGMENTS, codec="libvpx-vp9"),
    }


def test_chunk_steps_cover_the_video_from_sampling_boundaries() -> None:
    assert chunk_steps(23.0, 1.0, 5.0) == [(0, 5), (5, 10), (10, 15), (15, 20), (20, None)]
    assert chunk_steps(23.0, 2.0, 5.0) == [(0, 10), (10, 20), (20, 30), (30, 40), (40, None)]
    assert chunk_steps(6.0, 1.0, 5.0) == [(0, None)]  # short: one piece
    assert chunk_steps(0.0, 1.0, 5.0) == [(0, None)]  # duration unknown
    assert chunk_steps(600.0, 1.0, 0.0) == [(0, None)]  # chunking off
    assert chunk_steps(10.0, 0.5, 1.0) == [(0, 1), (1, 2), (2, 3), (3, 4), (4, None)]


@pytest.mark.parametrize("name", ["cfr", "long-gop", "vfr", "vp9"])
@pytest.mark.parametrize("fps", [1.0, 2.0, 0.5, 3.0])
def test_chunks_together_give_the_whole_file_frames(videos: dict[str, Path], name: str, fps: float) -> None:
    path = videos[name]
    whole = list(PyAVDecoder().frames(path, fps=fps, size=(32, 32)))
    for seconds in (1.0, 2.5, 7.0):
        got = []
        for start, end in chunk_steps(23.0, fps, seconds):
            got += list(frames_in_chunk(path, fps=fps, size=(32, 32), start_step=start, end_step=end))
        assert [f.t for f in got] == [f.t for f in whole], (name, fps, seconds)
        assert all(np.array_equal(a.image, b.image) for a, b in zip(got, whole)), (name, fps, seconds)


def test_keyframes_only_chunks_match_too(videos: dict[str, Path]) -> None:
    path = videos["long-gop"]
    whole = [f.t for f in PyAVDecoder().frames(path, fps=1.0, size=(32, 32), keyframes_only=True)]
    got = [
        f.t
        for s, e in chunk_steps(23.0, 1.0, 4.0)
        for f in frames_in_chunk(path, fps=1.0, size=(32, 32), start_step=s, end_step=e, keyframes_only=True)
    ]
    assert got == whole and len(whole) > 3


def test_damaged_files_chunk_like_the_whole_file_or_ask_to_be_decoded_whole(tmp_path: Path) -> None:
    source = make_video(tmp_path / "source.mkv", SEGMENTS, width=128, height=96)
    data = source.read_bytes()
    noise = np.random.default_rng(0).integers(0, 256, len(data), dtype=np.uint8).tobytes()
    scrambled = tmp_path / "scrambled.mkv"  # headers intact, every frame's data garbage
    scrambled.write_bytes(data[:600] + noise[600:])
    half = tmp_path / "half.mkv"  # the second half garbage: fewer frames, no error
    half.write_bytes(data[: len(data) // 2] + noise[len(data) // 2 :])
    for start, end in chunk_steps(23.0, 1.0, 5.0):
        with pytest.raises(Unchunkable):
            list(frames_in_chunk(scrambled, fps=1.0, size=(32, 32), start_step=start, end_step=end))
    whole = [f.t for f in PyAVDecoder().frames(half, fps=1.0, size=(32, 32))]
    got = [
        f.t
        for s, e in chunk_steps(23.0, 1.0, 5.0)
        for f in frames_in_chunk(half, fps=1.0, size=(32, 32), start_step=s, end_step=e)
    ]
    assert got == whole and 0 < len(whole) < 23


def test_ray_flag_without_ray_installed_is_one_line(monkeypatch: pytest.MonkeyPatch, cli_env, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    video = make_video(tmp_path / "v.mp4", [Segment("red", 2)])
    result = CliRunner().invoke(main, ["index", str(video), "--ray"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "pip install 'vidseek[ray]'" in lines[0], result.output
    monkeypatch.setenv("VIDSEEK_RAY_ADDRESS", "auto")  # the setting does the same
    result = CliRunner().invoke(main, ["index", str(video)])
    assert result.exit_code == 2 and "pip install 'vidseek[ray]'" in result.output
