"""The text cues of a file's own subtitle streams (SRT/subrip, mov_text, ASS/SSA, WebVTT), read with
PyAV: every text subtitle stream is demuxed and decoded; bitmap subtitles (DVD, PGS) have no text
and are left out."""

from __future__ import annotations

from pathlib import Path

from indexer.cue_text import Cue, plain_text
from indexer.decode.base import describe
from vidseek.errors import DecodeError

TEXT_CODECS = {"subrip", "srt", "mov_text", "ass", "ssa", "webvtt", "text"}


def _event_text(raw: bytes) -> str:
    """Plain text of one decoded ASS event (``ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text``)."""
    line = raw.decode("utf-8", errors="replace")
    return plain_text(line.split(",", 8)[8] if line.count(",") >= 8 else line)


def subtitle_cues(path: Path) -> list[tuple[int, str | None, list[Cue]]]:
    """(stream index, language, cues) of each text subtitle stream of ``path``; DecodeError in plain
    words when the file cannot be read."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"not a readable video ({describe(exc)})") from None
    with container:
        streams = [s for s in container.streams.subtitles if s.codec_context.name in TEXT_CODECS]
        if not streams:
            return []
        found: dict[int, list[Cue]] = {s.index: [] for s in streams}
        try:
            for packet in container.demux(streams):
                if packet.size == 0 or packet.pts is None or packet.time_base is None:
                    continue
                start = float(packet.pts * packet.time_base)
                end = start + float((packet.duration or 0) * packet.time_base)
                for subtitle in packet.stream.decode(packet):
                    text = _event_text(bytes(getattr(subtitle, "ass", b"") or b""))
                    if text:
                        found[packet.stream.index].append(Cue(start, max(end, start), text))
        except (av.error.FFmpegError, ValueError) as exc:
            raise DecodeError(f"unreadable subtitle stream ({describe(exc)})") from None
        return [(s.index, _language(s.metadata.get("language")), found[s.index]) for s in streams]


def _language(tag: str | None) -> str | None:
    """The stream's language tag, None when unset or ``und`` (undetermined)."""
    return None if not tag or tag == "und" else tag
