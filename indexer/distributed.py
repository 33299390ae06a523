"""Indexing on a Ray cluster (``vidseek index --ray [ADDRESS]``): decode on CPU tasks, embed on actors
that hold the model, and store on the driver only.

::

    driver (Indexer given a RayEmbedding: find, skip unchanged, fingerprint, probe)
      │  units: a whole video, or a time chunk of a long one (``indexer.chunked``)
      ▼
    decode task (1 CPU, streaming generator) ── batches of frames ──► embed actor (model; 1 GPU when
      │                                                                 the cluster has GPUs)
      │  yields ("batch", seq, times, vectors) per batch, then ("end", batches, error, cuts, shown)
      ▼
    driver: a video whose units all ended ──► the Indexer (checks, pool, Library.write_video)

Only the driver opens the database and the FAISS index. It keeps each unit's batches by their
sequence number and each video's state, so a unit that runs twice (a Ray retry after a worker died,
or a duplicate) fills the same slots again and a video is handed to the store once, in one
transaction keyed by its path (``store.replace_video``), exactly as a local run stores it.

A chunk that cannot be decoded on its own, or that fails, makes the driver decode that video again
as one unit with the local decoder, so a bad file fails with the very reason a local run gives.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from indexer.chunked import chunk_steps
from indexer.decode import DEFAULT_INPUT_SIZE
from indexer.decoded import DecodedVideo
from indexer.embedding import OnFrame, VideoToEmbed
from indexer.progress import Progress
from indexer.ray_tasks import EmbedActor, Unit, _ray, connect, decode_unit
from indexer.runner import Indexer, IndexReport
from indexer.shown.text_reading import joined
from vidseek.config import Settings
from vidseek.errors import ModelError
from vidseek.models.encoders import Encoder
from vidseek.storage.library import Library

log = logging.getLogger(__name__)


# -- on the cluster ------------------------------------------------------------------------------


# -- on the driver -------------------------------------------------------------------------------


@dataclass
class _Video:
    parts: int
    attempt: int = 0
    batches: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    ended: set[int] = field(default_factory=set)
    done: bool = False
    cuts: dict[int, list] = field(default_factory=dict)
    """Part -> its cuts between shots (``decode_unit``); a part without them (None) leaves the video without."""
    shown: dict[int, Any] = field(default_factory=dict)
    """Per part: what reading its text found (``ShownText``), when text is read."""


@dataclass
class RunStats:
    units: int = 0
    """Decode tasks started (a unit run twice counts twice)."""
    chunked_videos: int = 0
    whole_again: int = 0
    """Videos decoded again whole after a chunk could not be decoded alone or failed."""
    duplicates_dropped: int = 0
    """Results that arrived for a batch, unit or video already received (a retry or a duplicate)."""


class RayEmbedding:
    """The ``FrameEmbedding`` of a Ray cluster: decode tasks (whole videos, or time chunks of long
    ones) feeding embedding actors that hold the model.

    Use as a context manager, or call ``close()``: it stops the actors, and Ray if it started it.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        address: str | None = None,
        expected_model: str | None = None,
        actors: int | None = None,
        chunk_seconds: float | None = None,
    ) -> None:
        """``expected_model``: the name of the model this process would load; the actors must load
        the same one."""
        ray = _ray()
        address = address if address is not None else settings.ray_address
        self.settings = settings
        self._started = connect(address)
        self.chunk_seconds = settings.ray_chunk_seconds if chunk_seconds is None else chunk_seconds
        self.stats = RunStats()
        self._actors: list[Any] = []
        try:
            self._actors = self._make_actors(ray, settings, settings.ray_embed_actors if actors is None else actors)
            described = ray.get(self._actors[0].describe.remote())
            if isinstance(described, str):
                raise ModelError(f"the embedding actor on Ray cannot load the model: {described}")
            self.model_name, self.dim, input_size = described
            if expected_model is not None and expected_model != self.model_name:
                raise ModelError(
                    f"the Ray actors load model '{self.model_name}', this process '{expected_model}': "
                    "check that VIDSEEK_MODEL means the same on every node"
                )
        except Exception:
            self.close()
            raise
        self.size = input_size or DEFAULT_INPUT_SIZE
        self._read_text = (
            {
                "side": settings.ocr_side,
                "threads": settings.threads,
                "max_chars": settings.cue_max_chars,
                "every": settings.ocr_every,
            }
            if settings.ocr
            else None
        )
        """The shown-text reader's settings the decode tasks get (``VIDSEEK_OCR``), else None."""
        # max_retries: a decode task whose worker dies runs again (its results are deduplicated here)
        self._decode_task = ray.remote(decode_unit).options(
            num_cpus=1, max_retries=3, _generator_backpressure_num_objects=4
        )

    # -- setup -----------------------------------------------------------------------------------

    @staticmethod
    def _make_actors(ray, settings: Settings, count: int) -> list[Any]:  # noqa: ANN001
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        cpus = int(resources.get("CPU", 0))
        n = count or max(1, gpus)
        options: dict[str, Any] = {"max_restarts": 2, "max_task_retries": 2}
        if gpus:
            options["num_gpus"] = 1 if n <= gpus else gpus / n
        # an actor holds its CPU for its life: keep at least one for the decode tasks
        options["num_cpus"] = 1 if cpus - n >= 1 else 0
        cls = ray.remote(EmbedActor)
        return [
            cls.options(**options).remote(
                settings.model,
                settings.device,
                settings.threads,
                settings.precision,
                settings.backend,
                str(settings.model_cache_dir.resolve()),
            )
            for _ in range(n)
        ]

    def close(self) -> None:
        ray = _ray()
        for actor in self._actors:
            try:
                ray.kill(actor)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._actors = []
        if self._started and ray.is_initialized():
            ray.shutdown()
        self._started = False

    def __enter__(self) -> "RayEmbedding":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- how frames become vectors ----------------------------------------------------------------

    def _units(self, video: VideoToEmbed, fps: float, attempt: int = 0, whole: bool = False) -> list[Unit]:
        steps = [(0, None)]
        if not whole and self.settings.decoder == "pyav":
            steps = chunk_steps(video.duration, fps, self.chunk_seconds)
        chunked = len(steps) > 1
        return [Unit(video.key, i, str(video.path), s, e, chunked, attempt) for i, (s, e) in enumerate(steps)]

    def _launch(self, unit: Unit, *, fps: float, keyframes_only: bool) -> list[Any]:
        """Start one unit's decode task; the streams it answers on (a list, so a test can run it twice)."""
        task = self._decode_task
        actor = self._actors[(unit.key + unit.part) % len(self._actors)]
        self.stats.units += 1
        return [
            task.remote(
                unit,
                actor,
                decoder=self.settings.decoder,
                fps=fps,
                size=self.size,
                batch_size=self.settings.batch_size,
                keyframes_only=keyframes_only,
                skip_similar=self.settings.skip_similar,
                shots=self.settings.shots,
                read_text=self._read_text,
            )
        ]

    def embed(
        self,
        videos_to_embed: Sequence[VideoToEmbed],
        *,
        fps: float,
        keyframes_only: bool,
        on_frame: OnFrame = lambda key, t: None,
    ) -> Iterator[DecodedVideo]:
        ray = _ray()
        by_key = {v.key: v for v in videos_to_embed}
        videos: dict[int, _Video] = {}
        pending: deque[Unit] = deque()
        for video_to_embed in videos_to_embed:
            units = self._units(video_to_embed, fps)
            videos[video_to_embed.key] = _Video(parts=len(units))
            self.stats.chunked_videos += len(units) > 1
            pending.extend(units)
        running: dict[Any, Unit] = {}
        limit = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        try:
            while pending or running:
                while pending and len(running) < limit:
                    unit = pending.popleft()
                    for stream in self._launch(unit, fps=fps, keyframes_only=keyframes_only):
                        running[stream] = unit
                ready, _ = ray.wait(list(running), num_returns=1)
                for stream in ready:
                    unit = running.get(stream)
                    if unit is None:  # cancelled above, with the rest of its video
                        continue
                    try:
                        item = ray.get(next(stream))
                    except (StopIteration, ray.exceptions.TaskCancelledError):
                        del running[stream]
                        continue
                    except ray.exceptions.WorkerCrashedError as exc:
                        del running[stream]  # the decoder took its worker down on every retry: this file fails
                        item = ("end", 0, f"decoder crashed (its Ray worker died: {exc})".splitlines()[0], None)
                    except ray.exceptions.RayTaskError as exc:
                        raise exc.as_instanceof_cause() from None  # the model failed: stop, as a local run does
                    video = videos[unit.key]
                    if video.done or unit.attempt != video.attempt or unit.part in video.ended:
                        self.stats.duplicates_dropped += 1
                        continue
                    if item[0] == "batch":
                        _, seq, times, vectors = item
                        if (unit.part, seq) in video.batches:
                            self.stats.duplicates_dropped += 1
                            continue
                        video.batches[(unit.part, seq)] = (times, vectors)
                        if len(times):
                            on_frame(unit.key, float(times.max()))
                        continue
                    _, n_batches, error, cuts, *shown = item
                    if error is not None and unit.chunked:
                        # decode it whole with the local decoder: the same frames, or the same error
                        video.attempt += 1
                        video.batches.clear()
                        video.ended.clear()
                        video.cuts.clear()
                        video.shown.clear()
                        video.parts = 1
                        self.stats.whole_again += 1
                        log.info("decoding %s whole (%s)", unit.path, error)
                        for other, u in list(running.items()):
                            if u.key == unit.key and other is not stream:  # the video's other chunks
                                _cancel(ray, other)
                                del running[other]
                        pending = deque(u for u in pending if u.key != unit.key)
                        pending.appendleft(self._units(by_key[unit.key], fps, video.attempt, whole=True)[0])
                        continue
                    if error is not None:
                        video.done = True
                        yield DecodedVideo(unit.key, error=error)
                        continue
                    missing = [seq for seq in range(n_batches) if (unit.part, seq) not in video.batches]
                    if missing:  # cannot happen with Ray's ordered streams; never store a video with holes
                        raise RuntimeError(f"{unit.path}: batches {missing} of part {unit.part} never arrived")
                    video.ended.add(unit.part)
                    video.cuts[unit.part] = cuts
                    if shown and shown[0] is not None:
                        video.shown[unit.part] = shown[0]
                    if len(video.ended) == video.parts:
                        video.done = True
                        yield self._assemble(unit.key, video)
        finally:
            for stream in running:
                _cancel(ray, stream)

    @staticmethod
    def _assemble(key: int, video: _Video) -> DecodedVideo:
        order = sorted(video.batches)
        times = [video.batches[k][0] for k in order]
        vectors = [video.batches[k][1] for k in order]
        video.batches.clear()
        done = DecodedVideo(key)
        parts = [video.cuts.get(part) for part in range(video.parts)]
        if all(cuts is not None for cuts in parts):
            done.cuts = [cut for cuts in parts for cut in cuts]
        if video.shown:
            done.shown = joined([video.shown[part] for part in sorted(video.shown)])
        if times:
            done.times = np.concatenate(times).tolist()
            done.vectors = list(np.concatenate(vectors))
        return done


