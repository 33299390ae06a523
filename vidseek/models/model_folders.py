"""An open_clip model in a local folder, checked without building it.

The folder holds what a Hugging Face open_clip repository holds: ``open_clip_config.json`` (with
``model_cfg``), a weights file (open_clip's names: ``open_clip_model.safetensors``,
``open_clip_pytorch_model.bin``, ...) and, when the config names a Hugging Face tokenizer
(``text_cfg.hf_tokenizer_name``), that tokenizer's files (``tokenizer.json`` or
``tokenizer_config.json`` and its vocabulary). The spec is the folder's path (``/models/siglip2``,
``./models/siglip2``, ``~/models/siglip2``) or open_clip's own ``local-dir:/models/siglip2``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from vidseek.errors import ModelError

LOCAL_DIR = "local-dir:"
CONFIG_FILE = "open_clip_config.json"
WEIGHTS_NAMES = (
    "open_clip_model.safetensors",
    "open_clip_pytorch_model.safetensors",
    "open_clip_pytorch_model.bin",
    "open_clip_pytorch_model.pth",
    "model.safetensors",
    "pytorch_model.bin",
    "pytorch_model.pth",
    "model.pth",
)
"""open_clip's preferred weights file names in a folder, best first (``_find_checkpoint_in_dir``)."""
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


def model_folder(spec: str) -> Path | None:
    """The folder a spec names (``local-dir:PATH``, or a path starting with ``/``, ``.`` or ``~``,
    absolute and resolved), or None for other specs. A path that is not a folder is a ModelError."""
    if spec.startswith(LOCAL_DIR):
        raw = spec[len(LOCAL_DIR) :]
    elif spec.startswith(("/", ".", "~")) and ":" not in spec:
        raw = spec
    else:
        return None
    folder = Path(raw).expanduser()
    if not raw or not folder.is_dir():
        raise ModelError(f"Model folder {folder} (from VIDSEEK_MODEL) does not exist or is not a folder.")
    return folder.resolve()


def weights_in(folder: Path) -> Path | None:
    """The weights file open_clip loads from ``folder``: the first of ``WEIGHTS_NAMES`` there, else
    the first ``.safetensors``, ``.bin`` or ``.pth`` file by name (safetensors first)."""
    for name in WEIGHTS_NAMES:
        if (folder / name).is_file():
            return folder / name
    found = sorted(p for suffix in ("*.safetensors", "*.bin", "*.pth") for p in folder.glob(suffix) if p.is_file())
    found.sort(key=lambda p: p.suffix != ".safetensors")
    return found[0] if found else None


def read_model_config(folder: Path) -> dict:
    """``model_cfg`` of the folder's ``open_clip_config.json``; ModelError naming what is wrong."""
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise ModelError(f"Model folder {folder} has no {CONFIG_FILE} (open_clip's model config).")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{path} is not a readable JSON file ({exc}).") from None
    model_cfg = config.get("model_cfg") if isinstance(config, dict) else None
    if not isinstance(model_cfg, dict) or not isinstance(model_cfg.get("vision_cfg"), dict):
        raise ModelError(f"{path} has no 'model_cfg' with a 'vision_cfg' and 'text_cfg' (not an open_clip config?).")
    if not isinstance(model_cfg.get("text_cfg"), dict):
        raise ModelError(f"{path} has no 'model_cfg.text_cfg' (not an open_clip config?).")
    return model_cfg


def hf_tokenizer_name(model_cfg: dict) -> str:
    """The Hugging Face tokenizer a model config names ('' when it uses open_clip's own)."""
    return str(model_cfg.get("text_cfg", {}).get("hf_tokenizer_name") or "")


def check_model_folder(folder: Path) -> Path:
    """The weights file of a model folder, after checking the folder holds all a model needs
    (ModelError, one sentence naming the folder and what is missing)."""
    model_cfg = read_model_config(folder)
    weights = weights_in(folder)
    if weights is None:
        raise ModelError(
            f"Model folder {folder} has no weights file ({', '.join(WEIGHTS_NAMES[:3])}, or another "
            ".safetensors, .bin or .pth file)."
        )
    tokenizer = hf_tokenizer_name(model_cfg)
    if tokenizer:
        if not any((folder / name).is_file() for name in TOKENIZER_FILES):
            raise ModelError(
                f"Model folder {folder} has no tokenizer files ({' or '.join(TOKENIZER_FILES)}), which its "
                f"{CONFIG_FILE} needs (hf_tokenizer_name {tokenizer!r}): copy them from that tokenizer's repository."
            )
        require_transformers(f"the model in {folder}")
    return weights


def require_transformers(what: str) -> None:
    """ModelError unless the ``transformers`` package (Hugging Face tokenizers) can be imported."""
    if importlib.util.find_spec("transformers") is None:
        raise ModelError(f"The tokenizer of {what} needs the transformers package: pip install transformers.")
