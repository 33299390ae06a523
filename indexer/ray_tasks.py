"""The Ray side of a distributed index run: connecting to a cluster, the embedding actors, and the
decode tasks (a unit of one video or one chunk of it)."""

from __future__ import annotations

import gc
import logging
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from indexer.chunked import Unchunkable, frames_in_chunk
from indexer.cut_detection import CutDetector
from indexer.decode import get_decoder
from indexer.decoded import decode_failure
from indexer.frame_signature import FrameSkipper, span_start
from indexer.sample import TIME_EPS
from vidseek.errors import VidseekError
from vidseek.models.encoders import input_size_of

INSTALL_HINT = "pip install 'vidseek[ray]'"

LOCAL = "local"


class RayUnavailable(VidseekError):
    """Ray is not installed, or the cluster cannot be reached."""


def _ray():  # noqa: ANN202
    try:
        import ray
    except ImportError:
        raise RayUnavailable(f"indexing on Ray needs the ray package, which is not installed: {INSTALL_HINT}") from None
    return ray


def connect(address: str | None) -> bool:
    """Attach this process to Ray; True when this call did it (so ``ray.shutdown()`` is ours to call).

    ``None``/``'local'``: Ray on this machine (the one ``ray start`` runs here, else a new one);
    ``'auto'``: the running cluster; anything else: that cluster's address. Already attached: kept.
    """
    ray = _ray()
    if ray.is_initialized():
        return False
    env = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    kwargs: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    if env:
        kwargs["runtime_env"] = {"env_vars": env}  # custom `python:` encoders import on the workers too
    gc.collect()  # Ray forks its starters with a preexec_fn: nothing left for a collection to free there
    try:
        if address in (None, "", LOCAL):
            ray.init(include_dashboard=False, **kwargs)
        else:
            ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = "on this machine" if address in (None, "", LOCAL) else f"at {address}"
        raise RayUnavailable(f"cannot start or reach Ray {where}: {str(exc).strip().splitlines()[0]}") from None
    return True


class EmbedActor:
    """Holds the model; turns batches of frames into vectors. One per GPU, or one on a CPU cluster."""

    def __init__(
        self, spec: str, device: str, threads: int, precision: str, backend: str = "torch", cache: str | None = None
    ) -> None:
        from vidseek.models.encoders import load_encoder

        self.error: str | None = None
        try:
            self.encoder = load_encoder(
                spec,
                device=device,
                threads=threads,
                precision=precision,
                backend=backend,
                cache_dir=Path(cache) if cache else None,
            )
        except VidseekError as exc:  # told by describe(), so the driver says it in one line
            self.error = str(exc)

    def describe(self) -> tuple[str, int, tuple[int, int] | None] | str:
        """(name, dim, input size), or why the model did not load."""
        if self.error is not None:
            return self.error
        return self.encoder.name, int(self.encoder.dim), input_size_of(self.encoder)

    def embed(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self.encoder.encode_frames(images), np.float32)


@dataclass(frozen=True)
class Unit:
    """One decode task's work: a whole video (``end_step`` None and ``start_step`` 0, ``chunked``
    False: the local decoder) or one chunk of it."""

    key: int
    """The video's index in the driver's job list."""
    part: int
    path: str
    start_step: int = 0
    end_step: int | None = None
    chunked: bool = False
    attempt: int = 0
    """Bumped when the video is decoded again whole after a chunk failed; older results are dropped."""


def text_reader(read_text: dict | None, fps: float) -> Any:
    """A ``VideoTextReader`` for one unit when the driver asked for shown text (``read_text``: the
    reader's settings), else None; a ``ShownText`` with the error when the model cannot load here."""
    if read_text is None:
        return None
    from indexer.shown.text_reading import ShownText, VideoTextReader
    from vidseek.shown.ocr_engine import shared_engine

    try:
        engine = shared_engine(read_text.get("threads", 0))  # loaded once per Ray worker process
    except VidseekError as exc:
        return ShownText(error=str(exc))
    return VideoTextReader(
        engine,
        fps,
        picture_side=read_text.get("side", 1280),
        max_chars=read_text.get("max_chars", 1000),
        every=read_text.get("every", 2.0),
    )


