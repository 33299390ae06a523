"""What a process killed (SIGKILL) while writing leaves behind is removed by the next process, and only that:
the temporary file of an index save (the next process to open the index removes it, holding the index's
lock, under which every save writes), and the staging folder of an ONNX export (the next process to load
the model removes it, holding the export's lock, under which every export writes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from vidseek.config import Settings
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.vectors.vector_index import ClipIndex

DIM = 8

_KILLED_MID_SAVE = r"""
import os, sys, time
import numpy as np
from vidseek.config import Settings
from vidseek.storage.library import Library
from vidseek.vectors.vector_index import ClipIndex

def stop_before_rename(src, dst):  # the temp file is written and synced: hang until killed
    print("saving", flush=True)
    time.sleep(600)

settings = Settings(data_dir=sys.argv[1], index_type="hnsw", model="test:vectors")
library = Library(settings, notify=lambda message: None)
library.index()
os.replace = stop_before_rename
library.rebuild_index()
"""


def _library(data: Path) -> tuple[Settings, Library]:
    settings = Settings(data_dir=data, index_type="hnsw", model="test:vectors")
    library = Library(settings, notify=lambda message: None)
    with library.sessions() as session:
        store.claim_model("test:vectors", DIM, session=session)
        session.commit()
    vectors = np.random.default_rng(1).standard_normal((20, DIM)).astype(np.float32)
    record = store.VideoRecord(
        path="/videos/a.mp4", title="a", size=1, mtime_ns=1, fingerprint="a", duration=20.0, fps=25.0,
        width=64, height=48, codec="h264", model_name="test:vectors", sample_fps=1.0, clip_seconds=1.0,
        clip_stride=1.0,
    )  # fmt: skip
    windows = [(i, i, float(i), float(i + 1)) for i in range(20)]
    library.write_video(record, np.arange(20, dtype=np.float64), vectors, windows, vectors)
    library.save_index(force=True)
    return settings, library


def _killed_while(script: str, *args: str) -> None:
    """Run ``script`` in a child until it prints its first line, then SIGKILL it."""
    child = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() != ""
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL


def test_a_killed_index_save_leaves_a_temp_file_the_next_process_removes(tmp_path: Path) -> None:
    settings, _ = _library(tmp_path / "data")
    saved = settings.faiss_path.read_bytes()
    _killed_while(_KILLED_MID_SAVE, str(settings.data_dir))
    (first,) = settings.faiss_path.parent.glob(".clips.faiss.*.tmp")
    assert first.stat().st_size > 0
    _killed_while(_KILLED_MID_SAVE, str(settings.data_dir))  # killed again: they do not pile up
    (second,) = settings.faiss_path.parent.glob(".clips.faiss.*.tmp")
    assert second != first  # the second process removed the first one's on opening the index
    other = settings.faiss_path.parent / ".other.faiss.x1.tmp"  # another index's: not this one's to remove
    other.write_bytes(b"x")

    reopened = Library(settings, notify=lambda message: None).index()
    assert reopened.count == 20
    assert list(settings.faiss_path.parent.glob(".clips.faiss.*.tmp")) == []
    assert other.exists()
    assert settings.faiss_path.read_bytes() == saved  # the kept file was never touched
    assert ClipIndex.load(settings.faiss_path).count == 20
