"""Model specs (README, "Pick a model") turned into encoders with one small interface.

An encoder has ``name``, ``dim``, ``input_size`` (height, width),
``encode_frames(uint8 (N,H,W,3)) -> float32 (N,dim)`` and ``encode_text(list[str]) -> float32 (N,dim)``.
Vectors are returned L2-normalised. Reading and checking a spec without building it is
``vidseek.models.model_spec``.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from vidseek.errors import ModelError
from vidseek.models.model_spec import (
    FETCH_CHECK_SECONDS,
    canonical_spec,
    check_spec,
    open_clip_source,
    python_factory,
    warn_random,
)
from vidseek.models.open_clip_encoder import OpenClipEncoder, torch_encoder
from vidseek.models.runtime_choice import choose_runtime, needs_export
from vidseek.vectors.pool import l2_normalize

__all__ = [
    "FETCH_CHECK_SECONDS",
    "Encoder",
    "OpenClipEncoder",
    "check_spec",
    "encoder_for",
    "input_size_of",
    "library_encoder",
    "load_encoder",
]

if TYPE_CHECKING:
    from vidseek.config import Settings
    from vidseek.storage.library import Library

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


class _NormalisingEncoder:
    """Wraps a custom ``python:`` encoder: checks shapes, returns normalised float32."""

    def __init__(self, inner: object, spec: str) -> None:
        for attr in ("name", "dim", "encode_frames", "encode_text"):
            if not hasattr(inner, attr):
                raise ModelError(f"Custom encoder {spec} has no '{attr}' (see README, 'Pick a model').")
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


def _load_python(spec: str) -> Encoder:
    factory = python_factory(spec)
    _, module_name, attr = spec.split(":")
    try:
        instance = factory()
    except Exception as exc:  # noqa: BLE001 - the user's code: report it, don't crash with its traceback
        raise ModelError(f"Creating the encoder {module_name}.{attr}() failed: {type(exc).__name__}: {exc}") from None
    return _NormalisingEncoder(instance, spec)


_cache: dict[tuple, Encoder] = {}
_cache_lock = threading.Lock()


def load_encoder(
    spec: str,
    *,
    device: str = "auto",
    threads: int = 0,
    precision: str = "auto",
    backend: str = "torch",
    cache_dir: Path | None = None,
) -> Encoder:
    """Turn a model spec into an encoder, once per process. ``backend`` ``onnx`` or ``auto`` (see
    ``vidseek.models.runtime_choice``) exports the model into ``cache_dir`` on first use; without a
    ``cache_dir`` it is torch."""
    key = (spec, device, threads, precision, backend, str(cache_dir))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _build(
                spec, device=device, threads=threads, precision=precision, backend=backend, cache_dir=cache_dir
            )
        return _cache[key]


def encoder_for(settings: Settings, spec: str | None = None) -> Encoder:
    """The encoder of ``spec`` (default: the configured model) on the configured device, threads,
    precision and backend. Commands, servers and workers working on a library use ``library_encoder``."""
    return load_encoder(
        settings.model if spec is None else spec,
        device=settings.device,
        threads=settings.threads,
        precision=settings.precision,
        backend=settings.backend,
        cache_dir=settings.model_cache_dir,
    )


def library_encoder(settings: Settings, library: Library) -> Encoder:
    """The encoder every command, server and worker uses on ``library``: the model ``VIDSEEK_MODEL``
    (or ``--model``) names when set, else the library's own model (``Library.model_to_use``). The spec
    is remembered with its model's name, so later runs without ``VIDSEEK_MODEL`` load it again. A
    different explicit model is refused where it would be used (``store.check_model``)."""
    spec = library.model_to_use()
    encoder = encoder_for(settings, spec)
    library.remember_spec(encoder.name, canonical_spec(spec))
    return encoder


def _build(
    spec: str, *, device: str, threads: int, precision: str, backend: str = "torch", cache_dir: Path | None = None
) -> Encoder:
    if spec.startswith("python:"):
        return _load_python(spec)
    device = _device(device)
    if cache_dir is None or not needs_export(backend, precision, device):
        choose_runtime(backend, precision, device, None)  # refuses onnx on CUDA
        return torch_encoder(open_clip_source(spec), device, threads, precision)
    from vidseek.models.onnx_cache import export_folder, read_export, remove_left_over_staging

    key = canonical_spec(spec)
    folder = export_folder(cache_dir, key)
    remove_left_over_staging(folder)  # a killed export's full-size copy
    meta = read_export(folder)
    if meta is None or meta.get("spec") != key:
        from vidseek.models.onnx_export import export_model

        source = open_clip_source(spec)
        meta = export_model(source, folder, key, lambda: torch_encoder(source, "cpu", threads, "fp32"))
    elif key.endswith(":random"):
        warn_random(key)
    runtime = choose_runtime(backend, precision, device, meta["probe"])
    if runtime.backend == "torch":
        return torch_encoder(open_clip_source(spec), device, threads, runtime.precision)
    from vidseek.models.onnx_encoder import OnnxClipEncoder

    return OnnxClipEncoder(folder, meta, precision=runtime.precision, threads=threads, text_setting=precision)


def _device(device: str) -> str:
    """``auto`` is cuda where torch sees a GPU, else cpu; torch is imported only where an NVIDIA
    device node exists, so a CPU machine decides without it."""
    if device != "auto":
        return device
    if not any(Path("/dev").glob("nvidia[0-9]*")):
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
