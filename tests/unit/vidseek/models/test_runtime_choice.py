"""Which runtime embeds: the pure choice from settings and an export's probe."""

from __future__ import annotations

import pytest

from vidseek.errors import ModelError
from vidseek.models.runtime_choice import Runtime, choose_runtime, needs_export


def probe(int8_cosine: float = 0.999, int8_seconds: float = 0.4, fp32_seconds: float = 1.0) -> dict:
    return {
        "frames": 8,
        "torch_fp32": {"cosine": 1.0, "seconds": 1.2},
        "onnx_fp32": {"cosine": 1.0, "seconds": fp32_seconds},
        "onnx_int8": {"cosine": int8_cosine, "seconds": int8_seconds},
    }


def test_auto_takes_int8_when_it_is_faster_and_close() -> None:
    assert choose_runtime("auto", "auto", "cpu", probe()) == Runtime("onnx", "int8")


def test_auto_keeps_fp32_when_int8_drifts_or_is_slower() -> None:
    assert choose_runtime("auto", "auto", "cpu", probe(int8_cosine=0.97)) == Runtime("onnx", "fp32")
    assert choose_runtime("onnx", "auto", "cpu", probe(int8_seconds=2.0)) == Runtime("onnx", "fp32")


def test_an_explicit_precision_is_honoured() -> None:
    assert choose_runtime("auto", "int8", "cpu", probe(int8_cosine=0.97)) == Runtime("onnx", "int8")
    assert choose_runtime("onnx", "fp32", "cpu", probe()) == Runtime("onnx", "fp32")
    assert choose_runtime("auto", "bf16", "cpu", probe()) == Runtime("torch", "bf16")


def test_torch_and_gpus_need_no_export() -> None:
    assert not needs_export("torch", "auto", "cpu")
    assert not needs_export("auto", "auto", "cuda")
    assert needs_export("auto", "auto", "cpu") and needs_export("onnx", "int8", "cpu")
    assert choose_runtime("torch", "int8", "cpu", probe()) == Runtime("torch", "int8")
    assert choose_runtime("auto", "auto", "cuda", None) == Runtime("torch", "auto")


def test_impossible_settings_are_one_sentence() -> None:
    with pytest.raises(ModelError, match="VIDSEEK_BACKEND must be one of auto, torch, onnx, not 'tvm'"):
        needs_export("tvm", "auto", "cpu")
    with pytest.raises(ModelError, match="runs on the CPU"):
        choose_runtime("onnx", "auto", "cuda", None)
    with pytest.raises(ModelError, match="VIDSEEK_PRECISION=fp16 is not available with VIDSEEK_BACKEND=onnx"):
        choose_runtime("onnx", "fp16", "cpu", probe())
