"""Hugging Face files written by tests, offline: a tiny tokenizer, an open_clip model folder with
random weights, and a fake local hub cache holding a repository (read with HF_HUB_OFFLINE)."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TINY_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
"""An open_clip CLIP small enough to build in a blink (open_clip's own BPE tokenizer)."""

WORDS = ["a", "dog", "cat", "runs", "un", "chien", "court", "猫", "走る", "собака"]


def tiny_hf_tokenizer(folder: Path) -> Path:
    """Save a word-level Hugging Face tokenizer (tokenizer.json, tokenizer_config.json) in ``folder``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    fast.save_pretrained(folder)
    return folder


def tiny_model_folder(folder: Path, *, seed: int = 1, config: dict | None = None, tokenizer: bool = False) -> Path:
    """An open_clip model folder: open_clip_config.json, random weights (seeded) as safetensors, and
    with ``tokenizer`` a Hugging Face tokenizer the config names."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    cfg = json.loads(json.dumps(config or TINY_CONFIG))
    if tokenizer:
        cfg["text_cfg"]["hf_tokenizer_name"] = "acme/tiny-tokenizer"
        tiny_hf_tokenizer(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": cfg, "preprocess_cfg": {}}))
    torch.manual_seed(seed)
    logging.disable(logging.WARNING)  # "no weights found": the point, they are written next
    try:
        model = open_clip.create_model(f"local-dir:{folder}", load_weights=False)
    finally:
        logging.disable(logging.NOTSET)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, folder / "open_clip_model.safetensors")
    return folder


@contextmanager
def offline_hub(cache: Path) -> Iterator[Path]:
    """Point the Hugging Face hub at an empty cache folder, offline (HF_HUB_OFFLINE), for the block."""
    import huggingface_hub.constants as constants

    cache.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setattr(constants, "HF_HUB_OFFLINE", True)
        mp.setattr(constants, "HF_HUB_CACHE", str(cache))
        yield cache


def cache_repo(cache: Path, repo: str, source: Path, absent: tuple[str, ...] = ("config.json",)) -> Path:
    """Put the files of folder ``source`` into the hub cache as repository ``repo`` (one snapshot),
    with ``absent`` recorded as files the repository does not have."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    root = cache / f"models--{repo.replace('/', '--')}"
    snapshot = root / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file():
            shutil.copy(path, snapshot / path.name)
    (root / "refs").mkdir(exist_ok=True)
    (root / "refs" / "main").write_text(commit)
    # what a first online load leaves: the hub said these files do not exist (transformers asks for them)
    (root / ".no_exist" / commit).mkdir(parents=True, exist_ok=True)
    for name in absent:
        (root / ".no_exist" / commit / name).touch()
    return snapshot
