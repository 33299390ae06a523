"""Decoding behind one small interface: probe a file, then stream its sampled frames.

Two backends: PyAV (default) and decord. Frames are chosen by presentation timestamp
(``SampleClock``), scaled by the decoder's own scaler straight to the model's input size
(short side to fit, then centre crop), and yielded one at a time so a video is never held whole.

Frames come out the way a player shows them: a display matrix (a phone's portrait video is stored
landscape with "turn 90 degrees clockwise" in its metadata) is applied as FFmpeg's ``autorotate``
does, and the probe reports the displayed size. PyAV gives the stored picture, so it is scaled in
the stored orientation (to the size that covers the model input once turned) and turned as a numpy
array, before the centre crop. decord (0.6) turns its frames itself, by the same matrix.

This package is the only code that opens video files (PyAV, decord), one module per job. Besides the
two backends it offers
the decode of one time chunk (``frames_in_chunk``, for ``indexer.chunked``) and the upright picture
shown at a time (``frame_at``, for thumbnails) and the text cues of its subtitle streams
(``subtitle_cues``) and the sound of its first audio stream for a
transcriber (``audio_windows``). Import from here, not from the modules.
"""

from __future__ import annotations

from pathlib import Path

from indexer.decode.audio import NoAudio, audio_windows
from indexer.decode.base import Decoder, Frame, VideoInfo, truncation_problem
from indexer.decode.chunk import Unchunkable, frames_in_chunk
from indexer.decode.decord_reader import DecordDecoder, require_decord
from indexer.decode.geometry import centre_crop, clockwise_turn, scaled_size, turned_size, upright
from indexer.decode.pyav import ModelInput, PyAVDecoder, frame_turn
from indexer.decode.still import frame_at
from indexer.decode.subtitles import subtitle_cues
from vidseek.models.encoders import DEFAULT_INPUT_SIZE

__all__ = [
    "DEFAULT_INPUT_SIZE",
    "Decoder",
    "DecordDecoder",
    "Frame",
    "NoAudio",
    "ModelInput",
    "PyAVDecoder",
    "Unchunkable",
    "audio_windows",
    "VideoInfo",
    "centre_crop",
    "clockwise_turn",
    "frame_at",
    "frame_turn",
    "frames_in_chunk",
    "get_decoder",
    "probe",
    "scaled_size",
    "subtitle_cues",
    "truncation_problem",
    "turned_size",
    "upright",
]


def get_decoder(name: str) -> Decoder:
    if name == "pyav":
        return PyAVDecoder()
    if name == "decord":
        require_decord()
        return DecordDecoder()
    raise ValueError(f"unknown decoder {name!r}; use 'pyav' or 'decord'")


def probe(path: Path) -> VideoInfo:
    """What ``path`` holds (size, rate, rotation, codec, container), read with PyAV whatever the decoding
    backend; DecodeError when it is not a readable video."""
    return PyAVDecoder().probe(path)
