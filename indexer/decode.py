"""Decoding behind one small interface: probe a file, then stream its sampled frames.

Two backends: PyAV (default) and decord. Frames are chosen by presentation timestamp
(``SampleClock``), scaled by the decoder's own scaler straight to the model's input size
(short side to fit, then centre crop), and yielded one at a time so a video is never held whole.

Frames come out the way a player shows them: a display matrix (a phone's portrait video is stored
landscape with "turn 90 degrees clockwise" in its metadata) is applied as FFmpeg's ``autorotate``
does, and the probe reports the displayed size. PyAV gives the stored picture, so it is scaled in
the stored orientation (to the size that covers the model input once turned) and turned as a numpy
array, before the centre crop. decord (0.6) turns its frames itself, by the same matrix.

This is the only module that opens video files (PyAV, decord). Besides the two backends it offers
the decode of one time chunk (``frames_in_chunk``, for ``indexer.chunked``) and the upright picture
shown at a time (``frame_at``, for thumbnails).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np

from indexer.sample import _EPS, SampleClock, sample_indices
from vidseek.encoders import DEFAULT_INPUT_SIZE  # noqa: F401 - re-exported: the indexer's callers read it here
from vidseek.errors import DecodeError


@dataclass(frozen=True)
class VideoInfo:
    """What a probe learns about a file before decoding it."""

    duration: float
    """Seconds; 0.0 when the container does not say (decoding then tells)."""
    fps: float
    """Average frame rate of the video stream."""
    width: int
    """Displayed width: the stored height when the video is turned by 90 or 270 degrees."""
    height: int
    codec: str
    rotation: int = 0
    """Clockwise degrees (0, 90, 180 or 270) a player turns the stored picture to show it."""
    container: str = ""
    """FFmpeg's name for the container, its aliases comma-separated ("mov,mp4,m4a,3gp,3g2,mj2")."""


@dataclass(frozen=True)
class Frame:
    t: float
    """Presentation time in seconds from the start of the video stream."""
    image: np.ndarray
    """(H, W, 3) uint8 RGB, already at the model's input size."""


class Decoder(Protocol):
    name: str

    def probe(self, path: Path) -> VideoInfo: ...

    def frames(self, path: Path, *, fps: float, size: tuple[int, int], keyframes_only: bool = False) -> Iterator[Frame]:
        """Sampled frames; with ``keyframes_only`` only keyframes are decoded (fast, coarse)."""
        ...


def scaled_size(width: int, height: int, size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) that covers ``size`` (h, w) while keeping the aspect ratio."""
    out_h, out_w = size
    scale = max(out_w / width, out_h / height)
    return max(out_w, round(width * scale)), max(out_h, round(height * scale))


def clockwise_turn(ccw_degrees: float) -> int:
    """PyAV's ``VideoFrame.rotation`` (the display matrix's angle, counter-clockwise, in [-180, 180]) as the
    clockwise quarter turn a player applies: 0, 90, 180 or 270 (other angles round to the nearest)."""
    if not math.isfinite(ccw_degrees):
        return 0
    return (-round(ccw_degrees / 90)) % 4 * 90


def turned_size(width: int, height: int, turn: int) -> tuple[int, int]:
    """(width, height) of a ``width`` x ``height`` picture after a clockwise ``turn``."""
    return (height, width) if turn in (90, 270) else (width, height)


def upright(image: np.ndarray, turn: int) -> np.ndarray:
    """``image`` (H, W, ...) turned ``turn`` degrees clockwise, as a player shows it (a view, no copy)."""
    return np.rot90(image, k=-(turn // 90)) if turn else image


def frame_turn(frame) -> int:  # frame: an av.VideoFrame
    """The clockwise turn a decoded PyAV frame's display matrix asks for (0 without one)."""
    return clockwise_turn(getattr(frame, "rotation", 0) or 0)


