"""Decode and encode overlapping: a thread decodes files in turn into a bounded queue while the
caller batches frames from any number of files into model calls."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from indexer.decode import Decoder
from indexer.decoded import DecodedVideo, decode_failure

_DONE = object()


def _decode_all(
    decoder: Decoder,
    jobs: list[tuple[int, Path]],
    fps: float,
    size: tuple[int, int],
    out: "queue.Queue",
    stop: threading.Event,
    on_frame: Callable[[int, float], None],
    keyframes_only: bool,
) -> None:
    for key, path in jobs:
        if stop.is_set():
            break
        try:
            for frame in decoder.frames(path, fps=fps, size=size, keyframes_only=keyframes_only):
                out.put(("frame", key, frame.t, frame.image))
                on_frame(key, frame.t)
                if stop.is_set():
                    break
            out.put(("end", key, None, None))
        except Exception as exc:  # noqa: BLE001 - a file that crashes the decoder fails alone
            out.put(("error", key, decode_failure(exc), None))
    out.put((_DONE, None, None, None))


def embed_videos(
    decoder: Decoder,
    jobs: list[tuple[int, Path]],
    *,
    fps: float,
    size: tuple[int, int],
    encode: Callable[[np.ndarray], np.ndarray],
    batch_size: int,
    on_frame: Callable[[int, float], None] = lambda k, t: None,
    keyframes_only: bool = False,
) -> Iterator[DecodedVideo]:
    """Yield each job's frames and vectors as soon as all of them are embedded (or it failed)."""
    q: queue.Queue = queue.Queue(maxsize=max(8, 2 * batch_size))
    stop = threading.Event()
    worker = threading.Thread(
        target=_decode_all,
        args=(decoder, jobs, fps, size, q, stop, on_frame, keyframes_only),
        name="vidseek-decode",
        daemon=True,
    )
    worker.start()
    videos: dict[int, DecodedVideo] = {}
    batch_keys: list[int] = []
    batch_times: list[float] = []
    batch_images: list[np.ndarray] = []
    finished: list[int] = []

    def flush() -> None:
        if not batch_images:
            return
        vectors = encode(np.stack(batch_images))
        for key, t, vec in zip(batch_keys, batch_times, vectors):
            video = videos[key]
            if video.error is None:
                video.times.append(t)
                video.vectors.append(vec)
        batch_keys.clear()
        batch_times.clear()
        batch_images.clear()

    try:
        while True:
            kind, key, value, image = q.get()
            if kind is _DONE:
                break
            video = videos.setdefault(key, DecodedVideo(key))
            if kind == "frame":
                batch_keys.append(key)
                batch_times.append(value)
                batch_images.append(image)
                if len(batch_images) >= batch_size:
                    flush()
                    yield from (videos.pop(k) for k in finished)
                    finished.clear()
            elif kind == "error":
                video.error = value
                video.times.clear()
                video.vectors.clear()
                finished.append(key)
            else:
                finished.append(key)
        flush()
        yield from (videos.pop(k) for k in finished)
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(0.05)
