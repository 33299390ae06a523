"""Export an open_clip model's towers to ONNX once, and measure which runtime to use for it.

``export_model(source, folder, spec, reference)`` writes into ``folder`` (atomically, under a lock,
so concurrent processes export once), from the torch fp32 model ``reference()`` builds:

- ``image.fp32.onnx``: uint8 frames (N, H, W, 3) in, unnormalised vectors (N, dim) out (the mean/std
  scaling is inside the graph, so the runtime needs no torch);
- ``image.int8.onnx``: the same, with ONNX Runtime's dynamic int8 quantisation (weights per channel);
- ``text.fp32.onnx``: token ids (N, L) in, vectors out; for CLIP-style causal text towers L may be
  any length up to the context, so padding after the end token is cut before the call;
- ``bpe_simple_vocab_16e6.txt.gz`` when the tokenizer is open_clip's CLIP BPE (read without torch), or
  ``tokenizer.json`` when it is a Hugging Face fast tokenizer (``vidseek.models.hf_tokens``, read by the
  ``tokenizers`` library: the multilingual preset's search needs no torch either);
- ``export.json``: the model's name and spec, each file's size and SHA-256 (``checksums``, checked before
  use by ``vidseek.models.onnx_cache.check_export``), dim, input size, tokenizer, and the probe: the worst
  cosine of each runtime's vectors to torch fp32 on fixed synthetic frames, and its best time for
  them, from which ``auto`` picks the fastest within ``vidseek.models.runtime_choice.MIN_COSINE``.
  Text vectors are exported in fp32 (checked against torch in tests); ``vidseek.models.text_int8`` makes
  the int8 text graph from it on first use.

This is the one module that imports torch for ONNX; ``vidseek.models.onnx_encoder`` runs the files.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vidseek.errors import ModelError
from vidseek.models.hf_tokens import KIND as HF_TOKENIZERS
from vidseek.models.hf_tokens import tokenizer_record
from vidseek.models.model_spec import ModelSource, cause_of
from vidseek.models.onnx_cache import (
    EXPORT_FORMAT,
    check_export,
    export_lock,
    remove_staging_folders,
    staging_prefix,
    stamps,
)
from vidseek.models.open_clip_encoder import OpenClipEncoder, cuts_padding, encode_causal_text
from vidseek.storage.filelock import locked

log = logging.getLogger(__name__)

PROBE_FRAMES = 8


def export_model(
    source: ModelSource, folder: Path, spec: str, reference: Callable[[], OpenClipEncoder]
) -> dict[str, Any]:
    """The export's ``export.json`` contents, exporting into ``folder`` first if it is not there.
    ``spec`` is the key it is recorded under (the canonical spec); ``reference()`` builds the model
    on torch fp32, the reference the export is made from and checked against."""
    meta, damage = check_export(folder)
    if meta is not None:
        return meta
    with ExitStack() as held:
        try:
            held.enter_context(locked(export_lock(folder)))
        except OSError as exc:
            raise _unwritable(spec, folder, exc) from None
        return _export_locked(source, folder, spec, reference, damage)


def _unwritable(spec: str, folder: Path, exc: OSError) -> ModelError:
    return ModelError(
        f"Cannot write the ONNX export of {spec} into the model cache {folder.parent} ({exc.strerror or exc}): "
        "set VIDSEEK_MODEL_CACHE to a folder this user can write (or VIDSEEK_BACKEND=torch to run it on torch)."
    )


def _export_locked(
    source: ModelSource, folder: Path, spec: str, reference: Callable[[], OpenClipEncoder], damage: str | None
) -> dict[str, Any]:
    """The export, made under its lock (held by the caller)."""
    meta, damage_now = check_export(folder)
    if meta is not None:  # another process exported it while this one waited
        return meta
    damage = damage_now or damage
    remove_staging_folders(folder)  # a killed export's full-size copy
    if damage:
        log.warning("the ONNX export of %s in %s is damaged (%s); exporting it again", spec, folder, damage)
    else:
        log.warning("exporting %s to ONNX Runtime, once (a minute or two on a laptop CPU); kept in %s", spec, folder)
    try:
        staging = Path(tempfile.mkdtemp(prefix=staging_prefix(folder), dir=folder.parent))
        staging.chmod(0o755)
    except OSError as exc:
        raise _unwritable(spec, folder, exc) from None
    try:
        started = time.monotonic()
        model = reference()  # a failure to load the model itself is its own sentence, raised as it is
        try:
            meta = _export_into(model, staging)
        except Exception as exc:  # noqa: BLE001 - the exporter and quantiser raise many kinds
            raise ModelError(
                f"Could not export {spec} to ONNX Runtime ({cause_of(exc)}); "
                "VIDSEEK_BACKEND=torch runs it on torch instead."
            ) from None
        meta["spec"] = spec
        meta["name"] = source.name
        meta["export_seconds"] = round(time.monotonic() - started, 1)
        meta["checksums"] = stamps(staging, meta["files"])
        (staging / "export.json").write_text(json.dumps(meta, indent=1))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("exported %s to ONNX in %s s (%s)", source.name, meta["export_seconds"], folder)
    return meta


def _export_into(reference: OpenClipEncoder, folder: Path) -> dict[str, Any]:
    import open_clip

    model = reference.model
    h, w = reference.input_size
    files = ["image.fp32.onnx", "image.int8.onnx", "text.fp32.onnx"]
    frames = torch.zeros((2, h, w, 3), dtype=torch.uint8)
    _export_image(_ImageGraph(model, reference._mean, reference._std), frames, folder / files[0])
    cut = cuts_padding(model)
    tokens = reference.tokenizer(["a photo of a dog", "x"])
    context = int(tokens.shape[1])
    if cut:
        tokens = tokens[:, :8]
    _export_text(_TextGraph(model, cut), tokens, folder / files[2], free_length=cut, context=context)
    _quantize(folder / files[0], folder / files[1])
    tokenizer = tokenizer_record(reference.tokenizer, folder) or _tokenizer_of(reference.tokenizer)
    if tokenizer["kind"] == HF_TOKENIZERS:
        files.append(tokenizer["file"])
    if tokenizer["kind"] == "clip_bpe":
        from open_clip.tokenizer import default_bpe

        shutil.copyfile(default_bpe(), folder / "bpe_simple_vocab_16e6.txt.gz")
        files.append("bpe_simple_vocab_16e6.txt.gz")
    probe = _probe(reference, folder)
    return {
        "format": EXPORT_FORMAT,
        "dim": reference.dim,
        "input_size": [h, w],
        "cuts_padding": cut,
        "tokenizer": tokenizer,
        "files": files,
        "probe": probe,
        "open_clip": getattr(open_clip, "__version__", "?"),
        "torch": torch.__version__,
    }


class _ImageGraph(torch.nn.Module):
    """uint8 NHWC frames -> the image tower's vectors, the scaling inside."""

    def __init__(self, model: Any, mean: Any, std: Any) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)

    def forward(self, frames: Any) -> Any:
        x = frames.permute(0, 3, 1, 2).float()
        return self.model.encode_image((x - self.mean) / self.std)