class ModelInput:
    """Decoded PyAV frames as model input: scaled by ``sws_scale`` in the stored orientation to the size that
    covers ``size`` once turned, turned upright (numpy), then centre-cropped. The turn and scale are fixed by
    the first frame: a display matrix is per stream."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self._plan: tuple[int, tuple[int, int]] | None = None

    def __call__(self, frame) -> np.ndarray:  # frame: an av.VideoFrame
        if self._plan is None:
            turn = frame_turn(frame)
            shown = scaled_size(*turned_size(frame.width, frame.height, turn), self.size)
            self._plan = (turn, turned_size(*shown, turn))  # back to the stored orientation for the scaler
        turn, (width, height) = self._plan
        rgb = frame.reformat(width=width, height=height, format="rgb24", interpolation="BILINEAR").to_ndarray()
        return np.ascontiguousarray(centre_crop(upright(rgb, turn), self.size))


def centre_crop(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    out_h, out_w = size
    h, w = image.shape[:2]
    top, left = (h - out_h) // 2, (w - out_w) // 2
    return image[top : top + out_h, left : left + out_w]


def _describe(exc: Exception) -> str:
    """The useful part of a decoder error: FFmpeg's sentence, without errno numbers or file names."""
    text = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    text = text.split(": '", 1)[0]
    return text.splitlines()[0][:200]


def truncation_problem(duration: float, last_frame_t: float, step: float) -> str | None:
    """Why decoding that stopped at ``last_frame_t`` means a damaged file, or None if it is plausible.

    Containers often state a duration a little past the last video frame (audio runs longer,
    rounding), so up to ``max(2 s, 10 %, one step)`` of shortfall is accepted.
    """
    if duration <= 0:
        return None
    covered = last_frame_t + step
    if covered < duration - max(2.0, 0.1 * duration, step):
        return (f"file looks truncated: video frames stop at {last_frame_t:.1f} s but the file says it lasts "
                f"{duration:.1f} s")
    return None


