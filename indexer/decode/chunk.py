"""One time chunk of a video decoded with exactly the frames a whole-file decode keeps there (why they are
the same: ``indexer.chunked``, which plans the chunks)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

from indexer.decode.base import Frame, FrameWatcher
from indexer.decode.pyav import FramePicture, ModelInput, ShotThumbnails, frame_turn, open_video
from indexer.sample import TIME_EPS, SampleClock


class Unchunkable(Exception):
    """This file cannot be decoded a chunk at a time (see ``indexer.chunked``); decode it whole."""


def frames_in_chunk(
    path: Path,
    *,
    fps: float,
    size: tuple[int, int],
    start_step: int,
    end_step: int | None,
    keyframes_only: bool = False,
    shots: FrameWatcher | None = None,
) -> Iterator[Frame]:
    """The sampled frames of one chunk of sampling steps ``[start_step, end_step)`` (``end_step`` None: to the
    end), exactly as ``PyAVDecoder.frames`` yields them for the whole file; ``indexer.chunked`` says why they
    are the same. Raises :class:`Unchunkable` whenever that cannot be promised, and on any decoding error.
    ``shots`` sees every frame decoded before ``end_step`` (from the keyframe the seek lands on: a cut at
    the chunk's first step is found; the caller keeps only the cuts of its own steps)."""
    import av

    a = start_step / fps
    b = math.inf if end_step is None else end_step / fps
    with open_video(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if keyframes_only:
            stream.codec_context.skip_frame = "NONKEY"
        if stream.start_time is None or stream.time_base is None:
            raise Unchunkable("the video stream states no start time")
        origin = float(stream.start_time * stream.time_base)
        if start_step > 0:
            target = origin + (start_step - 1) / fps
            container.seek(math.floor(target / stream.time_base), stream=stream, backward=True, any_frame=False)
        clock = SampleClock(fps)
        model_input = ModelInput(size)  # the same scaling, turn (display matrix) and crop as the whole file
        thumbnail = ShotThumbnails() if shots is not None else None
        previous: float | None = None
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    raise Unchunkable("a frame has no timestamp")
                t = max(0.0, float(frame.time) - origin)
                if previous is None and start_step > 0 and math.floor(t * fps + TIME_EPS) + 1 > start_step:
                    raise Unchunkable(f"seeking for {a:.3f} s landed at {t:.3f} s")
                if previous is not None and t < previous:
                    raise Unchunkable("frame times go backwards")
                previous = t
                if t + TIME_EPS >= b:
                    return
                if shots is not None:
                    shots.see_video(t, thumbnail(frame))
                if not clock.take(t) or t + TIME_EPS < a:
                    continue
                yield Frame(t, model_input(frame), FramePicture(frame, frame_turn(frame)))
        except av.error.FFmpegError as exc:
            raise Unchunkable(f"decoding failed ({exc})") from None
