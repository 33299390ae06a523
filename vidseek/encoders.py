"""Model specs (see PRODUCT.md) turned into encoders with one small interface.

An encoder has ``name``, ``dim``, ``input_size`` (height, width),
``encode_frames(uint8 (N,H,W,3)) -> float32 (N,dim)`` and ``encode_text(list[str]) -> float32 (N,dim)``.
Vectors are returned L2-normalised.

``check_spec`` says whether a spec can be loaded here without building the model (for queueing a
re-embed): the architecture and tag exist, a weights file exists, and pretrained weights are in the
local cache or their host answers within a few seconds.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from vidseek.errors import ModelError
from vidseek.pool import l2_normalize

if TYPE_CHECKING:
    from vidseek.config import Settings

log = logging.getLogger(__name__)


@runtime_checkable
class Encoder(Protocol):
    name: str
    dim: int

    def encode_frames(self, frames: np.ndarray) -> np.ndarray: ...

    def encode_text(self, texts: list[str]) -> np.ndarray: ...


DEFAULT_INPUT_SIZE = (224, 224)
"""(height, width) of the frames given to an encoder that does not say its own (``input_size_of``)."""


def input_size_of(encoder: Encoder) -> tuple[int, int] | None:
    size = getattr(encoder, "input_size", None)
    if size is None:
        return None
    h, w = size
    return int(h), int(w)


class OpenClipEncoder:
    """An open_clip model. Frames arrive already scaled and cropped to ``input_size`` by the decoder."""

    def __init__(
        self, arch: str, weights: str, *, device: str = "auto", threads: int = 0, precision: str = "auto"
    ) -> None:
        import open_clip
        import torch

        if threads:
            torch.set_num_threads(threads)
        if arch not in open_clip.list_models():
            raise ModelError(_unknown_arch(open_clip, arch))
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelError(f"VIDSEEK_DEVICE={device} but no CUDA GPU is available here; use 'auto' or 'cpu'.")
        self.precision = _resolve_precision(precision, self.device)
        pretrained, self.name = self._resolve_weights(open_clip, arch, weights)
        try:
            if pretrained is None:
                torch.manual_seed(0)  # same "random" model in every process, so an index stays searchable
            logging.disable(logging.ERROR)  # open_clip logs its own copy of the failure; ours says what to do
            try:
                model = open_clip.create_model(arch, pretrained=pretrained, device=self.device)
            finally:
                logging.disable(logging.NOTSET)
        except Exception as exc:  # noqa: BLE001 - open_clip raises many kinds on a failed fetch or a bad file
            cause = _cause(exc)
            if pretrained is not None and Path(pretrained).is_file():
                raise ModelError(f"Could not load weights file {pretrained} for {arch} ({cause}).") from None
            raise ModelError(_cannot_fetch(arch, weights, cause)) from None
        model.eval()
        if self.precision == "int8":
            # Dynamic int8 quantisation of the image tower's Linear layers (fbgemm): ~1.3x on AVX2
            # CPUs, vectors within cosine 0.999 of fp32 (BENCHMARKS.md). The text tower, one call
            # per query, stays fp32 (open_clip reads its weight dtype, which quantisation hides).
            model.visual = torch.ao.quantization.quantize_dynamic(model.visual, {torch.nn.Linear}, dtype=torch.qint8)
        elif self.precision == "fp16":
            model = model.half()
        self.model = model
        self.tokenizer = open_clip.get_tokenizer(arch)
        size = model.visual.image_size
        self.input_size = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        mean = getattr(model.visual, "image_mean", None) or open_clip.OPENAI_DATASET_MEAN
        std = getattr(model.visual, "image_std", None) or open_clip.OPENAI_DATASET_STD
        self._mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1) * 255.0
        self._std = torch.tensor(std, device=self.device).view(1, 3, 1, 1) * 255.0
        with torch.no_grad():
            self.dim = int(self.model.encode_text(self.tokenizer(["x"]).to(self.device)).shape[-1])
        self._lock = threading.Lock()

    @staticmethod
    def _resolve_weights(open_clip, arch: str, weights: str) -> tuple[str | None, str]:  # noqa: ANN001
        if weights == "random":
            warnings.warn(
                f"VIDSEEK_MODEL={arch}:random uses untrained weights: results are meaningless. "
                "For tests and benchmarks only.",
                stacklevel=3,
            )
            return None, f"open_clip:{arch}:random"
        path = Path(weights).expanduser()
        if _is_weights_file(weights):
            if not path.is_file():
                raise ModelError(f"Weights file {path} for {arch} does not exist (from VIDSEEK_MODEL).")
            return str(path), f"open_clip:{arch}:sha256={_file_digest(path)}"
        _check_tag(open_clip, arch, weights)
        return weights, f"open_clip:{arch}:{weights}"

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


def _cause(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}" if str(exc) else type(exc).__name__


def _cannot_fetch(arch: str, weights: str, cause: str) -> str:
    return (
        f"Could not fetch pretrained weights '{weights}' for {arch} (no network?). On an offline machine, "
        f"download the checkpoint on one with internet and set VIDSEEK_MODEL={arch}:/path/to/weights.bin "
        f"(an open_clip .bin, .pt or .safetensors file). Cause: {cause}"
    )


def _unknown_arch(open_clip, arch: str) -> str:  # noqa: ANN001
    return (
        f"Unknown open_clip architecture {arch!r} in VIDSEEK_MODEL. Known ones include: "
        f"{', '.join(open_clip.list_models()[:12])}, ... (all of them, with their pretrained tags: "
        "python -c 'import open_clip; print(open_clip.list_pretrained())')."
    )


def _is_weights_file(weights: str) -> bool:
    return weights.startswith(("/", ".", "~")) or Path(weights).suffix in (".bin", ".pt", ".pth", ".safetensors")


def _check_tag(open_clip, arch: str, weights: str) -> None:  # noqa: ANN001
    tags = open_clip.list_pretrained_tags_by_model(arch)
    if weights not in tags:
        raise ModelError(
            f"{arch} has no pretrained tag {weights!r}; known tags: {', '.join(tags) or 'none'}. "
            f"Or give a local file: VIDSEEK_MODEL={arch}:/path/to/weights"
        )


# ------------------------------------------------------------------ can a spec be loaded here?

FETCH_CHECK_SECONDS = 3.0
"""How long ``check_spec`` waits for the weights' host to answer before calling them unreachable."""


