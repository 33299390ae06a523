"""A subtitle file's bytes as text (pure): a byte-order mark names the encoding (UTF-8, UTF-16 and
UTF-32, either byte order); else UTF-8 when the bytes are UTF-8; else the encoding
``charset_normalizer`` finds (GB2312/GB18030, Big5, Shift JIS, Windows-1251 ...), Windows-1252 when
it is among the equally good guesses (old Western SRT files mostly are). Bytes no text encoding
fits (a binary file) are no text: None."""

from __future__ import annotations

import codecs

import charset_normalizer

_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WESTERN = "cp1252"


def subtitle_text(raw: bytes) -> str | None:
    """The text of ``raw`` (without its byte-order mark); None when no text encoding fits."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guesses = charset_normalizer.from_bytes(raw)
    best = guesses.best()
    if best is None:
        return None
    tied = [g for g in guesses if (g.chaos, g.coherence) == (best.chaos, best.coherence)]
    return str(next((g for g in tied if g.encoding == _WESTERN), best))
