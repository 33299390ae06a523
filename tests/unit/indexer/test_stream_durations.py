"""Truncation is judged on the video stream: a Matroska file whose subtitle line or audio track runs past
its last frame is a whole video (as the same file in MP4 is), while a Matroska file cut short is still one."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from media import Segment, make_video, mux_colour_frames
from subtitle_media import Track, make_subtitled_video
from test_indexing import run_index

from indexer.decode import probe
from indexer.decode.pyav import tag_seconds
from vidseek.config import Settings
from vidseek.storage import store


def _with_long_audio(path: Path, video_seconds: float, audio_seconds: float) -> Path:
    """A colour video whose AAC track goes on ``audio_seconds`` (past the pictures' end)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = container.add_stream("aac", rate=16000)
        audio.layout = "mono"
        mux_colour_frames(container, video, [Segment("red", video_seconds)], 10)
        pts = 0
        while pts < audio_seconds * 16000:
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 16000, pts, Fraction(1, 16000)
            pts += 1024
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return path


@pytest.mark.parametrize("suffix,codec", [("mkv", "subrip"), ("mkv", "ass"), ("mp4", "mov_text")])
def test_a_subtitle_line_past_the_last_frame_does_not_refuse_the_video(
    settings: Settings, tmp_path: Path, suffix: str, codec: str
) -> None:
    path = make_subtitled_video(
        tmp_path / f"late line.{suffix}",
        [Segment("red", 3)],
        [Track(codec, [(1.0, 2.0, "on screen"), (20.0, 22.0, "after the pictures")])],
    )
    assert probe(path).duration == pytest.approx(3.0, abs=0.2)
    library, report = run_index(settings, [path])
    assert report.failed == [] and report.indexed == [str(path.resolve())]
    with library.sessions() as session:
        assert store.video_by_path(str(path.resolve()), session=session).duration == pytest.approx(3.0, abs=0.2)


def test_an_audio_track_past_the_last_frame_does_not_refuse_an_mkv(settings: Settings, tmp_path: Path) -> None:
    path = _with_long_audio(tmp_path / "long audio.mkv", video_seconds=3, audio_seconds=15)
    with av.open(str(path)) as container:
        assert container.duration / 1e6 > 10  # the container lasts as long as its sound
    _, report = run_index(settings, [path])
    assert report.failed == [] and len(report.indexed) == 1


def test_an_mkv_cut_short_is_still_truncated(settings: Settings, tmp_path: Path) -> None:
    full = make_subtitled_video(
        tmp_path / "full.mkv", [Segment("yellow", 12)], [Track("subrip", [(1.0, 2.0, "a line")])]
    )
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 3])
    _, report = run_index(settings, [cut, make_video(tmp_path / "fine.mkv", [Segment("red", 2)])])
    assert [Path(p).name for p, why in report.failed if "truncated" in why] == ["cut.mkv"]
    assert [Path(p).name for p in report.indexed] == ["fine.mkv"]


def test_matroska_duration_tags() -> None:
    assert tag_seconds("00:00:03.000000000") == 3.0
    assert tag_seconds("01:02:03.5") == 3723.5
    assert tag_seconds(None) is None and tag_seconds("3.0") is None and tag_seconds("aa:bb:cc") is None
