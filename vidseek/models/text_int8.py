"""The text tower in int8: made once from an export's ``text.fp32.onnx`` (ONNX Runtime's dynamic int8
quantisation, weights per channel, as the image tower's), probed against fp32 on fixed phrases, and
used for queries when ``VIDSEEK_PRECISION`` is ``auto`` and the probe keeps every vector within
``runtime_choice.MIN_COSINE`` of fp32 while running faster, or when it is ``int8``.

Kept beside the export as ``text.int8.onnx`` and ``text.int8.json`` (the probe: worst cosine, best
time of each graph on the probe), written under a temporary name and renamed, under a lock, so
concurrent processes make it once; a folder that cannot be written leaves the text tower in fp32.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from vidseek.models.runtime_choice import MIN_COSINE
from vidseek.storage.filelock import locked

log = logging.getLogger(__name__)

GRAPH = "text.int8.onnx"
PROBE = "text.int8.json"
PROBE_PHRASES = (
    "a dog running on the beach",
    "two people dancing at night in the city",
    "a red car",
    "snow falling on a mountain forest",
    "close-up of hands cooking in a kitchen",
    "a crowd cheering at a concert",
    "boat on a river at sunset",
    "cat",
)

Run = Callable[[Any, np.ndarray], np.ndarray]
"""(session, tokens) -> text vectors, as the encoder runs its text graph."""


def text_precision(setting: str, probe: dict[str, Any] | None) -> str:
    """``int8`` or ``fp32`` for the text tower under ``VIDSEEK_PRECISION=setting`` and this probe."""
    if setting == "int8":
        return "int8" if probe is not None else "fp32"
    if setting != "auto" or probe is None:
        return "fp32"
    good = probe["cosine"] >= MIN_COSINE and probe["seconds_int8"] < probe["seconds_fp32"]
    return "int8" if good else "fp32"


def int8_probe(folder: Path, tokens: np.ndarray, open_session: Callable[[Path], Any], run: Run) -> dict | None:
    """The probe of the folder's int8 text graph, made (with the graph) when missing; None when it
    cannot be made (a read-only model cache, no quantisation tools)."""
    probe = _read_probe(folder)
    if probe is not None:
        return probe
    try:
        with locked(folder / "text.int8.lock"):
            probe = _read_probe(folder)  # another process made it meanwhile
            if probe is None:
                probe = _make(folder, tokens, open_session, run)
    except (OSError, ImportError, ValueError) as exc:
        log.warning("text tower stays fp32: no int8 graph in %s (%s)", folder, exc)
        return None
    return probe


def _read_probe(folder: Path) -> dict | None:
    try:
        probe = json.loads((folder / PROBE).read_text())
        if (folder / GRAPH).stat().st_size != probe["bytes"]:
            return None
        return probe
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _make(folder: Path, tokens: np.ndarray, open_session: Callable[[Path], Any], run: Run) -> dict:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = folder / f"{GRAPH}.tmp-{os.getpid()}.onnx"
    try:
        logging.disable(logging.WARNING)  # its advice to pre-process the graph: not needed here
        try:
            quantize_dynamic(str(folder / "text.fp32.onnx"), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.disable(logging.NOTSET)
        fp32, int8 = open_session(folder / "text.fp32.onnx"), open_session(tmp)
        a, b = run(fp32, tokens), run(int8, tokens)
        probe = {
            "phrases": len(tokens),
            "cosine": round(float((a * b).sum(axis=1).min()), 5),
            "seconds_fp32": _best_of(3, lambda: run(fp32, tokens)),
            "seconds_int8": _best_of(3, lambda: run(int8, tokens)),
            "bytes": tmp.stat().st_size,
        }
        os.replace(tmp, folder / GRAPH)
    finally:
        tmp.unlink(missing_ok=True)
    staged = folder / f"{PROBE}.tmp-{os.getpid()}"
    staged.write_text(json.dumps(probe))
    os.replace(staged, folder / PROBE)
    log.info("text tower int8 probe in %s: %s", folder, probe)
    return probe


def _best_of(n: int, call: Callable[[], Any]) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return round(min(times), 5)
