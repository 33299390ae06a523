"""The OCR model looks for text in the reduced copy ``read`` makes, never in a picture blown up again:
rapidocr's default resize grows any picture whose short side is under 736 px (a 640x360 copy became
1312x736, four times the detection cost)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rapidocr_onnxruntime")

from vidseek.shown.ocr_engine import DETECT_SIDE, shared_engine  # noqa: E402


def test_detection_runs_on_the_reduced_copy_of_a_720p_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = shared_engine()
    infer = engine._ocr.text_det.infer
    seen: list[tuple[int, ...]] = []

    def recording(batch):  # noqa: ANN001, ANN202
        seen.append(tuple(batch.shape))
        return infer(batch)

    monkeypatch.setattr(engine._ocr.text_det, "infer", recording)
    engine.read(np.full((720, 1280, 3), 90, np.uint8))
    assert len(seen) == 1
    height, width = seen[0][2:]
    assert max(height, width) <= DETECT_SIDE and width >= DETECT_SIDE - 32, seen
