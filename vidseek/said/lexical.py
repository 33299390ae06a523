"""A lexical query (pure): words, ``"quoted phrases"`` and ``prefix*`` words, all of which a cue
must hold, analysed as lines are (``vidseek.said.text_analysis``) and written as SQLite FTS5 ``MATCH``
text and as PostgreSQL ``tsquery`` text over the stored terms.

``we "missed the deadline" dead*`` is: a cue holding ``we``, the phrase ``missed the deadline``
and a word starting with ``dead``. A bare word that punctuation cuts in two (``don't``,
``well-known``) is the phrase of its parts; a run of Chinese, Japanese or Korean characters is the
phrase of its bigrams (one character: a prefix, as it starts a term of every run holding it). Each
word may be any of its forms (``text_analysis.query_forms``: itself and its stem in each language
of the library's lines); both engines are given the same terms, so they find the same cues.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from vidseek.said import text_analysis

_TOKEN = re.compile(r'"([^"]*)"(\*?)|(\S+)')
MAX_PHRASES = 64
"""Spellings one phrase is tried in (the product of its words' forms); past it, words from the end
keep only their first form, on both engines alike."""


@dataclass(frozen=True)
class Slot:
    """One place of a term: any of ``forms``."""

    forms: tuple[str, ...]
    prefix: bool = False
    """Each form is a prefix."""


@dataclass(frozen=True)
class Term:
    slots: tuple[Slot, ...]
    """One word, or a phrase: slots that must follow each other."""


def terms(query: str, stemmers: frozenset[str] | set[str] = frozenset()) -> list[Term]:
    """The terms of ``query``, each word in its forms under ``stemmers`` (the library's lines'
    languages' Snowball stemmers); [] when it holds no word at all."""
    out = []
    for m in _TOKEN.finditer(query):
        quoted, star, bare = m.groups()
        text = quoted if quoted is not None else bare
        prefix = bool(star) or (bare is not None and bare.endswith("*"))
        slots: list[Slot] = []
        for piece, cjk in text_analysis.words(text):
            if not cjk:
                slots.append(Slot(text_analysis.query_forms(piece, stemmers)))
            elif len(piece) == 1:
                slots.append(Slot((piece,), prefix=True))
            else:
                slots.extend(Slot((bigram,)) for bigram in text_analysis.cjk_terms(piece)[:-1])
        if slots:
            if prefix:  # the word as written is one of its forms: a stem need not start with a prefix's stem
                slots[-1] = Slot(slots[-1].forms, prefix=True)
            out.append(Term(_within_cap(slots)))
    return out


def _within_cap(slots: list[Slot]) -> tuple[Slot, ...]:
    out = list(slots)
    for i in reversed(range(len(out))):
        if _spellings(out) <= MAX_PHRASES:
            break
        out[i] = Slot(out[i].forms[:1], out[i].prefix)
    return tuple(out)


def _spellings(slots: list[Slot]) -> int:
    n = 1
    for slot in slots:
        n *= len(slot.forms)
    return n


def fts5_match(found: list[Term]) -> str:
    """SQLite FTS5 query text: each form a quoted string (so no word is read as an operator); a
    phrase is its items joined by ``+``, tried in each spelling its forms give (``OR``)."""
    parts = []
    for t in found:
        spellings = [
            " + ".join(_fts5_string(form) + ("*" if slot.prefix else "") for slot, form in zip(t.slots, forms))
            for forms in itertools.product(*(slot.forms for slot in t.slots))
        ]
        parts.append(spellings[0] if len(spellings) == 1 else "(" + " OR ".join(spellings) + ")")
    return " AND ".join(parts)


def _fts5_string(form: str) -> str:
    return '"' + form.replace('"', '""') + '"'


def tsquery(found: list[Term]) -> str:
    """PostgreSQL ``tsquery`` text (read as written: ``CAST(... AS tsquery)``, no parser): a slot's
    forms with ``|``, phrases with ``<->``, prefixes with ``:*``, terms with ``&``. Lexemes are
    quoted so none is read as an operator."""
    parts = []
    for t in found:
        items = []
        for slot in t.slots:
            forms = [_ts_lexeme(f) + (":*" if slot.prefix else "") for f in slot.forms]
            items.append(forms[0] if len(forms) == 1 else "(" + " | ".join(forms) + ")")
        parts.append(items[0] if len(items) == 1 else "(" + " <-> ".join(items) + ")")
    return " & ".join(parts)


def _ts_lexeme(form: str) -> str:
    return "'" + form.replace("\\", "\\\\").replace("'", "''") + "'"
