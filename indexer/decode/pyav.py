"""The PyAV backend: open a file (at least one video stream, or DecodeError), probe it, stream its sampled
frames turned upright and scaled to the model input."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from indexer.decode.base import Frame, VideoInfo, describe
from indexer.decode.geometry import centre_crop, clockwise_turn, scaled_size, turned_size, upright
from indexer.sample import TIME_EPS, SampleClock
from vidseek.errors import DecodeError

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
        rgb = frame.reformat(width=width, height=height, format="rgb24", interpolation="BILINEAR").to_ndarray()
        return np.ascontiguousarray(centre_crop(upright(rgb, turn), self.size))


def open_video(path: Path) -> av.container.InputContainer:
    """``path`` opened with PyAV, with at least one video stream; DecodeError in plain words otherwise."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"not a readable video ({describe(exc)})") from None
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["no streams"]
        container.close()
        raise DecodeError(f"has no video stream (found: {', '.join(kinds)})")
    return container


class PyAVDecoder:
    name = "pyav"

    def probe(self, path: Path) -> VideoInfo:
        with open_video(path) as container:
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

    def frames(self, path: Path, *, fps: float, size: tuple[int, int], keyframes_only: bool = False) -> Iterator[Frame]:
        """Sampled frames. A non-reference frame whose time is before the clock's next sampling time is not
        decoded (``skip_frame = "NONREF"`` for its packet): the clock never takes it and no other frame needs
        it, so the frames are exactly those of a decode of every frame, at a fraction of the cost on files
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
                        if not clock.take(t):
                            continue
                        yield Frame(t, model_input(frame))
            except av.error.FFmpegError as exc:
                raise DecodeError(
                    f"decoding failed after {index} frames ({describe(exc)}); file truncated or corrupt?"
                ) from None
