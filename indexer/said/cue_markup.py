"""A cue's markup to the plain text that is indexed (pure, linear in the text's length).

- SRT and WebVTT (``markup_text``): only real tags go (``<i>``, ``</b>``, ``<font color=...>``,
  ``<span ...>``, WebVTT ``<c.cls>``, ``<v Name>``, ``<lang en>``, ``<ruby>``/``<rt>``, ``<00:01.000>``
  karaoke times, ``<br>``); a ``<`` that starts no tag is text (``x < 5 and y > 7``, ``I <3 you``).
  ASS override blocks that some SRT files carry (``{\\an8}``) go too. Character references are
  decoded once, by ``html.unescape`` (``&amp;lt;`` is ``&lt;``).
- ASS/SSA (``ass_text``): every ``{...}`` block goes (override tags and comments), and so does
  vector drawing text (from ``{\\p1}`` to ``{\\p0}``); ``\\N``, ``\\n`` and ``\\h`` are spaces.

Subtitle streams' packets are read by the same two (``indexer.decode.subtitles``).

Every pattern here stops at the next ``<`` or ``{``, so no input (300,000 unclosed ``<``) makes a
match scan the rest of the text again.
"""

from __future__ import annotations

import html
import re

_SIMPLE = r"b|i|u|s|c|ruby|rt|rb|rp"
"""Tags that take no attributes (WebVTT lets them carry ``.class`` names)."""
_ANNOTATED = r"v|lang"
"""WebVTT tags with an annotation after a space: ``<v Ann>``, ``<lang en-GB>``."""
_ATTRIBUTED = r"font|span|p|br"
"""HTML tags SRT writers use, with attributes."""
_TAG = re.compile(
    rf"""<\s*/?\s*(?:{_SIMPLE})(?:\.[\w-]+)*\s*>
    |</?(?:{_ANNOTATED})(?:\.[\w-]+)*(?:[ \t][^<>]*)?>
    |</?(?:{_ATTRIBUTED})(?:\s[^<>]*)?/?>
    |<(?:\d{{1,9}}:)?\d{{1,2}}:\d{{1,2}}[.,]\d{{1,3}}>""",
    re.IGNORECASE | re.VERBOSE,
)
_BREAK_TAG = re.compile(r"<(?:br|/?p)\b", re.IGNORECASE)
_BLOCK = re.compile(r"\{([^{}]*)\}")
_DRAWING = re.compile(r"\\p(\d{1,9})")
_ASS_BREAKS = re.compile(r"\\[Nnh]")
_SPACE = re.compile(r"\s+")


def _tag_gap(match: re.Match[str]) -> str:
    return " " if _BREAK_TAG.match(match.group(0)) else ""


def without_tags(text: str) -> str:
    """``text`` without its HTML-like and WebVTT tags (``<br>`` and ``<p>`` leave a space)."""
    return _TAG.sub(_tag_gap, text)


def without_overrides(text: str, *, any_block: bool = True) -> str:
    """``text`` without ASS ``{...}`` blocks and the drawing text that ``{\\p1}`` starts and
    ``{\\p0}`` ends; with ``any_block=False`` only blocks that start with ``\\`` are tags (an SRT
    file's ``{\\an8}``; its ``{laughs}`` is text)."""
    kept: list[str] = []
    drawing = False
    at = 0
    for block in _BLOCK.finditer(text):
        body = block.group(1)
        if not any_block and not body.startswith("\\"):
            continue
        if not drawing:
            kept.append(text[at : block.start()])
        for mode in _DRAWING.finditer(body):
            drawing = int(mode.group(1)) > 0
        at = block.end()
    if not drawing:
        kept.append(text[at:])
    return "".join(kept)


def _spaced(text: str) -> str:
    return _SPACE.sub(" ", _ASS_BREAKS.sub(" ", text)).strip()


def markup_text(text: str) -> str:
    """Plain text of an SRT or WebVTT cue."""
    return _spaced(html.unescape(without_tags(without_overrides(text, any_block=False))))


def ass_text(text: str) -> str:
    """Plain text of an ASS/SSA event."""
    return _spaced(without_overrides(text))
