"""Which runtime embeds with a model: torch or ONNX Runtime, at which precision (pure logic).

``auto`` on a CPU is ONNX Runtime (a process that only encodes queries then never imports torch)
at the fastest precision whose vectors stay within ``MIN_COSINE`` of torch fp32 on the export's
probe frames (``export.json``); torch stays the reference path (``torch``) and the one for CUDA.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vidseek.errors import ModelError

BACKENDS = ("auto", "torch", "onnx")
MIN_COSINE = 0.99
"""A runtime ``auto`` may pick keeps every probe vector within this cosine of torch fp32."""


@dataclass(frozen=True)
class Runtime:
    backend: str
    """``torch`` or ``onnx``."""
    precision: str
    """What that backend runs: torch auto/fp32/fp16/bf16/int8; onnx fp32/int8."""


def needs_export(backend: str, precision: str, device: str) -> bool:
    """Whether choosing needs the ONNX export's probe (or files)."""
    if backend not in BACKENDS:
        raise ModelError(f"VIDSEEK_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}.")
    if backend == "torch" or device != "cpu":
        return False
    return backend == "onnx" or precision in ("auto", "fp32", "int8")


def choose_runtime(backend: str, precision: str, device: str, probe: dict[str, Any] | None) -> Runtime:
    """The runtime for these settings; ``probe`` is the export's (None when no export was made)."""
    if backend == "onnx" and device != "cpu":
        raise ModelError(f"VIDSEEK_BACKEND=onnx runs on the CPU; with VIDSEEK_DEVICE={device} use torch or auto.")
    if not needs_export(backend, precision, device) or probe is None:
        return Runtime("torch", precision)
    if backend == "onnx" and precision in ("fp16", "bf16"):
        raise ModelError(
            f"VIDSEEK_PRECISION={precision} is not available with VIDSEEK_BACKEND=onnx; use fp32, int8 or auto."
        )
    candidates = {
        ("auto", "auto"): ("onnx_fp32", "onnx_int8"),
        ("auto", "fp32"): ("onnx_fp32",),
        ("auto", "int8"): ("onnx_int8",),
        ("onnx", "auto"): ("onnx_fp32", "onnx_int8"),
        ("onnx", "fp32"): ("onnx_fp32",),
        ("onnx", "int8"): ("onnx_int8",),
    }[(backend, precision)]
    good = [c for c in candidates if c in probe and (len(candidates) == 1 or probe[c]["cosine"] >= MIN_COSINE)]
    best = min(good, key=lambda c: probe[c]["seconds"]) if good else "torch_fp32"
    name, _, chosen = best.partition("_")
    return Runtime(name, chosen)