def decode_unit(
    unit: Unit,
    actor: Any,
    *,
    decoder: str,
    fps: float,
    size: tuple[int, int],
    batch_size: int,
    keyframes_only: bool,
    skip_similar: float = 0.0,
    depth: int = 2,
    shots: bool = False,
    read_text: dict | None = None,
) -> Iterator[tuple]:
    """Decode one unit, send its frames to ``actor`` in batches (``depth`` in flight), and yield
    ``("batch", seq, times, vectors)`` for each, then ``("end", n_batches, error, cuts, shown)``: ``cuts`` the
    unit's own cuts between shots (``indexer.cut_detection``; None without ``shots``), a chunk's from its
    first step to its end (it sees the frames from the keyframe before it, so a cut at its start is found);
    ``shown`` what reading the text in its own frames found (``read_text``: the reader's settings), else None.

    Frames within ``skip_similar`` of the last embedded one reuse its vector, as in a local run
    (``indexer.frame_signature``); so that a chunk decides as the whole file does, it decodes from the
    first step of its span and keeps only its own frames.

    Decoding errors end the unit with their reason (as the local pipeline reports them); an error
    from the model is raised (the run stops, as a local run does)."""
    import ray

    path = Path(unit.path)
    owned_from = unit.start_step / fps
    cuts = None
    if shots and not keyframes_only:
        cuts = CutDetector(starts_video=unit.start_step == 0, ends_video=unit.end_step is None)
    if unit.chunked:
        first = span_start(unit.start_step, fps) if skip_similar else unit.start_step
        frames = frames_in_chunk(
            path,
            fps=fps,
            size=size,
            start_step=first,
            end_step=unit.end_step,
            keyframes_only=keyframes_only,
            shots=cuts,
        )
    else:
        frames = get_decoder(decoder).frames(path, fps=fps, size=size, keyframes_only=keyframes_only, shots=cuts)
    skipper = FrameSkipper(skip_similar, fps)
    in_flight: deque = deque()
    times: list[float] = []
    owners: list[int] = []
    """Per time in ``times``: the index in ``images`` of the frame whose vector it gets."""
    images: list[np.ndarray] = []
    before: np.ndarray | None = None
    """The last embedded frame before the unit's own, until the unit's first frame (which may reuse it)."""
    sent = 0
    error: str | None = None
    reader = text_reader(read_text, fps)

    def send() -> None:
        nonlocal sent
        ref = actor.embed.remote(np.stack(images))
        in_flight.append((sent, np.asarray(times, np.float64), np.asarray(owners, np.int64), ref))
        sent += 1
        times.clear()
        owners.clear()
        images.clear()

    def results(keep: int) -> Iterator[tuple]:
        while len(in_flight) > keep:
            seq, ts, own, ref = in_flight.popleft()
            yield ("batch", seq, ts, ray.get(ref)[own])

    iterator = iter(frames)
    while True:
        try:
            frame = next(iterator)
        except StopIteration:
            break
        except Unchunkable as exc:
            error = f"unchunkable: {exc}"
            break
        except Exception as exc:  # noqa: BLE001 - a file that crashes the decoder fails alone, as locally
            error = decode_failure(exc)
            break
        embeds = skipper.embeds(frame.t, frame.image)
        if frame.t + TIME_EPS < owned_from:  # the span's frames before the chunk: they only warm the skipper
            before = frame.image if embeds else before
            continue
        if reader is not None and hasattr(reader, "see"):
            reader.see(frame.t, frame.image, frame.picture)
        if embeds or before is not None:
            if len(images) >= batch_size:  # a full batch goes once every frame that reuses its vectors is in
                send()
                yield from results(depth - 1)
            images.append(frame.image if embeds else before)
            before = None
        times.append(frame.t)
        owners.append(len(images) - 1)
    if error is not None:
        yield ("end", sent, error, None)
        return
    if images:
        send()
    yield from results(0)
    own = None if cuts is None else [c for c in cuts.cuts() if c.t + TIME_EPS >= owned_from]
    yield ("end", sent, None, own, reader.finish() if hasattr(reader, "finish") else reader)
