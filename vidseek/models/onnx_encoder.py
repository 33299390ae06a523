"""An encoder that runs an exported open_clip model (``vidseek.models.onnx_export``) on ONNX Runtime.

Each tower is opened on first use: a search process that only encodes queries never loads the
image tower, and never imports torch or open_clip (a process starts in a fraction of the time and
memory): a CLIP BPE tokenizer is read by ``vidseek.models.clip_bpe``, a Hugging Face one (the multilingual
preset's) by the ``tokenizers`` library from its ``tokenizer.json`` (``vidseek.models.hf_tokens``). Vectors
match the torch path within the probe's cosine (``export.json``; tests check both towers against
torch fp32).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.errors import ModelError
from vidseek.vectors.pool import l2_normalize

ONNX_PRECISIONS = ("fp32", "int8")


def cpu_session(path: Path, threads: int, *, spin: bool = True) -> Any:
    """An ONNX Runtime session of one exported graph on the CPU (``threads`` 0 = all cores). ``spin``
    False: its worker threads sleep between calls instead of spinning (``TEXT_SPIN``)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


TEXT_THREADS: int | None = None
"""Threads of the text tower's session (None: the encoder's ``threads``). ``vidseek serve`` sets 1: a
query is a few milliseconds of small products, encoded while another request's search holds the other
core (``SearchEngine.encode_gate``); measured between searches at 5,000 clips, one thread and two took
the same 7.6 ms a query (BENCHMARKS.md)."""
TEXT_SPIN = False
"""Whether the text tower's threads spin-wait for work. A query is one short call between long stretches of
other work (grounding, SQL, other requests), so spinning after it only burns the cores those need:
measured on two busy cores, one ViT-B-32 query took 26-42 ms of CPU spinning, 14-16 ms not, and 8
concurrent callers got 1.7x more queries through (BENCHMARKS.md). Frames keep spinning: batches back to back."""


def run_image(session: Any, frames: np.ndarray) -> np.ndarray:
    return l2_normalize(session.run(None, {"frames": np.ascontiguousarray(frames, dtype=np.uint8)})[0])


class OnnxClipEncoder:
    """The towers of one export folder at one image precision (``fp32`` or ``int8``)."""

    backend = "onnx"
    device = "cpu"

    def __init__(
        self, folder: Path, meta: dict[str, Any], *, precision: str, threads: int = 0, text_setting: str = "fp32"
    ) -> None:
        """``text_setting``: ``VIDSEEK_PRECISION`` for the text tower (``auto``/``int8`` may run it in int8,
        ``vidseek.models.text_int8``; anything else runs fp32)."""
        if precision not in ONNX_PRECISIONS:
            raise ModelError(
                f"VIDSEEK_PRECISION={precision} is not available with VIDSEEK_BACKEND=onnx; "
                f"use one of {', '.join(ONNX_PRECISIONS)} or auto."
            )
        self.folder = folder
        self.name = str(meta["name"])
        self.dim = int(meta["dim"])
        self.input_size = (int(meta["input_size"][0]), int(meta["input_size"][1]))
        self.precision = precision
        self._meta = meta
        self._threads = threads
        self.text_setting = text_setting
        self.text_precision = "fp32"
        """What the text tower runs in, once opened."""
        self._image: Any = None
        self._text: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._text_lock = threading.Lock()
        """The text tower's own: opening it in the background never holds up the image tower's opening."""

    # -- towers, opened on first use

    def _cpu_session(self) -> Any:
        with self._lock:
            if self._image is None:
                self._image = cpu_session(self.folder / f"image.{self.precision}.onnx", self._threads)
            return self._image

    def _text_parts(self) -> tuple[Any, Any]:
        with self._text_lock:
            if self._text is None:
                self._tokenizer = _tokenizer(self.folder, self._meta)
                self._text = self._open_text()
            return self._text, self._tokenizer

    def _open_text(self) -> Any:
        from vidseek.models import text_int8

        threads = self._threads if TEXT_THREADS is None else TEXT_THREADS

        def open_session(path: Path) -> Any:
            return cpu_session(path, threads, spin=TEXT_SPIN)

        probe = None
        if self.text_setting in ("auto", "int8"):
            tokens = self._tokens(list(text_int8.PROBE_PHRASES))
            probe = text_int8.int8_probe(self.folder, tokens, open_session, _run_text)
        self.text_precision = text_int8.text_precision(self.text_setting, probe)
        return open_session(self.folder / (text_int8.GRAPH if self.text_precision == "int8" else "text.fp32.onnx"))

    def _tokens(self, texts: list[str]) -> np.ndarray:
        tokens = np.asarray(self._tokenizer(texts), dtype=np.int64)
        if self._meta.get("cuts_padding"):
            tokens = tokens[:, : max(1, int((tokens != 0).sum(axis=1).max()))]
        return tokens

    @property
    def towers_open(self) -> tuple[bool, bool]:
        """(image, text): which towers this process has loaded so far."""
        return self._image is not None, self._text is not None

    # -- the Encoder interface

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        if len(frames) == 0:
            return np.zeros((0, self.dim), np.float32)
        frames = np.asarray(frames)
        if frames.shape[1:3] != self.input_size:
            frames = _resized(frames, self.input_size)
        return run_image(self._cpu_session(), frames)

    def open_text_tower(self) -> None:
        """Open the text tower now (tokenizer and session), not on the first ``encode_text``."""
        self._text_parts()

    def encode_text(self, texts: list[str]) -> np.ndarray:
        session, _ = self._text_parts()
        return _run_text(session, self._tokens(texts))


def _run_text(session: Any, tokens: np.ndarray) -> np.ndarray:
    return l2_normalize(session.run(None, {"tokens": tokens})[0])


def _tokenizer(folder: Path, meta: dict[str, Any]) -> Any:
    """The export's tokenizer: CLIP BPE from the copied merges file, a Hugging Face fast tokenizer from its
    copied ``tokenizer.json`` (both without torch), else open_clip's (needs torch)."""
    spec = meta["tokenizer"]
    if spec["kind"] == "hf_tokenizers":
        from vidseek.models.hf_tokens import HfTokens

        return HfTokens(folder, spec)
    if spec["kind"] == "clip_bpe":
        from vidseek.models.clip_bpe import ClipBpeTokenizer

        return ClipBpeTokenizer(
            folder / "bpe_simple_vocab_16e6.txt.gz", context_length=spec["context_length"], clean=spec["clean"]
        )
    import open_clip

    from vidseek.models.model_spec import open_clip_source

    model_name = open_clip_source(meta["spec"]).model_name
    tokenizer = open_clip.get_tokenizer(model_name)
    return lambda texts: tokenizer(texts).numpy()


def _resized(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Frames scaled to (height, width) bilinearly, for callers that did not let the decoder do it."""
    from PIL import Image

    h, w = size
    return np.stack([np.asarray(Image.fromarray(f).resize((w, h), Image.BILINEAR)) for f in frames])
