"""One video's sampled frames once embedded, and the rules that name what went wrong reading or
decoding it.

Both ways of embedding (``indexer.embedding``: batched in this process, or on Ray) report decoding
failures with :func:`decode_failure` and hand back :class:`DecodedVideo`; every caller that stores
the result (indexing, re-embedding) checks it with :func:`decoded_problem` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from indexer.decode import truncation_problem
from vidseek.errors import DecodeError
from vidseek.shots import Cut

NO_FRAMES = "no decodable video frames"


@dataclass
class DecodedVideo:
    """One file's sampled frames once they are all embedded (or why it failed)."""

    key: int
    times: list[float] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    error: str | None = None
    cuts: list[Cut] | None = None
    """Its shots' cuts (``indexer.cut_detection``); None when shots were not detected."""
    shown: object | None = None
    """What reading its picture found (``indexer.shown.text_reading.ShownText``), when it was read."""


def cannot_read(exc: OSError) -> str:
    """How a file that cannot be stat'ed or opened is reported."""
    return f"cannot read ({exc.strerror or exc})"


def decode_failure(exc: Exception) -> str:
    """How a file whose decoding raised ``exc`` is reported: the decoder's own sentence for a
    :class:`DecodeError` (``not a readable video (...)``, ``decoding failed after N frames ...``),
    else ``decoder crashed (Type: message)``; a file that crashes the decoder fails alone."""
    if isinstance(exc, DecodeError):
        return str(exc)
    return f"decoder crashed ({type(exc).__name__}: {exc})"


def decoded_problem(done: DecodedVideo, *, duration: float, step: float, keyframes_only: bool) -> str | None:
    """Why ``done`` must not be stored (its decode error, no frames, frames that stop well before
    the stated ``duration``), or None. Keyframes-only decoding may stop a GOP early: no
    truncation check then."""
    if done.error is not None:
        return done.error
    if not done.times:
        return NO_FRAMES
    if keyframes_only:
        return None
    return truncation_problem(duration, max(done.times), step)