def check_spec(spec: str, *, timeout: float = FETCH_CHECK_SECONDS) -> None:
    """Raise ModelError (the sentence ``load_encoder`` would give) unless ``spec`` can be loaded here,
    without building the model: a ``python:`` factory imports and exists; an open_clip architecture
    and tag are known; a weights file exists; pretrained weights are in the local cache (the
    Hugging Face cache, or ``~/.cache/clip`` for URL weights) or their host answers within
    ``timeout`` seconds (at once with ``HF_HUB_OFFLINE=1``)."""
    if spec.startswith("python:"):
        _python_factory(spec)
        return
    arch, weights = _split_spec(spec)
    import open_clip

    if arch not in open_clip.list_models():
        raise ModelError(_unknown_arch(open_clip, arch))
    if weights == "random":
        return
    if _is_weights_file(weights):
        path = Path(weights).expanduser()
        if not path.is_file():
            raise ModelError(f"Weights file {path} for {arch} does not exist (from VIDSEEK_MODEL).")
        return
    _check_tag(open_clip, arch, weights)
    cause = _fetch_problem(open_clip.get_pretrained_cfg(arch, weights), timeout)
    if cause is not None:
        raise ModelError(_cannot_fetch(arch, weights, cause))


def _hf_offline() -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    try:
        from huggingface_hub import constants
    except ImportError:
        return False
    return bool(constants.HF_HUB_OFFLINE)


