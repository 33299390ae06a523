"""A file's sound for a transcriber: its first audio stream decoded with PyAV, resampled to 16 kHz
mono float32 (``av.AudioResampler``) and handed out in windows (``indexer.said.audio_windows``), so a long
video is never held whole."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import numpy as np

from indexer.decode.base import describe
from indexer.said.audio_windows import DEFAULT_WINDOW_SECONDS, SAMPLE_RATE, AudioWindow, windows
from vidseek.errors import DecodeError


class NoAudio(DecodeError):
    """The file has no audio stream: there is nothing to hear (not a failure)."""


def audio_windows(path: Path, *, window_seconds: float = DEFAULT_WINDOW_SECONDS) -> Iterator[AudioWindow]:
    """The first audio stream of ``path`` as windows of ``window_seconds``, timed from the start of the
    file. Raises NoAudio (before any window) when there is no audio stream, DecodeError in plain words
    when the file or its sound cannot be read."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"not a readable video ({describe(exc)})") from None
    with container:
        if not container.streams.audio:
            raise NoAudio("no audio stream: nothing to transcribe")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        first: list[float] = []

        def blocks() -> Iterator[np.ndarray]:
            try:
                for frame in container.decode(stream):
                    if not first:
                        first.append(_seconds(frame))
                    for out in resampler.resample(frame):
                        yield out.to_ndarray().reshape(-1)
                for out in resampler.resample(None):
                    yield out.to_ndarray().reshape(-1)
            except (av.error.FFmpegError, ValueError) as exc:
                raise DecodeError(f"unreadable audio stream ({describe(exc)})") from None

        source = blocks()
        head = next(source, None)
        if head is None:
            return
        yield from windows(chain([head], source), window_seconds=window_seconds, start=first[0] if first else 0.0)


def _seconds(frame) -> float:  # noqa: ANN001
    """The frame's presentation time in seconds (0 when unknown; never before the start)."""
    if frame.pts is None or frame.time_base is None:
        return 0.0
    return max(0.0, float(frame.pts * frame.time_base))
