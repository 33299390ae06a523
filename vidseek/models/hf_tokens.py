"""A Hugging Face tokenizer run by the ``tokenizers`` library alone, without torch, transformers or open_clip.

open_clip's ``HFTokenizer`` (the multilingual preset's, SigLIP's) cleans each text, then has transformers
call the fast tokenizer with ``padding="max_length"``, ``truncation=True`` and ``max_length`` the context,
and may turn the separator id into 0. A fast tokenizer is a ``tokenizers.Tokenizer`` underneath, saved
whole (post-processor and special tokens included) as ``tokenizer.json``: ``tokenizer_record`` writes it
beside an ONNX export with the settings transformers applied, and ``HfTokens`` reads them back and gives
the same ids (checked in tests against open_clip), so a search never imports torch whatever the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vidseek.models.clip_bpe import CLEAN_MODES, clean_text

KIND = "hf_tokenizers"
FILE = "tokenizer.json"


def tokenizer_record(tokenizer: Any, folder: Path) -> dict[str, Any] | None:
    """For an open_clip ``HFTokenizer`` in its standard mode over a fast tokenizer: save its
    ``tokenizer.json`` into ``folder`` and return what ``HfTokens`` needs; None for any other tokenizer."""
    hf = getattr(tokenizer, "tokenizer", None)
    backend = getattr(hf, "backend_tokenizer", None)
    mode = _clean_mode(getattr(tokenizer, "clean_fn", None))
    if type(tokenizer).__name__ != "HFTokenizer" or backend is None or mode is None:
        return None
    if getattr(tokenizer, "tokenizer_mode", "") or hf.pad_token_id is None:
        return None
    backend.save(str(folder / FILE))
    return {
        "kind": KIND,
        "file": FILE,
        "context_length": int(tokenizer.context_length),
        "clean": mode,
        "pad_id": int(hf.pad_token_id),
        "pad_token": str(hf.pad_token),
        "padding_side": str(hf.padding_side),
        "truncation_side": str(hf.truncation_side),
        "strip_id": int(hf.sep_token_id) if tokenizer.strip_sep_token and hf.sep_token_id is not None else None,
    }


def _clean_mode(clean_fn: Any) -> str | None:
    names = {"_clean_lower": "lower", "_clean_whitespace": "whitespace", "_clean_canonicalize": "canonicalize"}
    return names.get(getattr(clean_fn, "__name__", ""))


class HfTokens:
    """``tokens(texts) -> int64 (N, context_length)``, as open_clip's ``HFTokenizer`` gives them."""

    def __init__(self, folder: Path, record: dict[str, Any]) -> None:
        from tokenizers import Tokenizer

        if record["clean"] not in CLEAN_MODES:
            raise ValueError(f"clean must be one of {CLEAN_MODES}, not {record['clean']!r}")
        self._clean = record["clean"]
        self._strip = record.get("strip_id")
        length = int(record["context_length"])
        self._tokenizer = Tokenizer.from_file(str(folder / record["file"]))
        self._tokenizer.enable_truncation(max_length=length, direction=record.get("truncation_side", "right"))
        self._tokenizer.enable_padding(
            length=length,
            direction=record.get("padding_side", "right"),
            pad_id=int(record["pad_id"]),
            pad_token=record["pad_token"],
        )

    def __call__(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch([clean_text(t, self._clean) for t in texts])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        if self._strip is not None:
            ids[ids == self._strip] = 0
        return ids
