"""The PyAV backend: open a file (at least one video stream, or DecodeError), probe it, stream its sampled
frames turned upright and scaled to the model input."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from indexer.decode.base import Frame, FrameWatcher, VideoInfo, describe
from indexer.decode.geometry import centre_crop, clockwise_turn, scaled_size, turned_size, upright
from indexer.sample import TIME_EPS, SampleClock
from vidseek.errors import DecodeError
from vidseek.video_formats import is_image_container

if TYPE_CHECKING:
    import av


def frame_turn(frame: av.VideoFrame) -> int:
    """The clockwise turn a decoded PyAV frame's display matrix asks for (0 without one)."""
    return clockwise_turn(getattr(frame, "rotation", 0) or 0)


class ModelInput:
    """Decoded PyAV frames as model input: scaled by ``sws_scale`` in the stored orientation to the size that
    covers ``size`` once turned, turned upright (numpy), then centre-cropped. The turn and scale are fixed by
    the first frame: a display matrix is per stream."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self._plan: tuple[int, tuple[int, int]] | None = None

    def __call__(self, frame: av.VideoFrame) -> np.ndarray:
        if self._plan is None:
            turn = frame_turn(frame)
            shown = scaled_size(*turned_size(frame.width, frame.height, turn), self.size)
            self._plan = (turn, turned_size(*shown, turn))  # back to the stored orientation for the scaler
        turn, (width, height) = self._plan
        rgb = rgb_picture(frame, width=width, height=height, interpolation="BILINEAR")
        return np.ascontiguousarray(centre_crop(upright(rgb, turn), self.size))


def rgb_picture(frame: av.VideoFrame, **scaled: object) -> np.ndarray:
    """``frame`` as (H, W, 3) uint8 RGB (``width``, ``height``, ``interpolation``: scaled on the way) by a
    scaler with one thread: the frame keeps the scaler it used (PyAV caches one per frame), and a scaler
    with threads must never be freed in a forked child (``ShotThumbnails``)."""
    return frame.reformat(format="rgb24", threads=1, **scaled).to_ndarray()


class ShotThumbnails:
    """Decoded frames as (16, 16, 3) uint8 thumbnails for cut detection, in video-range Y'CbCr (the decoder's
    own colours; ``indexer.cut_detection.from_video_range`` turns them to RGB), scaled by ``sws_scale``
    through one reformatter kept for the whole decode: its scaling context is made once (a frame's own
    ``reformat`` makes one each call, 60x the cost at 720p).

    The scaler runs on the calling thread (``threads=1``): by default FFmpeg gives a kept scaling context
    slice threads, and a context with threads that is freed in a forked child waits forever on threads the
    child does not have. Ray starts its processes with a ``preexec_fn``, so the child runs Python: it
    drops the other threads' stacks (a frame waiting in the OCR or embedding queue, with the scaler PyAV
    keeps on every frame it reformatted) and collects garbage. Every scaler here is made with one thread
    (``ModelInput``, ``FramePicture`` too)."""

    def __init__(self) -> None:
        from av.video.reformatter import VideoReformatter

        self._reformatter = VideoReformatter()

    def __call__(self, frame: av.VideoFrame) -> np.ndarray:
        small = self._reformatter.reformat(
            frame, width=16, height=16, format="yuv444p", interpolation="FAST_BILINEAR", threads=1
        )
        return np.ascontiguousarray(np.moveaxis(small.to_ndarray(), 0, -1))


class FramePicture:
    """A decoded frame's whole picture on demand (``Frame.picture``): scaled by ``sws_scale`` in the stored
    orientation so the upright picture's longest side is at most ``max_side``, then turned upright."""

    def __init__(self, frame: av.VideoFrame, turn: int) -> None:
        self.frame = frame
        self.turn = turn

    def __call__(self, max_side: int) -> np.ndarray:
        shown_w, shown_h = turned_size(self.frame.width, self.frame.height, self.turn)
        scale = min(1.0, max_side / max(shown_w, shown_h))
        width, height = turned_size(max(1, round(shown_w * scale)), max(1, round(shown_h * scale)), self.turn)
        how = "AREA" if scale < 0.25 else "BILINEAR"
        rgb = rgb_picture(self.frame, width=width, height=height, interpolation=how)
        return np.ascontiguousarray(upright(rgb, self.turn))


