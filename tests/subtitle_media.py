"""Test videos that carry their own subtitle streams (SRT/subrip, mov_text, ASS, WebVTT), muxed with
PyAV: a stream per track, one packet per line, its text as the container stores it."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
from media import Segment, mux_colour_frames

ASS_HEADER = (
    "[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
    "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
    "MarginR, MarginV, Encoding\nStyle: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,"
    "10,10,10,0\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n\n"
)


@dataclass(frozen=True)
class Track:
    codec: str
    """'subrip', 'mov_text' (MP4), 'ass' or 'webvtt'."""
    lines: list[tuple[float, float, str]]
    """(start, end, text) seconds; for 'ass' the text may hold override tags."""
    language: str | None = None


@dataclass
class _Muxed:
    stream: av.stream.Stream
    track: Track
    sent: list[int] = field(default_factory=list)


def _payload(track: Track, order: int, text: str) -> bytes:
    if track.codec == "mov_text":
        data = text.encode()
        return len(data).to_bytes(2, "big") + data
    if track.codec == "ass":
        return f"{order},0,Default,,0,0,0,,{text}".encode()
    return text.encode()


def make_subtitled_video(path: Path, segments: list[Segment], tracks: list[Track], *, fps: int = 10) -> Path:
    """A colour video (``media.make_video``'s pictures) with ``tracks`` as subtitle streams."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.options = {"preset": "ultrafast"}
        subs = []
        for track in tracks:
            stream = container.add_stream(track.codec)
            stream.codec_context.subtitle_header = ASS_HEADER.encode()  # the encoders open only with one
            stream.time_base = Fraction(1, 1000)
            if track.language:
                stream.metadata["language"] = track.language
            subs.append(stream)
        mux_colour_frames(container, video, segments, fps)
        for stream, track in zip(subs, tracks):
            for order, (start, end, text) in enumerate(track.lines):
                packet = av.Packet(_payload(track, order, text))
                packet.stream = stream
                packet.pts = packet.dts = round(start * 1000)
                packet.duration = round((end - start) * 1000)
                packet.time_base = Fraction(1, 1000)
                container.mux(packet)
    return path
