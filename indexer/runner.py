"""Wires the stages: find files, skip unchanged ones, probe, decode+embed, pool, store, update FAISS."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from indexer.decode import DEFAULT_INPUT_SIZE, VideoInfo, get_decoder, truncation_problem
from indexer.discover import find_videos, fingerprint, is_folder, printable
from indexer.pipeline import DecodedVideo, embed_videos
from indexer.progress import Progress
from indexer.sample import clip_windows
from vidseek import store
from vidseek.config import Settings
from vidseek.encoders import Encoder, input_size_of
from vidseek.errors import DecodeError
from vidseek.library import Library
from vidseek.pool import pool_windows

log = logging.getLogger(__name__)


@dataclass
class IndexReport:
    indexed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    video_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> str:
        rate = self.video_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0
        parts = [f"{len(self.indexed)} indexed", f"{len(self.skipped)} unchanged", f"{len(self.failed)} failed"]
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        return (f"{', '.join(parts)}; {self.video_seconds:.1f} s of video in {self.wall_seconds:.1f} s "
                f"({rate:.1f}x realtime)")


@dataclass(frozen=True)
class _Job:
    path: Path
    size: int
    mtime_ns: int
    fingerprint: str
    info: VideoInfo


class Indexer:
    def __init__(self, settings: Settings, library: Library, encoder: Encoder,
                 progress: Callable[[], Progress] = Progress) -> None:
        self.settings = settings
        self.library = library
        self.encoder = encoder
        self.decoder = get_decoder(settings.decoder)
        self.size = input_size_of(encoder) or DEFAULT_INPUT_SIZE
        self._progress = progress

    @property
    def batch_size(self) -> int:
        """Frames per model call: the setting when given; else 32 on a CPU and 256 on a GPU, where
        fp16 inference wants large batches."""
        if "batch_size" in self.settings.model_fields_set:
            return self.settings.batch_size
        return 256 if str(getattr(self.encoder, "device", "cpu")).startswith("cuda") else self.settings.batch_size

    def _settings_match(self, video) -> bool:  # noqa: ANN001
        s = self.settings
        return (video.model_name == self.encoder.name and video.sample_fps == s.sample_fps
                and video.clip_seconds == s.clip_seconds and video.clip_stride == s.clip_stride
                and (video.status == "indexed" or s.keyframes_only))

    def _plan(self, files: list[Path], report: IndexReport,
              force: bool = False) -> list[tuple[Path, os.stat_result, str]]:
        todo = []
        with self.library.sessions() as session:
            for path in files:
                try:
                    st = path.stat()
                except OSError as exc:
                    report.failed.append((str(path), f"cannot read ({exc.strerror})"))
                    continue
                video = None if force else store.video_by_path(str(path), session=session)
                if video is not None and self._settings_match(video):
                    if video.size == st.st_size and video.mtime_ns == st.st_mtime_ns:
                        report.skipped.append(str(path))
                        continue
                try:
                    fp = fingerprint(path, st.st_size)
                except OSError as exc:
                    report.failed.append((str(path), f"cannot read ({exc.strerror})"))
                    continue
                if video is not None and self._settings_match(video) and video.fingerprint == fp:
                    store.touch_video(video, st.st_mtime_ns, session=session)
                    report.skipped.append(str(path))
                    continue
                todo.append((path, st, fp))
            session.commit()
        return todo

    def _probe(self, todo, report: IndexReport) -> list[_Job]:  # noqa: ANN001
        jobs = []
        for path, st, fp in todo:
            if st.st_size == 0:
                report.failed.append((str(path), "empty file (0 bytes)"))
                continue
            try:
                info = self.decoder.probe(path)
            except DecodeError as exc:
                report.failed.append((str(path), str(exc)))
                continue
            jobs.append(_Job(path, st.st_size, st.st_mtime_ns, fp, info))
        return jobs

    def index(self, paths: list[Path], *, prune: bool = False, force: bool = False) -> IndexReport:
        """Index ``paths``; ``force`` re-indexes files even when they look unchanged."""
        started = time.perf_counter()
        report = IndexReport()
        with self.library.sessions() as session:
            store.claim_model(self.encoder.name, self.encoder.dim, session=session)
            session.commit()
        files, problems = find_videos(paths)
        report.failed.extend((printable(p), reason) for p, reason in problems)
        jobs = self._probe(self._plan(files, report, force), report)
        if jobs:
            self._embed_and_store(jobs, report)
        if prune:
            roots = [Path(os.path.realpath(Path(p).expanduser())) for p in paths if is_folder(Path(p).expanduser())]
            report.removed = self.library.remove_missing(roots)
            self.library.save_index()
        report.wall_seconds = time.perf_counter() - started
        return report

    def _embed_and_store(self, jobs: list[_Job], report: IndexReport) -> None:
        progress = self._progress()
        progress.start(sum(j.info.duration for j in jobs), len(jobs))
        try:
            def on_frame(key: int, t: float) -> None:
                progress.frame(jobs[key].path.name, t, jobs[key].info.duration)

            for done in self._vectors(jobs, on_frame):
                self._finish(jobs[done.key], done, report, progress)
        finally:
            progress.close()
            self.library.save_index()

    def _vectors(self, jobs: list[_Job], on_frame: Callable[[int, float], None]) -> Iterator[DecodedVideo]:
        """How frames become vectors: each job's sampled frames and their vectors (or its error), keyed
        by the job's index in ``jobs``, each job once. Here: a decode thread and batched model calls in
        this process; ``indexer.distributed.RayIndexer`` does it on a Ray cluster."""
        s = self.settings
        return embed_videos(self.decoder, [(i, j.path) for i, j in enumerate(jobs)], fps=s.sample_fps,
                            size=self.size, encode=self.encoder.encode_frames, batch_size=self.batch_size,
                            on_frame=on_frame, keyframes_only=s.keyframes_only)

    def _finish(self, job: _Job, done: DecodedVideo, report: IndexReport, progress: Progress) -> None:
        """Check one decoded video (no frames, truncated) and store it, or report why it failed."""
        s = self.settings
        if done.error is None and not done.times:
            done.error = "no decodable video frames"
        if done.error is None and not s.keyframes_only:  # keyframes may stop a GOP early
            done.error = truncation_problem(job.info.duration, max(done.times), 1.0 / s.sample_fps)
        if done.error is not None:
            report.failed.append((str(job.path), done.error))
            progress.file_done(job.info.duration, failed=True)
            return
        duration = self._store(job, np.asarray(done.times), np.stack(done.vectors))
        report.indexed.append(str(job.path))
        report.video_seconds += duration
        progress.file_done(job.info.duration)

    def _store(self, job: _Job, times: np.ndarray, vectors: np.ndarray) -> float:
        s = self.settings
        step = 1.0 / s.sample_fps
        order = np.argsort(times, kind="stable")
        times, vectors = times[order], vectors[order]
        duration = job.info.duration if job.info.duration > 0 else float(times[-1]) + min(step, 1.0 / max(job.info.fps, 1.0))
        windows = clip_windows(times, clip_seconds=s.clip_seconds, stride=s.clip_stride, step=step, duration=duration)
        clip_vectors = pool_windows(vectors, [(w.first, w.last) for w in windows])
        record = store.VideoRecord(
            path=str(job.path), title=job.path.stem, size=job.size, mtime_ns=job.mtime_ns,
            fingerprint=job.fingerprint, duration=duration, fps=job.info.fps, width=job.info.width,
            height=job.info.height, codec=job.info.codec, model_name=self.encoder.name,
            sample_fps=s.sample_fps, clip_seconds=s.clip_seconds, clip_stride=s.clip_stride,
            status="keyframes" if s.keyframes_only else "indexed")
        self.library.write_video(record, times, vectors,
                                 [(w.first, w.last, w.start, w.end) for w in windows], clip_vectors)
        return duration