def _open_video(path: Path):  # noqa: ANN202 - an av.container.InputContainer
    """``path`` opened with PyAV, with at least one video stream; DecodeError in plain words otherwise."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"not a readable video ({_describe(exc)})") from None
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["no streams"]
        container.close()
        raise DecodeError(f"has no video stream (found: {', '.join(kinds)})")
    return container


class PyAVDecoder:
    name = "pyav"

    def probe(self, path: Path) -> VideoInfo:
        with _open_video(path) as container:
            stream = container.streams.video[0]
            ctx = stream.codec_context
            duration = 0.0
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            fps = float(rate) if rate else 0.0
            if not ctx.width or not ctx.height:
                raise DecodeError("video stream has no frame size")
            turn = self._first_frame_turn(container, stream)
            width, height = turned_size(ctx.width, ctx.height, turn)
            return VideoInfo(duration=duration, fps=fps, width=width, height=height, codec=ctx.name, rotation=turn,
                             container=container.format.name)

    @staticmethod
    def _first_frame_turn(container, stream) -> int:
        """The display matrix's turn, as FFmpeg attaches it to decoded frames; 0 when no frame decodes (the
        decode stage then says what is wrong)."""
        import av

        try:
            for frame in container.decode(stream):
                return frame_turn(frame)
        except av.error.FFmpegError:
            pass
        return 0

    def frames(self, path: Path, *, fps: float, size: tuple[int, int], keyframes_only: bool = False) -> Iterator[Frame]:
        import av

        with _open_video(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if keyframes_only:
                stream.codec_context.skip_frame = "NONKEY"
            origin = float(stream.start_time * stream.time_base) if stream.start_time is not None else None
            clock = SampleClock(fps)
            model_input = ModelInput(size)
            index = 0
            try:
                for frame in container.decode(stream):
                    if frame.pts is None and frame.time is None:
                        t_abs = index / (float(stream.average_rate or 25))
                    else:
                        t_abs = float(frame.time)
                    index += 1
                    if origin is None:
                        origin = t_abs
                    t = max(0.0, t_abs - origin)
                    if not clock.take(t):
                        continue
                    yield Frame(t, model_input(frame))
            except av.error.FFmpegError as exc:
                raise DecodeError(f"decoding failed after {index} frames ({_describe(exc)}); file truncated or corrupt?") from None


class Unchunkable(Exception):
    """This file cannot be decoded a chunk at a time (see ``indexer.chunked``); decode it whole."""


def frames_in_chunk(path: Path, *, fps: float, size: tuple[int, int], start_step: int, end_step: int | None,
                    keyframes_only: bool = False) -> Iterator[Frame]:
    """The sampled frames of one chunk of sampling steps ``[start_step, end_step)`` (``end_step`` None: to the
    end), exactly as ``PyAVDecoder.frames`` yields them for the whole file; ``indexer.chunked`` says why they
    are the same. Raises :class:`Unchunkable` whenever that cannot be promised, and on any decoding error."""
    import av

    a = start_step / fps
    b = math.inf if end_step is None else end_step / fps
    with _open_video(path) as container:
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


def frame_at(path: Path, t: float) -> np.ndarray:
    """The picture shown at ``t`` seconds from the start of the video stream, at full size, upright as a
    player shows it (the display matrix applied): (H, W, 3) uint8 RGB. Seeks, then decodes forward to t.

    Raises DecodeError ("cannot decode a frame at ...") for any file that cannot give one: unreadable,
    not a video, a folder, gone.
    """
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            origin = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
            target = origin + t
            container.seek(int(target / stream.time_base), stream=stream, backward=True, any_frame=False)
            shown = None
            for frame in container.decode(stream):
                if shown is not None and frame.time is not None and frame.time > target + 1e-6:
                    break
                shown = frame
            if shown is None:
                raise DecodeError(f"no frame at {t:.3f} s of {path}")
            return np.ascontiguousarray(upright(shown.to_ndarray(format="rgb24"), frame_turn(shown)))
    except (av.error.FFmpegError, OSError, IndexError, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"cannot decode a frame at {t:.3f} s of {path} ({exc})") from None


class DecordDecoder:
    """decord applies the display matrix itself (``transpose`` in its filter graph, FFmpeg's clockwise
    convention), and its ``width``/``height`` are the displayed size; so its frames need no turn here, and the
    size of its first frame is the displayed one. (Turning them again would show them sideways.)"""

    name = "decord"
    _chunk = 32

    def _reader(self, path: Path, size: tuple[int, int] | None = None):  # noqa: ANN202
        import decord

        try:
            if size is None:
                return decord.VideoReader(str(path), num_threads=1)
            probe = decord.VideoReader(str(path), num_threads=1)
            h, w = probe[0].shape[:2] if len(probe) else (size[0], size[1])
            del probe
            tw, th = scaled_size(w, h, size)
            return decord.VideoReader(str(path), width=tw, height=th, num_threads=1)
        except (decord.DECORDError, RuntimeError) as exc:
            raise DecodeError(f"not a readable video ({_describe(exc)})") from None

    def probe(self, path: Path) -> VideoInfo:
        # decord has no codec or audio-only probe; PyAV gives the metadata, decord decodes.
        return probe(path)

    def frames(self, path: Path, *, fps: float, size: tuple[int, int], keyframes_only: bool = False) -> Iterator[Frame]:
        import decord

        reader = self._reader(path, size)
        n = len(reader)
        if n == 0:
            return
        stamps = reader.get_frame_timestamp(range(n))[:, 0]
        origin = float(stamps[0])
        if keyframes_only:
            keys = np.asarray(reader.get_key_indices(), dtype=np.int64)
            keep = [int(keys[i]) for i in sample_indices(stamps[keys] - origin, fps)]
        else:
            keep = sample_indices(stamps - origin, fps)
        for lo in range(0, len(keep), self._chunk):
            chunk = keep[lo : lo + self._chunk]
            try:
                batch = reader.get_batch(chunk).asnumpy()
            except decord.DECORDError as exc:
                raise DecodeError(f"decoding failed ({_describe(exc)}); file truncated or corrupt?") from None
            for i, image in zip(chunk, batch):
                yield Frame(max(0.0, float(stamps[i]) - origin), np.ascontiguousarray(centre_crop(image, size)))


def get_decoder(name: str) -> Decoder:
    if name == "pyav":
        return PyAVDecoder()
    if name == "decord":
        return DecordDecoder()
    raise ValueError(f"unknown decoder {name!r}; use 'pyav' or 'decord'")


def probe(path: Path) -> VideoInfo:
    """What ``path`` holds (size, rate, rotation, codec, container), read with PyAV whatever the decoding
    backend; DecodeError when it is not a readable video."""
    return PyAVDecoder().probe(path)
