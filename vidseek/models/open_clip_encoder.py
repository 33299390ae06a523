"""open_clip models on torch: the reference encoder (and the CUDA one), its text-tower shortcut, and a
failed load said in one sentence that names the folder, repo or file.

``vidseek.models.encoders`` builds encoders from specs; ``vidseek.models.onnx_export`` exports this
encoder's towers (so both import this module, and neither imports the other at import time)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from vidseek.errors import ModelError
from vidseek.models.model_folders import LOCAL_DIR, hf_tokenizer_name
from vidseek.models.model_spec import (
    HF_HUB,
    ModelSource,
    cannot_fetch,
    cannot_fetch_repo,
    cause_of,
    fetch_hf_model,
    hf_repo,
    tokenizer_problem,
)
from vidseek.vectors.pool import l2_normalize


class OpenClipEncoder:
    """An open_clip model. Frames arrive already scaled and cropped to ``input_size`` by the decoder."""

    def __init__(self, source: ModelSource, *, device: str = "auto", threads: int = 0, precision: str = "auto") -> None:
        import open_clip
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelError(f"VIDSEEK_DEVICE={device} but no CUDA GPU is available here; use 'auto' or 'cpu'.")
        self.precision = _resolve_precision(precision, self.device)
        self.source = source
        self.name = source.name
        model = _create_model(open_clip, torch, source, self.device)
        if self.precision == "int8":
            # Dynamic int8 quantisation of the image tower's Linear layers (fbgemm): ~1.3x on AVX2
            # CPUs, vectors within cosine 0.999 of fp32 (BENCHMARKS.md). The text tower, one call
            # per query, stays fp32 (open_clip reads its weight dtype, which quantisation hides).
            model.visual = torch.ao.quantization.quantize_dynamic(model.visual, {torch.nn.Linear}, dtype=torch.qint8)
        elif self.precision == "fp16":
            model = model.half()
        self.model = model
        self.tokenizer = open_clip.get_tokenizer(source.model_name)
        size = model.visual.image_size
        self.input_size = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        mean = getattr(model.visual, "image_mean", None) or open_clip.OPENAI_DATASET_MEAN
        std = getattr(model.visual, "image_std", None) or open_clip.OPENAI_DATASET_STD
        self._mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1) * 255.0
        self._std = torch.tensor(std, device=self.device).view(1, 3, 1, 1) * 255.0
        with torch.no_grad():
            self.dim = int(self.model.encode_text(self.tokenizer(["x"]).to(self.device)).shape[-1])
        self._lock = threading.Lock()

    def _to_tensor(self, frames: np.ndarray):  # noqa: ANN202
        import torch

        x = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device)
        x = x.permute(0, 3, 1, 2).float()
        h, w = self.input_size
        if x.shape[-2:] != (h, w):
            x = torch.nn.functional.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
        x = (x - self._mean) / self._std
        return x.half() if self.precision == "fp16" else x

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        import torch

        if len(frames) == 0:
            return np.zeros((0, self.dim), np.float32)
        with self._lock, torch.inference_mode(), self._autocast():
            out = self.model.encode_image(self._to_tensor(frames))
        return l2_normalize(out.float().cpu().numpy())

    def _autocast(self):  # noqa: ANN202
        import contextlib

        import torch

        if self.precision == "bf16":
            return torch.autocast(self.device, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def encode_text(self, texts: list[str]) -> np.ndarray:
        import torch

        tokens = self.tokenizer(texts).to(self.device)
        with self._lock, torch.inference_mode(), self._autocast():
            out = _encode_text_short(self.model, tokens)
        return l2_normalize(out.float().cpu().numpy())


def _create_model(open_clip, torch, source: ModelSource, device: str):  # noqa: ANN001, ANN202
    """open_clip's model for ``source`` in eval mode; ModelError in one sentence when it cannot be had."""
    try:
        if source.random:
            torch.manual_seed(0)  # same "random" model in every process, so an index stays searchable
        logging.disable(logging.ERROR)  # open_clip logs its own copy of the failure; ours says what to do
        try:
            model = open_clip.create_model(source.model_name, pretrained=source.pretrained, device=device)
        finally:
            logging.disable(logging.NOTSET)
    except Exception as exc:  # noqa: BLE001 - open_clip raises many kinds on a failed fetch or a bad file
        cause = cause_of(exc)
        if source.pretrained is not None and Path(source.pretrained).is_file():
            raise ModelError(
                f"Could not load weights file {source.pretrained} for {source.model_name} ({cause})."
            ) from None
        raise ModelError(cannot_fetch(source.model_name, source.pretrained or "", cause)) from None
    return model.eval()


