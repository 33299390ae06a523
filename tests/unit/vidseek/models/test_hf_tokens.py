"""The multilingual preset's query path without torch: a Hugging Face fast tokenizer, saved beside an
export as ``tokenizer.json`` and run by the ``tokenizers`` library, gives the ids open_clip's
``HFTokenizer`` (transformers) gives, on tokenizers shaped like SigLIP's (SentencePiece unigram, an end
token) and BERT's (WordPiece, [CLS] ... [SEP], the separator stripped)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from vidseek.models.hf_tokens import HfTokens, tokenizer_record

WORDS = [
    "a",
    "dog",
    "catch",
    "es",
    "fris",
    "bee",
    "on",
    "the",
    "beach",
    "ein",
    "hund",
    "fängt",
    "犬",
    "が",
    "red",
    "car",
]
TEXTS = [
    "A dog catches a frisbee on the beach",
    "Ein Hund fängt — “einen” Frisbee!",
    "犬がフリスビーを",
    "red car " * 40,  # longer than the context: truncated
    "",
    "x",
]


def _sentencepiece_like(folder: Path) -> dict:
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(f"▁{w}", -1.0 - i / 10) for i, w in enumerate(WORDS)]
    pieces += [(c, -8.0) for c in sorted(set("".join(WORDS) + "abcdefghijklmnopqrstuvwxyzフリスビーを"))]
    tok = Tokenizer(models.Unigram(pieces, unk_id=2))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    tok.save(str(folder / "tokenizer.json"))
    return {"pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>"}


def _wordpiece_like(folder: Path) -> dict:
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS, "##s", "##e", "!", "—"])}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tok.save(str(folder / "tokenizer.json"))
    return {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]"}


SHAPES = {"sentencepiece": (_sentencepiece_like, "canonicalize", False), "wordpiece": (_wordpiece_like, "lower", True)}


@pytest.fixture(params=list(SHAPES))
def open_clip_tokenizer(request, tmp_path: Path):  # noqa: ANN001, ANN201
    from open_clip.tokenizer import HFTokenizer

    make, clean, strip = SHAPES[request.param]
    folder = tmp_path / "hf-tokenizer"
    folder.mkdir()
    special = make(folder)
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 16, **special}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return HFTokenizer(str(folder), context_length=16, clean=clean, strip_sep_token=strip)


def test_the_tokenizers_library_gives_open_clips_ids(open_clip_tokenizer, tmp_path: Path) -> None:  # noqa: ANN001
    export = tmp_path / "export"
    export.mkdir()
    record = tokenizer_record(open_clip_tokenizer, export)
    assert record is not None and (export / record["file"]).is_file()
    ours = HfTokens(export, json.loads(json.dumps(record)))(TEXTS)  # the record goes through export.json
    theirs = open_clip_tokenizer(TEXTS).numpy()
    assert ours.dtype == np.int64 and ours.shape == theirs.shape == (len(TEXTS), 16)
    assert (ours == theirs).all()
    assert (ours[:, 1] != record["pad_id"]).any()  # real tokens, not all padding


def test_reading_the_saved_tokenizer_imports_no_torch(open_clip_tokenizer, tmp_path: Path) -> None:  # noqa: ANN001
    export = tmp_path / "export"
    export.mkdir()
    meta = {"tokenizer": tokenizer_record(open_clip_tokenizer, export)}
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from vidseek.models.onnx_encoder import _tokenizer\n"
        f"ids = _tokenizer(Path({str(export)!r}), json.loads({json.dumps(meta)!r}))(['a red car'])\n"
        "print(ids.shape, 'torch' in sys.modules, 'transformers' in sys.modules, 'open_clip' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["(1,", "16)", "False", "False", "False"]
    assert open_clip_tokenizer(["a red car"]).shape == (1, 16)
