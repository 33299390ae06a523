"""Re-embedding: move the whole library to another model while search keeps answering.

    stage every video (decode + embed with the new model, into ``staged_embeddings``)
      └─► build the new FAISS index from the staged vectors (beside the live one, in memory)
            └─► switch (one SQL transaction under the FAISS file lock) ─► search uses the new model

Until the switch, nothing live changes: searches use the old model, old vectors and old index, and
indexing keeps working with the old model. A video re-indexed or added meanwhile is staged again
(or for the first time) in the next round; one deleted meanwhile is dropped from the new index.

Each video is staged in its own transaction, so a re-embed that is killed resumes where it
stopped: videos already staged (and unchanged since) are not decoded again. A video whose file
is missing, changed on disk or cannot be decoded stops the switch (nothing is lost: the library
stays on the old model) and is reported with its path, so it can be restored or removed first.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Callable

import numpy as np

from indexer.clips import build_clips
from indexer.decoded import DecodedVideo, cannot_read, decoded_problem
from indexer.embedding import FrameEmbedding, VideoToEmbed, embedding_of, text_tower
from indexer.freshness import file_unchanged
from indexer.progress import Progress
from vidseek.config import Settings
from vidseek.errors import VidseekError
from vidseek.models.encoders import Encoder
from vidseek.said import cue_vectors
from vidseek.storage import staging, store
from vidseek.storage.library import Library
from vidseek.vectors.vector_index import build_index

log = logging.getLogger(__name__)

MAX_ROUNDS = 5
"""Stage-then-switch rounds before giving up on a library whose videos keep changing under it."""


class ReembedError(VidseekError):
    """The re-embed cannot switch (files missing, changed or undecodable); the old model stays."""


@dataclass
class ReembedReport:
    model: str
    staged: list[str] = field(default_factory=list)
    """Files decoded and embedded with the new model by this run."""
    reused: int = 0
    """Videos staged by an earlier, interrupted run and still current."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    switched: bool = False
    already: bool = False
    """The library already used this model: nothing was done."""
    videos: int = 0
    clips: int = 0
    wall_seconds: float = 0.0

    def summary(self) -> str:
        if self.already:
            return f"the library already uses {self.model}: nothing to re-embed"
        state = (
            f"switched to {self.model}: {self.videos} videos, {self.clips} clips"
            if self.switched
            else "not switched: the library stays on its old model"
        )
        return (
            f"{state}; {len(self.staged)} re-embedded, {self.reused} from an earlier run, "
            f"{len(self.failed)} failed, in {self.wall_seconds:.1f} s"
        )


