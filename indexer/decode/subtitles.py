"""The text cues of a file's own subtitle streams (SRT/subrip, mov_text, ASS/SSA, WebVTT), read with
PyAV: every text subtitle stream is demuxed, and each packet's text is read as the sidecar readers
read that format (``indexer.said.cue_markup``), not through FFmpeg's decoders, which turn every format
into ASS and lose text on the way (``I <3 you`` in SRT, ``x < 5`` in WebVTT) or decode character
references twice. Bitmap subtitles (DVD, PGS) have no text and are left out. A cue whose time
cannot be one is skipped with a note, and a stream's text is read up to ``max_bytes`` (the rest is
left out, with a note)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from indexer.decode.base import describe
from indexer.said.cue_markup import ass_text, markup_text
from indexer.said.cue_text import Cue, quoted, time_problem
from vidseek.errors import DecodeError
from vidseek.said.language_tags import standard_tag

TEXT_CODECS = {"subrip", "srt", "mov_text", "ass", "ssa", "webvtt", "text"}
NO_LIMIT = 2**62


@dataclass
class StreamCues:
    """The cues of one text subtitle stream, and notes on what was skipped."""

    index: int
    lang: str | None
    cues: list[Cue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    text_bytes: int = 0
    full: bool = False
    """``max_bytes`` of text were read: the rest is left out."""


def packet_text(codec: str, payload: bytes) -> str:
    """Plain text of one subtitle packet of ``codec``: an ASS event
    (``ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text``), a mov_text sample (a
    2-byte length, the text, style boxes) or SRT/WebVTT cue text."""
    if codec in ("ass", "ssa"):
        fields = payload.decode("utf-8", errors="replace").split(",", 8)
        return ass_text(fields[-1])
    if codec == "mov_text":
        payload = payload[2 : 2 + int.from_bytes(payload[:2], "big")]
    return markup_text(payload.decode("utf-8", errors="replace"))


def subtitle_cues(path: Path, *, max_bytes: int = NO_LIMIT) -> list[StreamCues]:
    """The cues of each text subtitle stream of ``path``; DecodeError in plain words when the file
    cannot be read."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"not a readable video ({describe(exc)})") from None
    with container:
        streams = [s for s in container.streams.subtitles if s.codec_context.name in TEXT_CODECS]
        found = {s.index: StreamCues(s.index, _language(s.metadata.get("language"))) for s in streams}
        try:
            for packet in container.demux(streams) if streams else ():
                read = found[packet.stream.index]
                if read.full or packet.size == 0 or packet.pts is None or packet.time_base is None:
                    continue
                start = float(packet.pts * packet.time_base)
                end = start + float(max(packet.duration or 0, 0) * packet.time_base)
                _add(read, start, end, packet.stream.codec_context.name, bytes(packet), max_bytes)
        except (av.error.FFmpegError, ValueError, OverflowError) as exc:
            raise DecodeError(f"unreadable subtitle stream ({describe(exc)})") from None
        return [found[s.index] for s in streams]


def _add(read: StreamCues, start: float, end: float, codec: str, payload: bytes, max_bytes: int) -> None:
    read.text_bytes += len(payload)
    if read.text_bytes > max_bytes:
        read.full = True
        read.notes.append(
            f"only its first {max_bytes:,} bytes of text read (VIDSEEK_SUBTITLE_MAX_BYTES); "
            f"the cues from {start:g} s on are left out"
        )
        return
    text = packet_text(codec, payload)
    if not text:
        return
    problem = time_problem(start, end)
    if problem is not None:
        read.notes.append(f"cue {quoted(text)}: {problem}")
        return
    read.cues.append(Cue(start, end, text))


def _language(tag: str | None) -> str | None:
    """The stream's language tag as written (``eng``, ``ger``), None when unset or no language
    (``und``, or not a language tag)."""
    return tag if standard_tag(tag) is not None else None
