"""Language tags as subtitle files and streams write them (``en``, ``eng``, ``ger``, ``pt_BR``,
``zh-Hant``), read with ``langcodes`` into one standard BCP 47 tag (``en``, ``de``, ``pt-BR``,
``zh-Hant``): ISO 639-1, both ISO 639-2 forms (bibliographic ``ger``/``fre``/``chi`` and
terminological ``deu``/``fra``/``zho``) and ISO 639-3 codes name the same language. Pure."""

from __future__ import annotations

import langcodes

_NO_LANGUAGE = {"und", "zxx", "mis"}
"""Undetermined, no linguistic content, uncoded: tags that name no language."""


def standard_tag(tag: str | None) -> str | None:
    """``tag`` as a standard BCP 47 tag (``ger`` -> ``de``, ``pt_BR`` -> ``pt-BR``); None when it is
    not a registered language tag (``final``, ``xx``, ``cc``) or names no language (``und``)."""
    if not tag or len(tag) > 35:
        return None
    try:
        language = langcodes.Language.get(tag.strip().replace("_", "-"))
    except (langcodes.tag_parser.LanguageTagError, ValueError):
        return None
    if not language.is_valid() or language.language in (None, *_NO_LANGUAGE):
        return None
    return str(language)


def same_language(have: str, asked: str) -> bool:
    """Does ``asked`` name ``have``'s language: the same language, and ``asked``'s script and region
    (as far as it gives them) are ``have``'s? (``en`` names ``en-GB``; ``eng`` names ``en``; ``en-GB``
    does not name ``en``.) Tags that are not language tags are compared as written."""
    have_tag, asked_tag = standard_tag(have), standard_tag(asked)
    if have_tag is None or asked_tag is None:
        return have.strip().lower() == asked.strip().lower()
    h, a = langcodes.Language.get(have_tag), langcodes.Language.get(asked_tag)
    return all(
        getattr(a, part) is None or getattr(a, part) == getattr(h, part) for part in ("language", "script", "territory")
    )


def names_a_language(part: str) -> bool:
    """Is ``part`` of a file name (``NAME.PART.srt``) a language tag? Its language must have a
    two-letter ISO 639-1 code, written as that code or as one of its three-letter ISO 639-2 codes
    (``en``, ``eng``; ``de``, ``ger``, ``deu``), optionally with a script and region (``pt-BR``,
    ``zh-Hant``). Other three-letter ISO 639-3 codes are not taken: so many words are one (``sub``,
    ``sdh``) that a name's ``final`` or ``sdh`` part would be read as a language."""
    tag = standard_tag(part)
    return tag is not None and len(langcodes.Language.get(tag).language or "") == 2
