"""The rules for a decoded video: how a decoding failure is worded, and when a decode is not stored."""

from __future__ import annotations

import errno

import numpy as np

from indexer.decoded import (
    NO_FRAMES,
    DecodedVideo,
    cannot_read,
    decode_failure,
    decoded_problem,
)
from vidseek.errors import DecodeError


def _decoded(times: list[float], error: str | None = None) -> DecodedVideo:
    return DecodedVideo(0, times=list(times), vectors=[np.ones(3, np.float32) for _ in times], error=error)


def test_a_decode_error_is_the_decoders_own_sentence() -> None:
    assert (
        decode_failure(DecodeError("not a readable video (Invalid data found)"))
        == "not a readable video (Invalid data found)"
    )


def test_any_other_exception_is_a_decoder_crash_named_by_its_type() -> None:
    assert (
        decode_failure(ZeroDivisionError("division by zero")) == "decoder crashed (ZeroDivisionError: division by zero)"
    )


def test_an_unreadable_file_names_the_system_error() -> None:
    assert cannot_read(PermissionError(errno.EACCES, "Permission denied")) == "cannot read (Permission denied)"
    assert cannot_read(OSError("no strerror")) == "cannot read (no strerror)"


def test_the_decode_error_is_kept_first() -> None:
    assert (
        decoded_problem(_decoded([], "decoding failed after 3 frames"), duration=10, step=1.0, keyframes_only=False)
        == "decoding failed after 3 frames"
    )


def test_no_frames_is_a_failure() -> None:
    assert decoded_problem(_decoded([]), duration=0, step=1.0, keyframes_only=False) == NO_FRAMES
    assert decoded_problem(_decoded([]), duration=10, step=1.0, keyframes_only=True) == NO_FRAMES


def test_frames_that_stop_well_before_the_stated_duration_are_a_truncated_file() -> None:
    problem = decoded_problem(_decoded([0.0, 1.0, 2.0]), duration=20.0, step=1.0, keyframes_only=False)
    assert problem is not None and problem.startswith("file looks truncated")
    assert decoded_problem(_decoded([2.0, 0.0, 18.0]), duration=20.0, step=1.0, keyframes_only=False) is None


def test_keyframes_only_decoding_is_not_checked_for_truncation() -> None:
    assert decoded_problem(_decoded([0.0, 1.0, 2.0]), duration=20.0, step=1.0, keyframes_only=True) is None