class _TextGraph(torch.nn.Module):
    """Token ids -> the text tower's vectors (the short causal path when ``cut`` is true)."""

    def __init__(self, model: Any, cut: bool) -> None:
        super().__init__()
        self.model = model
        self.cut = cut

    def forward(self, tokens: Any) -> Any:
        return encode_causal_text(self.model, tokens) if self.cut else self.model.encode_text(tokens)


def _export_image(module: Any, example: Any, path: Path) -> None:
    """The TorchScript exporter (a few seconds); the batch axis stays free."""
    with warnings.catch_warnings():  # not no_grad: that takes the fused attention path, which has no ONNX op
        warnings.simplefilter("ignore")  # the tracer's notes on shape arithmetic, expected here
        torch.onnx.export(
            module.eval(),
            (example,),
            str(path),
            input_names=["frames"],
            output_names=["vectors"],
            dynamic_axes={"frames": {0: "n"}, "vectors": {0: "n"}},
            opset_version=17,
            dynamo=False,
        )


def _export_text(module: Any, example: Any, path: Path, *, free_length: bool, context: int) -> None:
    """The dynamo exporter: it keeps the token axis free (the TorchScript one bakes the example's
    length into the attention's reshapes), so a query runs on its own length, not the context's."""
    batch = torch.export.Dim("n", min=1, max=4096)
    axes = {0: batch, 1: torch.export.Dim("length", min=2, max=context)} if free_length else {0: batch}
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module.eval(),
                (example,),
                str(path),
                input_names=["tokens"],
                output_names=["vectors"],
                dynamic_shapes={"tokens": axes},
                opset_version=18,
                dynamo=True,
                external_data=False,
                verbose=False,
            )
    finally:
        logging.disable(logging.NOTSET)


