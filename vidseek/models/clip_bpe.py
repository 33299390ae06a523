"""CLIP's byte-level BPE tokenizer in numpy, without torch or open_clip.

The text tower of an ONNX model (``vidseek.models.onnx_encoder``) takes token ids; this gives the same ids
as open_clip's ``SimpleTokenizer`` (checked in tests against it), so a search process can encode a
query without importing torch (about 3 s and 650 MB of a process's start). It reads the merges
file open_clip ships (``bpe_simple_vocab_16e6.txt.gz``), copied beside the exported model.
"""

from __future__ import annotations

import gzip
import html
import string
from functools import lru_cache
from pathlib import Path

import numpy as np

CLEAN_MODES = ("lower", "whitespace", "canonicalize")
_MERGES = 49152 - 256 - 2
"""How many merge rules CLIP uses from the file (its first line is a header)."""


@lru_cache(maxsize=1)
def _byte_symbols() -> dict[int, str]:
    """A printable character for each byte value: printable Latin-1 bytes stand for themselves, the
    rest are moved above U+0100 in order, so no byte becomes whitespace or a control character."""
    kept = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    symbols = {b: chr(b) for b in kept}
    shifted = 0
    for b in range(256):
        if b not in symbols:
            symbols[b] = chr(256 + shifted)
            shifted += 1
    return symbols


def _fix_text(text: str) -> str:
    import ftfy

    return html.unescape(html.unescape(ftfy.fix_text(text))).strip()


def clean_text(text: str, mode: str) -> str:
    """open_clip's text cleaning ``mode`` ("lower", "whitespace" or "canonicalize"), applied before tokenizing."""
    text = " ".join(_fix_text(text).split())
    if mode == "lower":
        return text.lower()
    if mode == "whitespace":
        return text
    text = text.replace("_", " ").translate(str.maketrans("", "", string.punctuation)).lower()
    return " ".join(text.split())


class ClipBpeTokenizer:
    """``tokenizer(texts) -> int64 (N, context_length)``: start token, BPE ids, end token, zeros."""

    def __init__(self, merges_file: Path, *, context_length: int = 77, clean: str = "lower") -> None:
        import regex

        if clean not in CLEAN_MODES:
            raise ValueError(f"clean must be one of {CLEAN_MODES}, not {clean!r}")
        lines = gzip.open(merges_file).read().decode("utf-8").split("\n")[1 : _MERGES + 1]
        merges = [tuple(line.split()) for line in lines]
        symbols = list(_byte_symbols().values())
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
        vocab += ["<start_of_text>", "<end_of_text>"]
        self._ids = {token: i for i, token in enumerate(vocab)}
        self._ranks = {pair: i for i, pair in enumerate(merges)}
        self.sot_id = self._ids["<start_of_text>"]
        self.eot_id = self._ids["<end_of_text>"]
        self.context_length = context_length
        self._clean_mode = clean
        self._words = regex.compile(
            r"""<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE,
        )
        self._cache: dict[str, list[str]] = {"<start_of_text>": ["<start_of_text>"], "<end_of_text>": ["<end_of_text>"]}

    def _merge(self, word: str) -> list[str]:
        """The BPE pieces of one pre-token (already mapped to byte symbols)."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        parts = [*word[:-1], word[-1] + "</w>"]
        while len(parts) > 1:
            ranked = [(self._ranks.get(pair, _MERGES), i) for i, pair in enumerate(zip(parts, parts[1:]))]
            best_rank, _ = min(ranked)
            if best_rank == _MERGES:
                break
            at = next(i for rank, i in ranked if rank == best_rank)
            first, second = parts[at], parts[at + 1]
            merged: list[str] = []
            i = 0
            while i < len(parts):  # every occurrence of the pair, left to right, as CLIP does
                if i + 1 < len(parts) and parts[i] == first and parts[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        self._cache[word] = parts
        return parts

    def encode(self, text: str) -> list[int]:
        symbols = _byte_symbols()
        ids: list[int] = []
        for word in self._words.findall(clean_text(text, self._clean_mode)):
            mapped = "".join(symbols[b] for b in word.encode("utf-8"))
            ids.extend(self._ids[piece] for piece in self._merge(mapped))
        return ids

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.context_length), np.int64)
        for row, text in enumerate(texts):
            ids = [self.sot_id, *self.encode(text), self.eot_id]
            if len(ids) > self.context_length:
                ids = ids[: self.context_length]
                ids[-1] = self.eot_id
            out[row, : len(ids)] = ids
        return out
