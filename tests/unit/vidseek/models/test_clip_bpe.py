"""vidseek's torch-free CLIP tokenizer gives open_clip's ids exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidseek.models.clip_bpe import ClipBpeTokenizer

TEXTS = [
    "a dog catches a frisbee on the beach",
    "Hello,   WORLD!!  it's they've we'll I'm",
    "naïve café – “quotes” &amp; &lt;html&gt;",
    "日本語のテキスト 中文 한국어",
    "emoji 🐕🏖️ and symbols ©®™ ½",
    "numbers 123 4.5e6 2026-12-03",
    "",
    "   \t\n ",
    "snake_case and CamelCase and UPPER",
    "word " * 100,
    "x" * 300,
]


@pytest.fixture(scope="module")
def merges() -> Path:
    from open_clip.tokenizer import default_bpe

    return Path(default_bpe())


@pytest.mark.parametrize(("arch", "clean"), [("ViT-B-32", "lower"), ("PE-Core-B-16", "lower")])
def test_ids_match_open_clip(merges: Path, arch: str, clean: str) -> None:
    import open_clip

    reference = open_clip.get_tokenizer(arch)
    mine = ClipBpeTokenizer(merges, context_length=reference.context_length, clean=clean)
    assert np.array_equal(mine(TEXTS), reference(TEXTS).numpy())


def test_other_clean_modes_match_open_clip(merges: Path) -> None:
    from open_clip.tokenizer import SimpleTokenizer

    for mode in ("whitespace", "canonicalize"):
        reference = SimpleTokenizer(context_length=40, clean=mode)
        mine = ClipBpeTokenizer(merges, context_length=40, clean=mode)
        assert np.array_equal(mine(TEXTS), reference(TEXTS).numpy()), mode


def test_long_texts_end_with_the_end_token(merges: Path) -> None:
    tokens = ClipBpeTokenizer(merges, context_length=16)(["word " * 50, "short"])
    assert tokens.shape == (2, 16) and tokens[0, -1] == 49407 and tokens[0, 0] == 49406
    assert list(tokens[1, :3]) == [49406, tokens[1, 1], 49407] and not tokens[1, 3:].any()


def test_an_unknown_clean_mode_is_refused(merges: Path) -> None:
    with pytest.raises(ValueError, match="clean must be one of"):
        ClipBpeTokenizer(merges, clean="upper")