def _quantize(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # its advice to pre-process the graph: measured, not needed here
    try:
        # per output channel: on PE-Core-B-16 the probe's worst cosine is 0.9995 where one scale per
        # tensor gave 0.969, at the same speed
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.disable(logging.NOTSET)


def _tokenizer_of(tokenizer: Any) -> dict[str, Any]:
    """How to rebuild the tokenizer without torch: CLIP BPE (plain SimpleTokenizer), else open_clip's."""
    from open_clip.tokenizer import SimpleTokenizer, default_bpe

    clean = {"_clean_lower": "lower", "_clean_whitespace": "whitespace", "_clean_canonicalize": "canonicalize"}
    mode = clean.get(getattr(getattr(tokenizer, "clean_fn", None), "__name__", ""))
    plain = (
        type(tokenizer) is SimpleTokenizer
        and mode is not None
        and tokenizer.reduction_fn is None
        and len(tokenizer.encoder) == 49408
        and Path(default_bpe()).is_file()
    )
    if plain:
        return {"kind": "clip_bpe", "context_length": int(tokenizer.context_length), "clean": mode}
    return {"kind": "open_clip", "context_length": int(getattr(tokenizer, "context_length", 77) or 77)}


def probe_frames(h: int, w: int, n: int = PROBE_FRAMES) -> np.ndarray:
    """Fixed frames with a natural image's statistics (smooth fields of colour, edges, some noise)."""
    rng = np.random.default_rng(1234)
    out = np.empty((n, h, w, 3), np.uint8)
    for i in range(n):
        coarse = rng.uniform(0, 255, (4 + i, 4 + i, 3))
        ys = np.linspace(0, coarse.shape[0] - 1, h).astype(int)
        xs = np.linspace(0, coarse.shape[1] - 1, w).astype(int)
        field = coarse[ys][:, xs] + rng.normal(0, 12, (h, w, 3))
        out[i] = np.clip(field, 0, 255).astype(np.uint8)
    return out


def _probe(reference: OpenClipEncoder, folder: Path) -> dict[str, Any]:
    """Each runtime's worst cosine to torch fp32 on the probe, and its best time of 2 calls (s)."""
    from vidseek.models.onnx_encoder import cpu_session, run_image

    frames = probe_frames(*reference.input_size)
    truth = reference.encode_frames(frames)
    out: dict[str, Any] = {
        "frames": len(frames),
        "torch_fp32": {"cosine": 1.0, "seconds": _best_of(2, lambda: reference.encode_frames(frames))},
    }
    for precision in ("fp32", "int8"):
        session = cpu_session(folder / f"image.{precision}.onnx", 0)
        vectors = run_image(session, frames)
        out[f"onnx_{precision}"] = {
            "cosine": round(float((vectors * truth).sum(axis=1).min()), 5),
            "seconds": _best_of(2, lambda s=session: run_image(s, frames)),
        }
    return out


def _best_of(n: int, call: Any) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return round(min(times), 4)
