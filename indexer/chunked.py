"""Cutting a video into time chunks, each decoded (PyAV) with exactly the frames a whole-file decode keeps there.

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

The chunk's decode itself is the decoding module's (``indexer.decode.frames_in_chunk``); this module plans
the chunks.
"""

from __future__ import annotations

from indexer.decode import Unchunkable, frames_in_chunk

__all__ = ["Unchunkable", "chunk_steps", "frames_in_chunk"]


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
