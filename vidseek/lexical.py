"""A lexical query (pure): words, ``"quoted phrases"`` and ``prefix*`` words, all of which a cue
must hold, written as SQLite FTS5 ``MATCH`` text and as a PostgreSQL ``to_tsquery`` text.

Words are runs of letters and digits (as both engines' tokenizers cut them: punctuation and ``_``
separate words), lower-cased. ``we "missed the deadline" dead*`` is: a cue holding ``we``, the
phrase ``missed the deadline`` and a word starting with ``dead``. A bare word that punctuation cuts
in two (``don't``) is the phrase of its parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'"([^"]*)"(\*?)|(\S+)')
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    """One word, or a phrase: words that must follow each other."""
    prefix: bool = False
    """The last word is a prefix."""


def terms(query: str) -> list[Term]:
    """The terms of ``query``; [] when it holds no word at all."""
    out = []
    for m in _TOKEN.finditer(query):
        quoted, star, bare = m.groups()
        text = quoted if quoted is not None else bare
        prefix = bool(star) or (bare is not None and bare.endswith("*"))
        words = tuple(w.lower() for w in _WORD.findall(text))
        if words:
            out.append(Term(words, prefix))
    return out


def fts5_match(found: list[Term]) -> str:
    """SQLite FTS5 query text: each term a quoted string (so no word is read as an operator)."""
    return " AND ".join(f'"{" ".join(t.words)}"' + ("*" if t.prefix else "") for t in found)


def tsquery(found: list[Term]) -> str:
    """PostgreSQL ``to_tsquery`` text: phrases with ``<->``, prefixes with ``:*``, terms with ``&``.
    Words are quoted so none is read as an operator."""
    parts = []
    for t in found:
        words = [f"'{w}'" for w in t.words]
        if t.prefix:
            words[-1] += ":*"
        parts.append(words[0] if len(words) == 1 else "(" + " <-> ".join(words) + ")")
    return " & ".join(parts)
