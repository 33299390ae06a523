"""Decode and encode overlapping: a thread decodes files in turn into a bounded queue while the
caller batches frames from any number of files into model calls. A frame that barely differs from the
last embedded frame of its video (``indexer.frame_signature``) is not embedded: it gets that frame's
vector."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from indexer.cut_detection import CutDetector
from indexer.decode import Decoder
from indexer.decoded import DecodedVideo, decode_failure
from indexer.frame_signature import FrameSkipper
from indexer.shown.text_reading import ShownText, VideoTextReader

_DONE = object()
_DECODED = object()
"""Every frame is decoded: what waits in a batch can be embedded now (text may still be being read)."""
READ_QUEUE = 16
"""Decoded frames waiting for the reading thread (their pictures are kept): the decoder waits beyond."""
BATCH_WAIT_S = 2.0
"""While text is read, decoding goes at the reading thread's pace, and a batch may take long to fill (a
slide video embeds one frame a slide): once its first frame has waited this long, the batch is embedded
not full as soon as nothing more waits from the decoder, so the picture model works beside the OCR model
instead of after it."""


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
    to_read: "queue.Queue | None",
) -> None:
    """Decode every job into ``out``; with ``to_read`` (text is read), each frame also goes there and a
    video's end or failure goes there instead of ``out`` (the reading thread passes it on)."""
    ends = out if to_read is None else to_read
    for key, path in jobs:
        if stop.is_set():
            break
        try:
            skipper = FrameSkipper(skip_similar, fps)
            cuts = CutDetector() if shots and not keyframes_only else None
            for frame in decoder.frames(path, fps=fps, size=size, keyframes_only=keyframes_only, shots=cuts):
                if skipper.embeds(frame.t, frame.image):
                    out.put(("frame", key, frame.t, frame.image))
                else:
                    out.put(("same", key, frame.t, None))
                if to_read is not None:
                    _put(to_read, ("see", key, frame.t, (frame.image, frame.picture)), stop)
                on_frame(key, frame.t)
                if stop.is_set():
                    break
            found = None if cuts is None else cuts.cuts()
            _put(ends, ("end", key, found if to_read is not None else (found, None), None), stop)
        except Exception as exc:  # noqa: BLE001 - a file that crashes the decoder fails alone
            _put(ends, ("error", key, decode_failure(exc), None), stop)
    out.put((_DECODED, None, None, None))
    _put(ends, (_DONE, None, None, None), stop)


def _put(into: "queue.Queue", item: tuple, stop: threading.Event) -> None:
    """``into.put(item)``, giving up once ``stop`` is set (the consumer may be gone)."""
    while not stop.is_set():
        try:
            into.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _read_all(
    to_read: "queue.Queue",
    out: "queue.Queue",
    stop: threading.Event,
    read_text: Callable[[], VideoTextReader],
) -> None:
    """The reading thread: the text shown in each decoded frame, beside decoding and embedding (the OCR
    model's time no longer holds up the decoder, hence the picture model). A video's end is passed on
    to ``out`` with what its reading found, once every frame of it is read."""
    readers: dict[int, VideoTextReader | ShownText] = {}
    while not stop.is_set():
        try:
            kind, key, value, extra = to_read.get(timeout=0.1)
        except queue.Empty:
            continue
        if kind is _DONE:
            out.put((_DONE, None, None, None))
            return
        if kind == "error":
            readers.pop(key, None)
            out.put((kind, key, value, None))
            continue
        reader = readers.get(key)
        try:
            if reader is None:
                reader = readers[key] = read_text()
            if isinstance(reader, VideoTextReader):
                if kind == "see":
                    reader.see(value, *extra)
                else:
                    reader = reader.finish()
        except Exception as exc:  # noqa: BLE001 - this video is indexed without shown lines, saying why
            reader = readers[key] = ShownText(error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
        if kind == "end":
            readers.pop(key, None)
            out.put(("end", key, (value, reader), None))


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
    video): a thread of its own reads the text shown in the frames (``indexer.shown``) while they are
    decoded and embedded, and each video's ``DecodedVideo.shown`` says what it found."""
    q: queue.Queue = queue.Queue(maxsize=max(8, 2 * batch_size))
    stop = threading.Event()
    to_read: queue.Queue | None = None if read_text is None else queue.Queue(maxsize=READ_QUEUE)
    workers = [
        threading.Thread(
            target=_decode_all,
            args=(decoder, jobs, fps, size, q, stop, on_frame, keyframes_only, skip_similar, shots, to_read),
            name="vidseek-decode",
            daemon=True,
        )
    ]
    if to_read is not None:
        workers.append(
            threading.Thread(
                target=_read_all, args=(to_read, q, stop, read_text), name="vidseek-read-text", daemon=True
            )
        )
    for worker in workers:
        worker.start()
    videos: dict[int, DecodedVideo] = {}
    batch_keys: list[int] = []
    batch_times: list[list[float]] = []
    """Per image to embed: its time, then those of the frames after it that reuse its vector."""
    batch_images: list[np.ndarray] = []
    in_batch: dict[int, int] = {}
    """Video key -> the batch position of its last embedded frame, while that frame waits in the batch."""
    finished: list[int] = []
    batch_due = [0.0]
    """While text is read: when the batch waiting is embedded even if not full (``BATCH_WAIT_S``)."""

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
            wait = None if to_read is None or not batch_images else max(0.0, batch_due[0] - time.monotonic())
            try:
                kind, key, value, image = q.get(timeout=wait)
            except queue.Empty:  # decoding is held up by the reading thread: embed what waits meanwhile
                flush()
                yield from (videos.pop(k) for k in finished)
                finished.clear()
                continue
            if kind is _DONE:
                break
            if kind is _DECODED:
                flush()
                continue
            video = videos.setdefault(key, DecodedVideo(key))
            if kind == "frame":
                if not batch_images:
                    batch_due[0] = time.monotonic() + BATCH_WAIT_S
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
        for worker in workers:
            while worker.is_alive():  # unblock a producer waiting on a full queue
                try:
                    q.get_nowait()
                except queue.Empty:
                    worker.join(0.05)
