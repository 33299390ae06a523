"""The OCR model that reads the text shown in a picture: PaddleOCR's PP-OCRv4 detection and recognition
models (Chinese and English, Apache-2.0) as the optional extra ``vidseek[ocr]`` installs them (the
``rapidocr-onnxruntime`` package ships the ONNX files inside its wheel: nothing is fetched), run on ONNX
Runtime.

A picture is read detection first; recognition runs only on the boxes detection found, so a picture
without text costs one detection. rapidocr is imported only here."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass

import numpy as np

from vidseek.errors import ModelError

MODEL_NAME = "PP-OCRv4"
"""The model's name, recorded in each shown line's source (``shown:PP-OCRv4``)."""
INSTALL = "pip install 'vidseek[ocr]'"
DETECT_SIDE = 960
"""Longest side (pixels) of the picture detection sees: a 720p frame is read at 960x540."""
MIN_SCORE = 0.6
"""Recognised text below this confidence is left out (mostly texture read as letters)."""


@dataclass(frozen=True)
class TextBox:
    """One piece of text read in a picture."""

    text: str
    score: float
    box: tuple[float, float, float, float]
    """(left, top, right, bottom) as fractions of the picture's width and height."""


def ocr_installed() -> bool:
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def require_ocr() -> None:
    """ModelError, one sentence saying what to install, unless the OCR extra is installed."""
    if not ocr_installed():
        raise ModelError(f"Reading on-screen text needs the ocr extra: {INSTALL}.")


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class OcrEngine:
    """PP-OCRv4 on ONNX Runtime: ``read(picture)`` gives the text boxes of an (H, W, 3) uint8 RGB picture."""

    name = MODEL_NAME

    def __init__(self, *, threads: int = 0, detect_side: int = DETECT_SIDE) -> None:
        require_ocr()
        try:
            from rapidocr_onnxruntime import RapidOCR

            self._ocr = RapidOCR(
                det_limit_side_len=detect_side,
                det_limit_type="max",
                intra_op_num_threads=threads or default_threads(),
                inter_op_num_threads=1,
            )
        except Exception as exc:  # noqa: BLE001 - a broken install or model file: one sentence
            raise ModelError(f"Cannot load the OCR model {MODEL_NAME}: {type(exc).__name__}: {exc}") from None

    def read(self, picture: np.ndarray) -> list[TextBox]:
        """The text in ``picture`` (RGB), top to bottom and left to right; [] when detection finds none."""
        h, w = picture.shape[:2]
        if h < 8 or w < 8:
            return []
        found, _ = self._ocr(np.ascontiguousarray(picture[..., ::-1]), use_cls=False)  # the models want BGR
        out = []
        for points, text, score in found or []:
            xs = [p[0] for p in points]
            ys = [p[1] for p in points]
            text = " ".join(str(text).split())
            if text and float(score) >= MIN_SCORE:
                out.append(TextBox(text, float(score), (min(xs) / w, min(ys) / h, max(xs) / w, max(ys) / h)))
        return out