def _cancel(ray, stream) -> None:  # noqa: ANN001
    try:
        ray.cancel(stream)
    except Exception:  # noqa: BLE001 - finished already, or not cancellable: its results are ignored
        pass


class RayIndexer:
    """An ``Indexer`` whose frames are embedded on Ray (``vidseek index --ray``): planning, probing,
    checks and storing stay on this process, the driver.

    Use as a context manager, or call ``close()``: it stops the actors, and Ray if it started it.
    """

    def __init__(
        self,
        settings: Settings,
        library: Library,
        *,
        address: str | None = None,
        encoder: Encoder | None = None,
        progress: Callable[[], Progress] = Progress,
        actors: int | None = None,
        chunk_seconds: float | None = None,
    ) -> None:
        """``encoder``: this process's model, when it has one loaded; the actors must load the same."""
        self.embedding = RayEmbedding(
            settings,
            address=address,
            actors=actors,
            chunk_seconds=chunk_seconds,
            expected_model=None if encoder is None else encoder.name,
        )
        try:
            self.indexer = Indexer(settings, library, progress=progress, embedding=self.embedding)
        except Exception:
            self.embedding.close()
            raise

    @property
    def stats(self) -> RunStats:
        return self.embedding.stats

    def index(self, paths: list[Path], *, prune: bool = False, force: bool = False) -> IndexReport:
        return self.indexer.index(paths, prune=prune, force=force)

    def close(self) -> None:
        self.embedding.close()

    def __enter__(self) -> "RayIndexer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