def cuts_padding(model) -> bool:  # noqa: ANN001
    """Whether the text tower is CLIP's causal one pooled at the end token ('argmax'): then the
    padding after the end token never reaches the result and can be cut before the call."""
    import open_clip

    return (
        type(model) is open_clip.CLIP
        and getattr(model, "attn_mask", None) is not None
        and getattr(model, "text_pool_type", None) == "argmax"
    )


def _encode_text_short(model, tokens):  # noqa: ANN001, ANN202
    """``model.encode_text`` on tokens cut after the last end-of-text token.

    CLIP's text tower is causal and (pool type 'argmax') pools at the end-of-text token, so the
    padding after it never reaches the result: dropping it gives the same vector (checked in
    tests) for a fraction of the work (a 6-word query is ~10 of the 77 positions). Other text
    towers run as they are.
    """
    if not cuts_padding(model):
        return model.encode_text(tokens)
    n = int((tokens != 0).sum(dim=1).max())
    return encode_causal_text(model, tokens[:, :n])


def encode_causal_text(model, tokens):  # noqa: ANN001, ANN201
    """CLIP's ``encode_text`` for tokens of any length up to the context (``cuts_padding`` models)."""
    import torch

    n = tokens.shape[1]
    cast = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast) + model.positional_embedding[:n].to(cast)
    x = model.ln_final(model.transformer(x, attn_mask=model.attn_mask[:n, :n]))
    x = x[torch.arange(x.shape[0], device=x.device), tokens.argmax(dim=-1)]
    if isinstance(model.text_projection, torch.nn.Linear):
        return model.text_projection(x)
    return x @ model.text_projection


PRECISIONS = ("auto", "fp32", "fp16", "bf16", "int8")


def _resolve_precision(precision: str, device: str) -> str:
    """'auto' is fp16 on CUDA and fp32 on CPU. int8 is CPU-only, fp16 CUDA-only; bf16 runs
    anywhere but is only fast where the CPU has native bf16 (AVX512-BF16/AMX) or on a GPU."""
    if precision not in PRECISIONS:
        raise ModelError(f"VIDSEEK_PRECISION must be one of {', '.join(PRECISIONS)}, not {precision!r}.")
    if precision == "auto":
        return "fp16" if device.startswith("cuda") else "fp32"
    if precision == "int8" and device != "cpu":
        raise ModelError("VIDSEEK_PRECISION=int8 is for CPUs; use fp16 on a GPU.")
    if precision == "fp16" and not device.startswith("cuda"):
        raise ModelError("VIDSEEK_PRECISION=fp16 needs a CUDA device; use int8 or fp32 on a CPU.")
    return precision


def torch_encoder(source: ModelSource, device: str, threads: int, precision: str) -> OpenClipEncoder:
    """open_clip's model on torch; a failure in one sentence that names the folder, repo or file."""
    if source.model_name.startswith(HF_HUB):
        fetch_hf_model(hf_repo(source.model_name))  # else open_clip would build it with random weights
    try:
        return OpenClipEncoder(source, device=device, threads=threads, precision=precision)
    except ModelError as exc:
        raise ModelError(_load_failure(source, str(exc))) from None
    except Exception as exc:  # noqa: BLE001 - what open_clip's get_tokenizer raises (transformers, hub, files)
        raise ModelError(_tokenizer_failure(source, cause_of(exc))) from None


def _load_failure(source: ModelSource, message: str) -> str:
    """A failed load said for a folder or hf-hub source (the encoder's sentence is about tags and files);
    other sentences (a device or precision setting) as they are."""
    if not message.startswith("Could not fetch pretrained weights") or "Cause: " not in message:
        return message
    cause = message.rpartition("Cause: ")[2]
    if source.model_name.startswith(LOCAL_DIR):
        folder = source.model_name[len(LOCAL_DIR) :]
        return f"Could not load the open_clip model in folder {folder}: a file damaged or not for its config ({cause})."
    if source.model_name.startswith(HF_HUB):
        return cannot_fetch_repo(hf_repo(source.model_name), cause)
    return message


def _tokenizer_failure(source: ModelSource, cause: str) -> str:
    import open_clip

    try:
        tokenizer = hf_tokenizer_name(open_clip.get_model_config(source.model_name) or {})
    except Exception:  # noqa: BLE001 - an unreadable config: name the model instead
        tokenizer = ""
    if tokenizer:
        if source.model_name.startswith(LOCAL_DIR):
            folder = source.model_name[len(LOCAL_DIR) :]
            return f"Could not load the tokenizer files in model folder {folder} ({cause})."
        if "No module named 'transformers'" in cause:
            return f"The tokenizer of {source.model_name} needs the transformers package: pip install transformers."
        return tokenizer_problem(source.model_name, tokenizer, cause)
    return f"Could not build the open_clip model {source.spec} ({cause})."
