"""The OCR model that reads the text shown in a picture: PaddleOCR's PP-OCRv4 detection and recognition
models (Chinese and English, Apache-2.0) as the optional extra ``vidseek[ocr]`` installs them (the
``rapidocr-onnxruntime`` package ships the ONNX files inside its wheel: nothing is fetched), run on ONNX
Runtime.

A picture is read detection first, on a reduced copy (``DETECT_SIDE``); recognition runs only on the
boxes detection found, cut from the picture as given (sharper), so a picture without text costs one
small detection. rapidocr is imported only here."""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from vidseek.errors import ModelError

MODEL_NAME = "PP-OCRv4"
"""The model's name, recorded in each shown line's source (``shown:PP-OCRv4``)."""
INSTALL = "pip install 'vidseek[ocr]'"
DETECT_SIDE = 640
"""Longest side (pixels) of the picture detection looks for text in: a 720p frame is searched at 640x352
(a fifth of its pixels); the boxes found are recognised in the picture as given (``read``)."""
REC_BATCH = 1
"""Lines recognised per model call. rapidocr's default (6) pads a batch's lines to the widest one's shape;
one at a time recognised the four lines of a slide in 0.25 s against 0.37 s batched (one thread, median
of 8 alternating rounds, ``benchmarks/ocr.py`` slides), with the same texts."""
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
    """One thread: the model reads beside the picture model's own threads (in the decode thread while
    indexing), and threads of two runtimes waiting on each other cost more than they give."""
    return 1


def _det_and_rec(threads: int) -> Any:
    """rapidocr's pipeline with its detection and recognition sessions only (its direction classifier is
    never used here), made once each with threads that sleep when idle: ONNX Runtime's default
    spin-waiting threads would fight the picture model's for the same cores."""
    import onnxruntime as ort
    from rapidocr_onnxruntime import RapidOCR
    from rapidocr_onnxruntime.utils import infer_engine

    def options(config: dict) -> ort.SessionOptions:
        made = ort.SessionOptions()
        made.log_severity_level = 4
        made.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        made.intra_op_num_threads = threads
        made.inter_op_num_threads = 1
        made.add_session_config_entry("session.intra_op.allow_spinning", "0")
        made.add_session_config_entry("session.inter_op.allow_spinning", "0")
        return made

    class _NoClassifier:
        def __init__(self, config: dict) -> None:
            pass

    module = importlib.import_module("rapidocr_onnxruntime.main")
    kept = infer_engine.OrtInferSession._init_sess_opts, module.TextClassifier
    infer_engine.OrtInferSession._init_sess_opts = staticmethod(options)
    module.TextClassifier = _NoClassifier
    try:
        return RapidOCR()
    finally:
        infer_engine.OrtInferSession._init_sess_opts, module.TextClassifier = kept


def keep_detection_size(detector: Any, side: int) -> None:
    """Detection runs on the copy ``read`` made, at most ``side`` pixels long (rounded to 32 by the model's
    own resize). rapidocr's default (``limit_type: min``, 736) would first blow any picture whose short side
    is under 736 px up to it: the 640x360 copy of a 720p frame became 1312x736, four times the pixels and
    four times the cost, for no more text found (``benchmarks/ocr.py``)."""
    detector.limit_type = "max"
    detector.limit_side_len = side


class OcrEngine:
    """PP-OCRv4 on ONNX Runtime: ``read(picture)`` gives the text boxes of an (H, W, 3) uint8 RGB picture."""

    name = MODEL_NAME

    def __init__(self, *, threads: int = 0, detect_side: int = DETECT_SIDE) -> None:
        require_ocr()
        self.detect_side = detect_side
        try:
            self._ocr = _det_and_rec(threads or default_threads())
        except Exception as exc:  # noqa: BLE001 - a broken install or model file: one sentence
            raise ModelError(f"Cannot load the OCR model {MODEL_NAME}: {type(exc).__name__}: {exc}") from None
        keep_detection_size(self._ocr.text_det, detect_side)
        self._ocr.text_rec.rec_batch_num = REC_BATCH

    def read(self, picture: np.ndarray) -> list[TextBox]:
        """The text in ``picture`` (RGB), top to bottom and left to right; [] when detection finds none."""
        import cv2

        h, w = picture.shape[:2]
        if h < 8 or w < 8:
            return []
        bgr = np.ascontiguousarray(picture[..., ::-1])  # the models want BGR
        scale = min(1.0, self.detect_side / max(h, w))
        small = (
            cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else bgr
        )
        boxes, _ = self._ocr.text_det(small)
        if boxes is None or len(boxes) == 0:
            return []
        boxes = [np.asarray(b, np.float32) / scale for b in self._ocr.sorted_boxes(boxes)]
        crops = self._ocr.get_crop_img_list(bgr, boxes)
        found, _ = self._ocr.text_rec(crops)
        out = []
        for points, (text, score, *_) in zip(boxes, found):
            text = " ".join(str(text).split())
            if text and float(score) >= MIN_SCORE:
                box = (points[:, 0].min() / w, points[:, 1].min() / h, points[:, 0].max() / w, points[:, 1].max() / h)
                out.append(TextBox(text, float(score), tuple(float(v) for v in box)))
        return out


_SHARED: dict[int, OcrEngine] = {}
_SHARED_LOCK = threading.Lock()


def shared_engine(threads: int = 0) -> OcrEngine:
    """This process's OCR model for ``threads`` (loaded once, then kept: an indexer per job, a worker's
    read-text jobs and a Ray worker's decode tasks all use the same one)."""
    with _SHARED_LOCK:
        engine = _SHARED.get(threads)
        if engine is None:
            engine = _SHARED[threads] = OcrEngine(threads=threads)
        return engine


class LoadingEngine:
    """This process's OCR model (``shared_engine``), loaded in a thread of its own from the moment it is
    made, so the import of ONNX Runtime and OpenCV and the sessions' making overlap the start of decoding
    and embedding. ``read`` waits for the load; a load that failed raises its ModelError on every read
    (each video read says why; indexing goes on without shown text)."""

    name = MODEL_NAME

    def __init__(self, threads: int = 0) -> None:
        self._engine: OcrEngine | None = None
        self._error: ModelError | None = None
        self._loaded = threading.Thread(target=self._load, args=(threads,), name="vidseek-ocr-load", daemon=True)
        self._loaded.start()

    def _load(self, threads: int) -> None:
        try:
            self._engine = shared_engine(threads)
        except ModelError as exc:
            self._error = exc
        except Exception as exc:  # noqa: BLE001 - anything else: the same one sentence
            self._error = ModelError(f"Cannot load the OCR model {MODEL_NAME}: {type(exc).__name__}: {exc}")

    def engine(self) -> OcrEngine:
        """The loaded model (waits for it); ModelError when it could not be loaded."""
        self._loaded.join()
        if self._engine is None:
            raise self._error or ModelError(f"Cannot load the OCR model {MODEL_NAME}.")
        return self._engine

    def read(self, picture: np.ndarray) -> list[TextBox]:
        return self.engine().read(picture)
