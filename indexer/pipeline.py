"""Decode and encode overlapping: a thread decodes files in turn into a bounded queue while the
caller batches frames from any number of files into model calls. A frame that barely differs from the
last embedded frame of its video (``indexer.frame_signature``) is not embedded: it gets that frame's
vector."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from indexer.cut_detection import CutDetector
from indexer.decode import Decoder
from indexer.decoded import DecodedVideo, decode_failure
from indexer.frame_signature import FrameSkipper
from indexer.shown.text_reading import VideoTextReader

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
    skip_similar: float,
    shots: bool,
    read_text: Callable[[], VideoTextReader] | None,
) -> None:
    for key, path in jobs:
        if stop.is_set():
            break
        try:
            skipper = FrameSkipper(skip_similar, fps)
            cuts = CutDetector() if shots and not keyframes_only else None
            reader = read_text() if read_text is not None else None
            for frame in decoder.frames(path, fps=fps, size=size, keyframes_only=keyframes_only, shots=cuts):
                if skipper.embeds(frame.t, frame.image):
                    out.put(("frame", key, frame.t, frame.image))
                else:
                    out.put(("same", key, frame.t, None))
                if reader is not None:
                    reader.see(frame.t, frame.image, frame.picture)
                on_frame(key, frame.t)
                if stop.is_set():
                    break
            found = (None if cuts is None else cuts.cuts(), reader.finish() if reader is not None else None)
            out.put(("end", key, found, None))
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
    skip_similar: float = 0.0,
    shots: bool = False,
    read_text: Callable[[], VideoTextReader] | None = None,
) -> Iterator[DecodedVideo]:
    """Yield each job's frames and vectors as soon as all of them are embedded (or it failed).

    ``skip_similar`` (grey levels, 0 = off): frames within it of their video's last embedded frame reuse
    that frame's vector (``indexer.frame_signature.FrameSkipper``). ``shots``: each video's cuts are found from
    the frames decoded (``indexer.cut_detection``; not with ``keyframes_only``). ``read_text`` (a reader per
    video): the decode thread also reads the text shown in the frames (``indexer.shown``), and each video's
    ``DecodedVideo.shown`` says what it found."""
    q: queue.Queue = queue.Queue(maxsize=max(8, 2 * batch_size))
    stop = threading.Event()
    worker = threading.Thread(
        target=_decode_all,
        args=(decoder, jobs, fps, size, q, stop, on_frame, keyframes_only, skip_similar, shots, read_text),
        name="vidseek-decode",
        daemon=True,
    )
    worker.start()
    videos: dict[int, DecodedVideo] = {}
    batch_keys: list[int] = []
    batch_times: list[list[float]] = []
    """Per image to embed: its time, then those of the frames after it that reuse its vector."""
    batch_images: list[np.ndarray] = []
    in_batch: dict[int, int] = {}
    """Video key -> the batch position of its last embedded frame, while that frame waits in the batch."""
    finished: list[int] = []

    def flush() -> None:
        if not batch_images:
            return
        vectors = encode(np.stack(batch_images))
        for key, times, vec in zip(batch_keys, batch_times, vectors):
            video = videos[key]
            if video.error is None:
                video.times.extend(times)
                video.vectors.extend([vec] * len(times))
        batch_keys.clear()
        batch_times.clear()
        batch_images.clear()
        in_batch.clear()

    try:
        while True:
            kind, key, value, image = q.get()
            if kind is _DONE:
                break
            video = videos.setdefault(key, DecodedVideo(key))
            if kind == "frame":
                in_batch[key] = len(batch_images)
                batch_keys.append(key)
                batch_times.append([value])
                batch_images.append(image)
                if len(batch_images) >= batch_size:
                    flush()
                    yield from (videos.pop(k) for k in finished)
                    finished.clear()
            elif kind == "same":  # the vector of the video's last embedded frame: still waiting, or stored
                if key in in_batch:
                    batch_times[in_batch[key]].append(value)
                elif video.error is None:
                    video.times.append(value)
                    video.vectors.append(video.vectors[-1])
            elif kind == "error":
                video.error = value
                video.times.clear()
                video.vectors.clear()
                finished.append(key)
            else:
                video.cuts, video.shown = value
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
