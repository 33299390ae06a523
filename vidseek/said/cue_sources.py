"""Which cues a write replaces: a video's cues come from its subtitles (``sidecar:NAME`` files beside
it, ``stream:INDEX`` streams inside it) or from a transcript (``speech:MODEL``). Pure rules; the one
write that applies them is ``vidseek.storage.cue_store.write_cues``.

- ``subtitles``: the subtitles were read again (an unchanged file's sidecars changed, or the same
  content indexed again): its subtitle cues are replaced, its transcript kept;
- ``transcript``: a transcription finished: its transcript is replaced, its subtitles kept;
- ``all``: the file's content changed (or it is new): every cue goes, the transcript with it (it was
  of the old sound).
"""

from __future__ import annotations

from collections.abc import Iterable

SPEECH = "speech:"
SCOPES = ("subtitles", "transcript", "all")


def transcript_source(model_name: str) -> str:
    """The ``source`` of the cues a speech model heard."""
    return f"{SPEECH}{model_name}"


def is_transcript(source: str) -> bool:
    return source.startswith(SPEECH)


def check_write(replacing: str, sources: Iterable[str]) -> None:
    """Raise ValueError unless cues of ``sources`` may be written by a ``replacing`` write: a subtitles
    write brings no transcript cue, a transcript write nothing else."""
    if replacing not in SCOPES:
        raise ValueError(f"replacing must be one of {', '.join(SCOPES)}, not {replacing!r}")
    for source in sources:
        if replacing == "subtitles" and is_transcript(source):
            raise ValueError(f"a subtitles write cannot bring the transcript cue {source!r}")
        if replacing == "transcript" and not is_transcript(source):
            raise ValueError(f"a transcript write cannot bring the subtitle cue {source!r}")


def replaced_by(replacing: str, source: str) -> bool:
    """Does a ``replacing`` write remove an existing cue of ``source``?"""
    if replacing == "all":
        return True
    return is_transcript(source) == (replacing == "transcript")
