"""The text tower in int8 (``vidseek.models.text_int8``): made once beside the export, probed against fp32,
used under ``auto`` when the probe keeps its vectors within cosine 0.99 and it is faster, never under ``fp32``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidseek.models import onnx_encoder, text_int8

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime.quantization")

VOCAB, DIM, LENGTH = 300, 64, 8


def _text_graph(folder: Path) -> Path:
    """tokens (N, L) -> mean of their embeddings, projected: a text tower's shape, its weights in MatMul/Gather."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    table = numpy_helper.from_array(rng.standard_normal((VOCAB, DIM)).astype(np.float32), "table")
    weight = numpy_helper.from_array(rng.standard_normal((DIM, DIM)).astype(np.float32), "weight")
    nodes = [
        helper.make_node("Gather", ["table", "tokens"], ["embedded"]),
        helper.make_node("ReduceMean", ["embedded"], ["pooled"], axes=[1], keepdims=0),
        helper.make_node("MatMul", ["pooled", "weight"], ["vectors"]),
    ]
    graph = helper.make_graph(
        nodes,
        "text",
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, ["n", "l"])],
        [helper.make_tensor_value_info("vectors", TensorProto.FLOAT, ["n", DIM])],
        initializer=[table, weight],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(folder / "text.fp32.onnx"))
    return folder


def _tokens(texts: list[str]) -> np.ndarray:
    return np.array([[(sum(map(ord, t)) * (i + 7)) % VOCAB for i in range(LENGTH)] for t in texts], np.int64)


def _encoder(folder: Path, setting: str, monkeypatch: pytest.MonkeyPatch) -> onnx_encoder.OnnxClipEncoder:
    monkeypatch.setattr(onnx_encoder, "_tokenizer", lambda folder, meta: _tokens)
    meta = {"name": "tiny", "dim": DIM, "input_size": [8, 8], "cuts_padding": False}
    return onnx_encoder.OnnxClipEncoder(folder, meta, precision="fp32", text_setting=setting)


def test_auto_makes_the_int8_graph_once_and_uses_it_within_cosine_099(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _text_graph(tmp_path)
    monkeypatch.setattr(text_int8, "text_precision", lambda setting, probe: "int8" if probe else "fp32")  # timing aside
    auto = _encoder(folder, "auto", monkeypatch)
    queries = ["a dog on the beach", "night city", "snow"]
    fast = auto.encode_text(queries)
    assert auto.text_precision == "int8" and (folder / text_int8.GRAPH).exists()
    probe = text_int8._read_probe(folder)
    assert probe["phrases"] == len(text_int8.PROBE_PHRASES) and probe["cosine"] >= 0.99
    exact = _encoder(folder, "fp32", monkeypatch).encode_text(queries)
    assert (fast * exact).sum(axis=1).min() >= 0.99 and not np.array_equal(fast, exact)
    made = (folder / text_int8.GRAPH).stat().st_mtime_ns
    _encoder(folder, "auto", monkeypatch).encode_text(queries)
    assert (folder / text_int8.GRAPH).stat().st_mtime_ns == made  # made once, then read


def test_fp32_never_makes_or_uses_it_and_auto_refuses_a_probe_below_099(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _text_graph(tmp_path)
    exact = _encoder(folder, "fp32", monkeypatch)
    exact.encode_text(["a dog"])
    assert exact.text_precision == "fp32" and not (folder / text_int8.GRAPH).exists()
    monkeypatch.setattr(text_int8, "MIN_COSINE", 1.01)  # no int8 graph can keep within that
    auto = _encoder(folder, "auto", monkeypatch)
    auto.encode_text(["a dog"])
    assert auto.text_precision == "fp32" and (folder / text_int8.GRAPH).exists()


def test_the_choice_follows_the_setting_and_the_probe() -> None:
    good = {"cosine": 0.999, "seconds_fp32": 0.02, "seconds_int8": 0.01}
    assert text_int8.text_precision("auto", good) == "int8"
    assert text_int8.text_precision("auto", {**good, "cosine": 0.98}) == "fp32"
    assert text_int8.text_precision("auto", {**good, "seconds_int8": 0.03}) == "fp32"  # not faster
    assert text_int8.text_precision("fp32", good) == "fp32"
    assert text_int8.text_precision("int8", {**good, "cosine": 0.5}) == "int8"  # asked for by name
    assert text_int8.text_precision("auto", None) == "fp32"