class Reembedder:
    """Moves the library to ``encoder``'s model (``spec`` is how it is loaded). Frames are embedded
    as an ``Indexer`` embeds them (``indexer.embedding``), checked and pooled by the same rules."""

    def __init__(
        self,
        settings: Settings,
        library: Library,
        encoder: Encoder | None,
        spec: str,
        progress: Callable[[], Progress] = Progress,
        *,
        embedding: FrameEmbedding | None = None,
    ) -> None:
        self.settings = settings
        self.library = library
        self.embedding = embedding_of(settings, encoder, embedding)
        self.spec = spec
        self._progress = progress

    def run(self) -> ReembedReport:
        started = time.perf_counter()
        model = self.embedding.model_name
        report = ReembedReport(model)
        if self.library.model_name() == model:
            report.already = True
            return report
        self.library.index()  # open (or repair) the live index first: it keeps answering until the switch
        for round_ in range(MAX_ROUNDS):
            with self.library.sessions() as session:
                todo = staging.videos_to_stage(model, session=session)
                total = store.totals(session=session)["videos"]
            if round_ == 0:
                report.reused = total - len(todo)
            self._stage(todo, report)
            if report.failed:
                report.wall_seconds = time.perf_counter() - started
                return report
            tower = text_tower(self.embedding)
            if tower is not None:  # the new model's cue vectors, beside the old ones until the switch
                cue_vectors.fill(self.library, tower)
            stale = self.library.switch_model(model, self.spec, self._build_index())
            if not stale:
                with self.library.sessions() as session:
                    cue_vectors.drop_other_models(model, session=session)
                    session.commit()
                    report.videos = store.totals(session=session)["videos"]
                    report.clips = store.count_clips(session=session)
                report.switched = True
                report.wall_seconds = time.perf_counter() - started
                return report
            log.info("re-embed: %d videos changed while staging; staging them again", len(stale))
        raise ReembedError(
            f"videos kept changing during {MAX_ROUNDS} rounds of re-embedding; run it again "
            f"when indexing is quieter (what is staged so far is kept)"
        )

    def _build_index(self):  # noqa: ANN202
        model = self.embedding.model_name
        with self.library.snapshot() as session:
            _videos, n = staging.staged_counts(model, session=session)
            return build_index(
                lambda: staging.iter_staged_clip_vectors(model, session=session),
                dim=self.embedding.dim,
                n=n,
                requested=self.settings.index_type,
                generation=0,
            )

    # -- staging ---------------------------------------------------------------------------------

    def _stage(self, videos: list, report: ReembedReport) -> None:  # noqa: ANN001
        todo = []
        for video in videos:
            problem = _file_problem(video)
            if problem is not None:
                report.failed.append((video.path, problem))
            else:
                todo.append(video)
        if not todo:
            return
        progress = self._progress()
        progress.start(sum(v.duration for v in todo), len(todo))
        try:
            # One decode+embed pipeline per sampling setting (almost always a single one).
            def setting(v) -> tuple[float, bool]:  # noqa: ANN001
                return v.sample_fps, v.status == "keyframes"

            for (fps, keyframes), group in groupby(sorted(todo, key=setting), key=setting):
                self._stage_group(list(group), fps, keyframes, report, progress)
        finally:
            progress.close()

    def _stage_group(
        self,
        videos: list,
        fps: float,
        keyframes: bool,
        report: ReembedReport,  # noqa: ANN001
        progress: Progress,
    ) -> None:
        with self.library.sessions() as session:
            sources = {v.id: staging.first_clip_of(v.id, session=session) for v in videos}
        by_key = dict(enumerate(videos))

        def on_frame(key: int, t: float) -> None:
            progress.frame(Path(by_key[key].path).name, t, by_key[key].duration)

        videos_to_embed = [VideoToEmbed(k, Path(v.path), v.duration) for k, v in by_key.items()]
        for done in self.embedding.embed(videos_to_embed, fps=fps, keyframes_only=keyframes, on_frame=on_frame):
            video = by_key[done.key]
            problem = decoded_problem(done, duration=video.duration, step=1.0 / fps, keyframes_only=keyframes)
            if problem is not None:
                report.failed.append((video.path, problem))
                progress.file_done(video.duration, failed=True)
                continue
            self._stage_one(video, sources[video.id], done)
            report.staged.append(video.path)
            progress.file_done(video.duration)

    def _stage_one(self, video, source_clip: int, done: DecodedVideo) -> None:  # noqa: ANN001
        clips = build_clips(
            done.times,
            np.stack(done.vectors),
            clip_seconds=video.clip_seconds,
            clip_stride=video.clip_stride,
            sample_fps=video.sample_fps,
            duration=video.duration,
        )
        with self.library.sessions() as session:
            staged = staging.stage_video(
                self.embedding.model_name,
                video.id,
                source_clip,
                clips.times,
                clips.frame_vectors,
                clips.windows,
                clips.vectors,
                session=session,
            )
            session.commit()
        if not staged:  # re-indexed or deleted meanwhile: the next round sees it as it is now
            log.info("re-embed: %s changed while it was being re-embedded", video.path)


def _file_problem(video) -> str | None:  # noqa: ANN001
    """Why this video's file cannot be re-embedded as it was indexed, or None."""
    path = Path(video.path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return "file is missing: restore it, or remove it from the library (`vidseek rm`), then re-embed again"
    except OSError as exc:
        return cannot_read(exc)
    if not file_unchanged(video, st):
        return "file changed since it was indexed: index it again (`vidseek index`), then re-embed again"
    return None
