"""Which cues a write replaces: a video's cues come from its subtitles (``sidecar:NAME`` files beside
it, ``stream:INDEX`` streams inside it), from a transcript (``speech:MODEL``) or from the text shown in
its picture (``shown:MODEL``, read by an OCR model). Pure rules; the one write that applies them is
``vidseek.storage.cue_store.write_cues``.

- ``subtitles``: the subtitles were read again (an unchanged file's sidecars changed, or the same
  content indexed again): its subtitle cues are replaced, its transcript and shown text kept;
- ``transcript``: a transcription finished: its transcript is replaced, everything else kept;
- ``shown``: the text in its picture was read (a ``read-text`` job): its shown lines are replaced,
  everything else kept;
- ``all``: the file's content changed (or it is new): every cue goes, the transcript and shown text
  with it (they were of the old content).

Said lines (subtitles and transcripts) are what ``modality=speech`` searches; shown lines what
``modality=shown`` searches (``said_kind``).
"""

from __future__ import annotations

from collections.abc import Iterable

SPEECH = "speech:"
SHOWN = "shown:"
SCOPES = ("subtitles", "transcript", "shown", "all")


def transcript_source(model_name: str) -> str:
    """The ``source`` of the cues a speech model heard."""
    return f"{SPEECH}{model_name}"


def shown_source(model_name: str) -> str:
    """The ``source`` of the lines an OCR model read in the picture."""
    return f"{SHOWN}{model_name}"


def is_transcript(source: str) -> bool:
    return source.startswith(SPEECH)


def is_shown(source: str) -> bool:
    return source.startswith(SHOWN)


def scope_of(source: str) -> str:
    """The write scope a cue of ``source`` belongs to: ``transcript``, ``shown`` or ``subtitles``."""
    if is_transcript(source):
        return "transcript"
    return "shown" if is_shown(source) else "subtitles"


def said_kind(source: str) -> str:
    """``shown`` for a line read in the picture, ``speech`` for one said (subtitles, transcripts)."""
    return "shown" if is_shown(source) else "speech"


def check_write(replacing: str, sources: Iterable[str]) -> None:
    """Raise ValueError unless cues of ``sources`` may be written by a ``replacing`` write: a subtitles
    write brings only subtitle cues, a transcript write only transcript cues, a shown write only shown
    lines; an ``all`` write any."""
    if replacing not in SCOPES:
        raise ValueError(f"replacing must be one of {', '.join(SCOPES)}, not {replacing!r}")
    if replacing == "all":
        return
    for source in sources:
        if scope_of(source) != replacing:
            raise ValueError(f"a {replacing} write cannot bring the {scope_of(source)} cue {source!r}")


def replaced_by(replacing: str, source: str) -> bool:
    """Does a ``replacing`` write remove an existing cue of ``source``?"""
    return replacing == "all" or scope_of(source) == replacing