def _fetch_problem(cfg: dict, timeout: float) -> str | None:
    """Why the weights of a pretrained config cannot be had now (None: cached, or the host answered).
    Mirrors open_clip's ``download_pretrained``: the Hugging Face hub first, else the URL."""
    if cfg.get("file"):
        return None if Path(cfg["file"]).is_file() else f"the file {cfg['file']} does not exist"
    try:
        import huggingface_hub
    except ImportError:
        huggingface_hub = None
    if huggingface_hub is not None and cfg.get("hf_hub"):
        repo, filename = os.path.split(cfg["hf_hub"])
        names = _hf_candidates(filename or "open_clip_pytorch_model.bin")
        if any(isinstance(huggingface_hub.try_to_load_from_cache(repo, name), str) for name in names):
            return None
        if _hf_offline():
            return "not in the local Hugging Face cache, and HF_HUB_OFFLINE is set"
        return _answers_within(timeout, lambda: _hf_reachable(huggingface_hub, repo, names, timeout))
    url = cfg.get("url", "")
    if not url:
        return "open_clip names no download for it"
    if Path("~/.cache/clip").expanduser().joinpath(os.path.basename(url)).is_file():
        return None
    return _answers_within(timeout, lambda: _url_reachable(url, timeout))


def _hf_candidates(filename: str) -> list[str]:
    """The file names open_clip tries on the hub, in its order (safetensors first)."""
    if filename == "open_clip_pytorch_model.bin":
        return ["open_clip_model.safetensors", filename]
    if filename.endswith((".bin", ".pth")):
        return [filename[:-4] + ".safetensors", filename]
    return [filename]


def _hf_reachable(huggingface_hub, repo: str, names: list[str], timeout: float) -> None:  # noqa: ANN001
    error: Exception | None = None
    for name in names:
        try:
            huggingface_hub.get_hf_file_metadata(huggingface_hub.hf_hub_url(repo, name), timeout=timeout)
            return
        except Exception as exc:  # noqa: BLE001 - any failure: try the next name, report the last
            error = exc
    raise error or RuntimeError("no file to fetch")


def _url_reachable(url: str, timeout: float) -> None:
    """A HEAD request answered (a redirect counts: the host is there); raises otherwise."""
    import urllib.error
    import urllib.request

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError as exc:
        if not 300 <= exc.code < 400:
            raise


def _answers_within(timeout: float, probe) -> str | None:  # noqa: ANN001
    """Run ``probe`` (raises when the host cannot serve the file) for at most ``timeout`` seconds, name
    resolution included; None when it returned, else why not."""
    outcome: list[str | None] = []

    def run() -> None:
        try:
            probe()
            outcome.append(None)
        except Exception as exc:  # noqa: BLE001
            outcome.append(_cause(exc))

    thread = threading.Thread(target=run, name="vidseek-weights-check", daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome[0] if outcome else f"no answer within {timeout:g} s"


def _encode_text_short(model, tokens):  # noqa: ANN001, ANN202
    """``model.encode_text`` on tokens cut after the last end-of-text token.

    CLIP's text tower is causal and (pool type 'argmax') pools at the end-of-text token, so the
    padding after it never reaches the result: dropping it gives the same vector (checked in
    tests) for a fraction of the work (a 6-word query is ~10 of the 77 positions). Other text
    towers run as they are.
    """
    import open_clip
    import torch

    mask = getattr(model, "attn_mask", None)
    if type(model) is not open_clip.CLIP or mask is None or getattr(model, "text_pool_type", None) != "argmax":
        return model.encode_text(tokens)
    n = int((tokens != 0).sum(dim=1).max())
    tokens = tokens[:, :n]
    cast = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast) + model.positional_embedding[:n].to(cast)
    x = model.ln_final(model.transformer(x, attn_mask=mask[:n, :n]))
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


