"""Decoding one time chunk of a video (PyAV) with exactly the frames a whole-file decode keeps there.

Distributed indexing (``indexer.distributed``) cuts a long video into chunks so several CPUs decode
it at once. A chunk is a range of sampling steps ``[start_step, end_step)``: it starts at the time
``a = start_step / fps`` and ends at ``b = end_step / fps`` (open for the last chunk). It owns the
frames whose time ``t`` has ``a <= t + EPS < b``, the comparison ``SampleClock`` itself makes, so the
chunks of a video share out its frames with none left over and none twice.

Why a chunk keeps the same frames as ``PyAVDecoder.frames`` on the whole file: a ``SampleClock``
carries only ``next_t``, set from the last frame it took. The chunk seeks to the keyframe at or
before ``a - 1/fps`` and runs a fresh clock from the first frame ``p`` it decodes there; that clock
takes ``p`` and waits for ``(bucket(p) + 1) / fps <= a``. The whole-file clock at ``p`` waits for at
most that (it last took a frame no later than ``p``), so the first frame at or after that time is
taken by both, and from then on both hold the same state. Frames before ``a`` only warm the clock
up. Times must come from the stream's own start time (the first frame after a seek is not the
first of the file), and must increase.

Anything that breaks those premises (no stream start time, frames without timestamps, times going
backwards, a seek that landed after ``a - 1/fps``) raises :class:`Unchunkable`; the caller then
decodes the whole file in one piece, as a local run does. So does any decoding error: the whole
file's decode gives the error (and its wording) a local run gives.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

from indexer.decode import Frame, ModelInput, PyAVDecoder
from indexer.sample import _EPS, SampleClock


class Unchunkable(Exception):
    """This file cannot be decoded a chunk at a time (see the module docstring); decode it whole."""


def chunk_steps(duration: float, fps: float, chunk_seconds: float) -> list[tuple[int, int | None]]:
    """``[(start_step, end_step)]`` covering the whole video: chunks of about ``chunk_seconds``
    starting at multiples of the sampling step; the last one is open (``None``) so frames past the
    stated duration are kept too. One open chunk when the video is short, its duration unknown, or
    ``chunk_seconds`` is 0."""
    if duration <= 0 or chunk_seconds <= 0:
        return [(0, None)]
    per = max(1, round(chunk_seconds * fps))
    n = max(1, round(duration * fps / per))
    if n == 1:
        return [(0, None)]
    return [(i * per, (i + 1) * per if i < n - 1 else None) for i in range(n)]


def frames_in_chunk(path: Path, *, fps: float, size: tuple[int, int], start_step: int, end_step: int | None,
                    keyframes_only: bool = False) -> Iterator[Frame]:
    """The sampled frames of one chunk, as ``PyAVDecoder.frames`` yields them for the whole file."""
    import av

    a = start_step / fps
    b = math.inf if end_step is None else end_step / fps
    with PyAVDecoder()._open(path) as container:
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
        previous: float | None = None
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    raise Unchunkable("a frame has no timestamp")
                t = max(0.0, float(frame.time) - origin)
                if previous is None and start_step > 0 and math.floor(t * fps + _EPS) + 1 > start_step:
                    raise Unchunkable(f"seeking for {a:.3f} s landed at {t:.3f} s")
                if previous is not None and t < previous:
                    raise Unchunkable("frame times go backwards")
                previous = t
                if t + _EPS >= b:
                    return
                if not clock.take(t) or t + _EPS < a:
                    continue
                yield Frame(t, model_input(frame))
        except av.error.FFmpegError as exc:
            raise Unchunkable(f"decoding failed ({exc})") from None
