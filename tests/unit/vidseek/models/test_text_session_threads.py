"""The text tower's ONNX Runtime session does not spin-wait between queries (``TEXT_SPIN``); frames' does."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidseek.models import onnx_encoder

onnx = pytest.importorskip("onnx")


def _identity_graph(path: Path) -> Path:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def _spinning(session) -> str:  # noqa: ANN001
    return session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning")


def test_a_session_made_not_to_spin_says_so(tmp_path: Path) -> None:
    graph = _identity_graph(tmp_path / "g.onnx")
    assert _spinning(onnx_encoder.cpu_session(graph, 0, spin=False)) == "0"
    with pytest.raises(Exception):  # noqa: B017 - ORT raises its own error for an entry never set
        _spinning(onnx_encoder.cpu_session(graph, 0))


def test_the_text_tower_is_opened_not_spinning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: dict[str, bool] = {}
    monkeypatch.setattr(
        onnx_encoder, "cpu_session", lambda path, threads, spin=True: opened.setdefault(path.name, spin)
    )
    monkeypatch.setattr(onnx_encoder, "_tokenizer", lambda folder, meta: None)
    encoder = onnx_encoder.OnnxClipEncoder(tmp_path, {"name": "m", "dim": 4, "input_size": [8, 8]}, precision="fp32")
    encoder._text_parts()
    encoder._cpu_session()
    assert opened == {"text.fp32.onnx": False, "image.fp32.onnx": True}