class _NormalisingEncoder:
    """Wraps a custom ``python:`` encoder: checks shapes, returns normalised float32."""

    def __init__(self, inner: object, spec: str) -> None:
        for attr in ("name", "dim", "encode_frames", "encode_text"):
            if not hasattr(inner, attr):
                raise ModelError(f"Custom encoder {spec} has no '{attr}' (see PRODUCT.md, model spec).")
        self.inner = inner
        self.name = str(inner.name)
        self.dim = int(inner.dim)
        self.input_size = input_size_of(inner)

    def _check(self, out: np.ndarray, n: int, what: str) -> np.ndarray:
        out = np.asarray(out, dtype=np.float32)
        if out.shape != (n, self.dim):
            raise ModelError(
                f"Custom encoder {self.name}: {what} returned shape {out.shape}, expected {(n, self.dim)}."
            )
        return l2_normalize(out)

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        return self._check(self.inner.encode_frames(frames), len(frames), "encode_frames")

    def encode_text(self, texts: list[str]) -> np.ndarray:
        return self._check(self.inner.encode_text(texts), len(texts), "encode_text")


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def _python_factory(spec: str):  # noqa: ANN202
    """The class or factory a ``python:MODULE:ATTR`` spec names (imported, not called)."""
    parts = spec.split(":")
    if len(parts) != 3 or not all(parts[1:]):
        raise ModelError(f"Model spec {spec!r} should look like python:MODULE:ATTR.")
    _, module_name, attr = parts
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelError(f"Cannot import module {module_name!r} for model spec {spec!r}: {exc}") from None
    factory = getattr(module, attr, None)
    if factory is None:
        raise ModelError(f"Module {module_name!r} has no attribute {attr!r} (model spec {spec!r}).")
    if not callable(factory):
        raise ModelError(f"{module_name}.{attr} is not a class or factory (model spec {spec!r}).")
    return factory


def _load_python(spec: str) -> Encoder:
    factory = _python_factory(spec)
    _, module_name, attr = spec.split(":")
    try:
        instance = factory()
    except Exception as exc:  # noqa: BLE001 - the user's code: report it, don't crash with its traceback
        raise ModelError(f"Creating the encoder {module_name}.{attr}() failed: {type(exc).__name__}: {exc}") from None
    return _NormalisingEncoder(instance, spec)


_cache: dict[tuple[str, str, int, str], Encoder] = {}
_cache_lock = threading.Lock()


def load_encoder(spec: str, *, device: str = "auto", threads: int = 0, precision: str = "auto") -> Encoder:
    """Turn a model spec into an encoder, once per process."""
    key = (spec, device, threads, precision)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _build(spec, device=device, threads=threads, precision=precision)
        return _cache[key]


def encoder_for(settings: Settings, spec: str | None = None) -> Encoder:
    """The encoder of ``spec`` (default: the configured model) on the configured device, threads and
    precision: how every command, server and worker builds one from its settings."""
    return load_encoder(
        settings.model if spec is None else spec,
        device=settings.device,
        threads=settings.threads,
        precision=settings.precision,
    )


def _build(spec: str, *, device: str, threads: int, precision: str) -> Encoder:
    if spec.startswith("python:"):
        return _load_python(spec)
    arch, weights = _split_spec(spec)
    return OpenClipEncoder(arch, weights, device=device, threads=threads, precision=precision)


def _split_spec(spec: str) -> tuple[str, str]:
    """(architecture, weights) of an open_clip spec."""
    arch, sep, weights = spec.partition(":")
    if not sep or not arch or not weights:
        raise ModelError(
            f"Model spec {spec!r} should be ARCH:TAG, ARCH:/path/to/weights, ARCH:random or python:MODULE:ATTR "
            "(for example ViT-B-32:laion2b_s34b_b79k)."
        )
    return arch, weights