def open_video(path: Path) -> av.container.InputContainer:
    """``path`` opened with PyAV, with at least one video stream; DecodeError in plain words otherwise.

    What the file is comes from its content, never its name: a picture (PNG, JPEG, GIF, WebP..., whatever
    its suffix, animated or not) is refused, and so is a file whose only pictures are cover art (an MP3's
    album cover is a video stream marked ``attached_pic``)."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"not a readable video ({describe(exc)})") from None
    problem = _not_a_video(container)
    if problem:
        container.close()
        raise DecodeError(problem)
    return container


def _not_a_video(container: av.container.InputContainer) -> str | None:
    """Why an opened file is no video to index, or None when it is one."""
    if is_image_container(container.format.name):
        codec = container.streams.video[0].codec_context.name if container.streams.video else "unknown"
        return f"is an image ({codec}), not a video"
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["no streams"]
        return f"has no video stream (found: {', '.join(kinds)})"
    if all(s.disposition & s.disposition.attached_pic for s in container.streams.video):
        return "has no video stream (only a cover picture)"
    return None


def video_duration(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    """Seconds the video stream lasts, by what the file says of that stream: its own duration, else (Matroska,
    WebM: no per-stream duration) its ``DURATION`` tag, else the container's duration when the video is the
    only stream; 0.0 (unknown: decoding tells) otherwise. A subtitle line or an audio track that runs past
    the last frame lengthens the container's duration, not the video's, so it never makes a whole file look
    truncated."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    tagged = tag_seconds(stream.metadata.get("DURATION") or stream.metadata.get("duration"))
    if tagged is not None:
        return tagged
    if container.duration is not None and len(container.streams) == 1:
        return container.duration / 1_000_000
    return 0.0


def tag_seconds(text: str | None) -> float | None:
    """A Matroska ``DURATION`` tag ("00:01:02.500000000") in seconds; None when absent or not of that shape."""
    parts = (text or "").strip().split(":")
    if len(parts) != 3:
        return None
    try:
        hours, minutes, seconds = int(parts[0]), int(parts[1]), float(parts[2])
    except ValueError:
        return None
    total = hours * 3600 + minutes * 60 + seconds
    return total if total >= 0 and minutes < 60 and seconds < 60 else None


class PyAVDecoder:
    name = "pyav"

    def probe(self, path: Path) -> VideoInfo:
        with open_video(path) as container:
            stream = container.streams.video[0]
            ctx = stream.codec_context
            duration = video_duration(container, stream)
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            fps = float(rate) if rate else 0.0
            if not ctx.width or not ctx.height:
                raise DecodeError("video stream has no frame size")
            turn = self._first_frame_turn(container, stream)
            width, height = turned_size(ctx.width, ctx.height, turn)
            return VideoInfo(
                duration=duration,
                fps=fps,
                width=width,
                height=height,
                codec=ctx.name,
                rotation=turn,
                container=container.format.name,
            )

    @staticmethod
    def _first_frame_turn(container: av.container.InputContainer, stream: av.VideoStream) -> int:
        """The display matrix's turn, as FFmpeg attaches it to decoded frames; 0 when no frame decodes (the
        decode stage then says what is wrong)."""
        import av

        try:
            for frame in container.decode(stream):
                return frame_turn(frame)
        except av.error.FFmpegError:
            pass
        return 0

    def frames(
        self,
        path: Path,
        *,
        fps: float,
        size: tuple[int, int],
        keyframes_only: bool = False,
        shots: FrameWatcher | None = None,
    ) -> Iterator[Frame]:
        """Sampled frames. ``shots`` (``indexer.cut_detection.CutDetector``) is shown a 16x16 Y'CbCr thumbnail of
        every frame decoded, sampled or not (``ShotThumbnails``, through ``see_video``).

        A non-reference frame whose time is before the clock's next sampling time is not decoded
        (``skip_frame = "NONREF"`` for its packet): the clock never takes it and no other frame needs it,
        so the frames are exactly those of a decode of every frame, at a fraction of the cost on files
        with B-frames (``benchmarks/decode_levers.py``)."""
        import av

        with open_video(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            ctx = stream.codec_context
            if keyframes_only:
                ctx.skip_frame = "NONKEY"
            origin = float(stream.start_time * stream.time_base) if stream.start_time is not None else None
            time_base = float(stream.time_base) if stream.time_base is not None else None
            clock = SampleClock(fps)
            model_input = ModelInput(size)
            thumbnail = ShotThumbnails() if shots is not None else None
            index = 0
            try:
                for packet in container.demux(stream):
                    if not keyframes_only:
                        early = (
                            packet.pts is not None
                            and origin is not None
                            and time_base is not None
                            and packet.pts * time_base - origin + TIME_EPS < clock.next_t
                        )
                        ctx.skip_frame = "NONREF" if early else "DEFAULT"
                    for frame in ctx.decode(packet):
                        if frame.pts is None and frame.time is None:
                            t_abs = index / (float(stream.average_rate or 25))
                        else:
                            t_abs = float(frame.time)
                        index += 1
                        if origin is None:
                            origin = t_abs
                        t = max(0.0, t_abs - origin)
                        if shots is not None:
                            shots.see_video(t, thumbnail(frame))
                        if not clock.take(t):
                            continue
                        yield Frame(t, model_input(frame), FramePicture(frame, frame_turn(frame)))
            except av.error.FFmpegError as exc:
                raise DecodeError(
                    f"decoding failed after {index} frames ({describe(exc)}); file truncated or corrupt?"
                ) from None
