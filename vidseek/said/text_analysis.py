"""What a line of said or written text is made of for word search: its index terms (pure).

One analysis for every line and every query, so SQLite and PostgreSQL see the same terms and
answer alike (each stores a line's terms as ``cues.terms`` and only splits them at spaces):

1. NFKC (full-width letters and digits, ligatures and half-width kana as their plain forms), then
   case folding (``Straße`` is ``strasse``).
2. Words: runs of letters, digits and combining marks; ``.``, ``,`` and ``:`` between two digits
   join them (``3.5``, ``1,000``, ``3:30``, ``3.30pm`` are one word); everything else separates
   (``well-known`` is ``well`` then ``known``, ``don't`` is ``don`` then ``t``).
3. Chinese, Japanese and Korean: a run of Han, kana and Hangul is written without spaces, so it is
   read as overlapping character bigrams followed by its last character (``東京駅`` is ``東京 京駅
   駅``): a word of two or more characters is the phrase of its bigrams wherever it sits in the
   run, and every character starts one term (a one-character query is a prefix of it).
4. Accents off Latin, Greek and Cyrillic letters (``café`` is ``cafe``; marks of other scripts,
   kana voicing marks included, are part of their letters).
5. Stemming by the line's language where Snowball has a stemmer for it (``STEMMERS``: ``runs`` and
   ``running`` are ``run``); a line of no known language, or of one without a stemmer, keeps its
   words as they are. Words holding digits are not stemmed. Accents go before stemming, so a word
   typed without them stems as the line's word does (``sao`` and ``São``), at the price of the few
   suffix rules that need them.

A query word is looked for as itself and as its stem in each language the library's lines have
(``query_forms``), since the language of a query is not known.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import langcodes
import regex
import snowballstemmer

from vidseek.said.language_tags import standard_tag

_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u3005\u3006\u30fc"
"""Han, kana and Hangul, the iteration marks and the long vowel mark (script Common)."""
_PIECE = regex.compile(
    rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:[[\p{{L}}\p{{N}}\p{{M}}]--[{_CJK}]]|(?<=\p{{Nd}})[.,:](?=\p{{Nd}}))+)",
    regex.V1,
)
_FOLDED_MARKS = regex.compile(r"(?<=[\p{Latin}\p{Greek}\p{Cyrillic}]\p{Mn}*)\p{Mn}")
_DIGIT = regex.compile(r"\p{N}")

MAX_TERM_CHARS = 100
"""Longer words are cut to this many characters (PostgreSQL refuses lexemes over 2 KiB)."""
MAX_TERMS = 4000
"""Terms kept of one line (PostgreSQL counts positions up to 16383)."""

STEMMERS = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "eo": "esperanto",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "st": "sesotho",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
"""ISO 639-1 language -> its Snowball stemmer (those the installed ``snowballstemmer`` has are used)."""
_AVAILABLE = set(snowballstemmer.algorithms())


def stemmer_of(lang: str | None) -> str | None:
    """The Snowball stemmer of a cue's language tag (``en``, ``eng``, ``pt-BR``), or None."""
    return _stemmer_of_tag(lang) if lang else None


@lru_cache(maxsize=1024)
def _stemmer_of_tag(lang: str) -> str | None:
    tag = standard_tag(lang)
    if tag is None:
        return None
    name = STEMMERS.get(langcodes.Language.get(tag).language or "")
    return name if name in _AVAILABLE else None


def words(text: str) -> list[tuple[str, bool]]:
    """(piece, is a CJK run) of ``text`` after NFKC and case folding, in order (steps 1 and 2)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [(m.group(), m.lastgroup == "cjk") for m in _PIECE.finditer(folded)]


def cjk_terms(run: str) -> list[str]:
    """A CJK run's overlapping bigrams and its last character (step 3)."""
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def term(word: str, stemmer: str | None) -> str:
    """One (folded) word's index term under ``stemmer`` (None: the word itself), steps 4 and 5."""
    return _term(word[:MAX_TERM_CHARS], stemmer)


@lru_cache(maxsize=200_000)
def _term(word: str, stemmer: str | None) -> str:
    word = strip_accents(word)
    if stemmer is not None and not _DIGIT.search(word):
        word = strip_accents(_stemmer(stemmer).stemWord(word))
    return word


@lru_cache(maxsize=64)
def _stemmer(name: str):  # noqa: ANN202 - snowballstemmer's classes are generated
    return snowballstemmer.stemmer(name)


def strip_accents(word: str) -> str:
    """``word`` without the combining marks of its Latin, Greek and Cyrillic letters."""
    decomposed = unicodedata.normalize("NFD", word)
    if decomposed.isascii():
        return decomposed
    return unicodedata.normalize("NFC", _FOLDED_MARKS.sub("", decomposed))


def index_terms(text: str, lang: str | None) -> list[str]:
    """The terms of a line in language ``lang`` (a tag as cues carry it; None: unknown), in order."""
    stemmer = stemmer_of(lang)
    out: list[str] = []
    for piece, cjk in words(text):
        out.extend(cjk_terms(piece) if cjk else [term(piece, stemmer)])
        if len(out) >= MAX_TERMS:
            return out[:MAX_TERMS]
    return out


def index_text(text: str, lang: str | None) -> str:
    """``index_terms`` as the space-separated text stored in ``cues.terms``."""
    return " ".join(index_terms(text, lang))


def query_forms(word: str, stemmers: frozenset[str] | set[str]) -> tuple[str, ...]:
    """The terms a (folded, non-CJK) query word may have in a line: itself, and its stem in each
    of ``stemmers`` (the library's lines' languages); sorted, without repeats."""
    return tuple(sorted({term(word, None), *(term(word, s) for s in stemmers)}))
