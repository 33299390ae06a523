"""Wires the stages: find files, skip unchanged ones, probe, decode+embed, pool, store, update FAISS.

How frames become vectors is the strategy the ``Indexer`` is given (``indexer.embedding``): batched
in this process by default, or on a Ray cluster (``indexer.distributed``)."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from sqlalchemy.orm import Session

from indexer.clips import build_clips
from indexer.decode import VideoInfo, get_decoder
from indexer.decoded import DecodedVideo, cannot_read, decoded_problem
from indexer.discover import find_videos, fingerprint, is_folder, printable
from indexer.embedding import FrameEmbedding, VideoToEmbed, embedding_of, text_tower
from indexer.freshness import is_current, settings_match
from indexer.progress import Progress
from indexer.said.sidecars import Sidecars, cues_of
from vidseek.config import Settings
from vidseek.errors import DecodeError, ModelError
from vidseek.models.encoders import Encoder
from vidseek.said import cue_bounds, cue_vectors, transcripts
from vidseek.said.speech_spec import speech_source
from vidseek.shots import cuts_text
from vidseek.shown.ocr_engine import require_ocr
from vidseek.storage import cue_store, store
from vidseek.storage.library import Library
from vidseek.storage.tables import Video

log = logging.getLogger(__name__)


@dataclass
class IndexReport:
    indexed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    cues_reread: list[str] = field(default_factory=list)
    """Unchanged videos whose subtitle files changed: their cues were read again."""
    notes: list[tuple[str, str]] = field(default_factory=list)
    """(path, note), each note led by what it is about: ``subtitles:`` a subtitle block or stream that
    could not be read (the rest were kept), ``transcript:`` a video not queued for transcription."""
    shown_lines: int = 0
    """Lines of text read in the pictures (``VIDSEEK_OCR``)."""
    frames_seen: int = 0
    """Sampled frames whose text was looked at; of those, the ones the OCR model read, and of these, the
    ones that showed text."""
    frames_read: int = 0
    frames_with_text: int = 0
    cues_embedded: int = 0
    """Subtitle lines whose text was embedded for semantic search (``vidseek.said.cue_vectors.fill``)."""
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
        if self.cues_reread:
            parts.append(f"{len(self.cues_reread)} with subtitles read again")
        if self.frames_read:
            parts.append(
                f"{self.shown_lines} lines of shown text ({self.frames_read} of {self.frames_seen} frames read, "
                f"{self.frames_with_text} with text)"
            )
        if self.cues_embedded:
            parts.append(f"{self.cues_embedded} subtitle lines embedded")
        return (
            f"{', '.join(parts)}; {self.video_seconds:.1f} s of video in {self.wall_seconds:.1f} s "
            f"({rate:.1f}x realtime)"
        )


@dataclass(frozen=True)
class _File:
    path: Path
    size: int
    mtime_ns: int
    fingerprint: str
    info: VideoInfo
    sidecars: str


class Indexer:
    """Indexes files into ``library``. Frames are embedded by ``embedding`` when given, else by
    ``encoder`` in this process (``LocalEmbedding``)."""

    def __init__(
        self,
        settings: Settings,
        library: Library,
        encoder: Encoder | None = None,
        progress: Callable[[], Progress] = Progress,
        *,
        embedding: FrameEmbedding | None = None,
    ) -> None:
        self.settings = settings
        self.library = library
        self.embedding = embedding_of(settings, encoder, embedding)
        self.decoder = get_decoder(settings.decoder)
        """Probes files (the embedding decodes them)."""
        self._progress = progress
        self._speech_spec: str | None = None
        """The speech model's canonical spec, once ``VIDSEEK_TRANSCRIBE=auto`` needed it."""
        if settings.ocr:
            require_ocr()  # VIDSEEK_OCR without the extra: one sentence before any work

    def _plan(
        self, files: list[Path], report: IndexReport, force: bool = False
    ) -> list[tuple[Path, os.stat_result, str, str]]:
        todo = []
        model = self.embedding.model_name
        sidecars = Sidecars()
        with self.library.sessions() as session:
            for path in files:
                try:
                    st = path.stat()
                except OSError as exc:
                    report.failed.append((str(path), cannot_read(exc)))
                    continue
                video = None if force else store.video_by_path(str(path), session=session)
                beside = sidecars.signature(path)
                if is_current(video, st, self.settings, model, sidecars=beside):
                    report.skipped.append(str(path))
                    continue
                try:
                    fp = fingerprint(path, st.st_size)
                except OSError as exc:
                    report.failed.append((str(path), cannot_read(exc)))
                    continue
                if video is not None and settings_match(video, self.settings, model) and video.fingerprint == fp:
                    store.touch_video(video, st.st_mtime_ns, session=session)
                    if (video.sidecars or "") != beside:
                        self._reread_cues(video, path, beside, report, session=session)
                    report.skipped.append(str(path))
                    continue
                todo.append((path, st, fp, beside))
            session.commit()
        return todo

    def _read_cues(self, path: Path, duration: float, report: IndexReport) -> list[cue_store.CueRow]:
        """The cues of ``path`` (its sidecars', its subtitle streams') that are stored for a ``duration`` s
        video (``vidseek.said.cue_bounds``); what was skipped, dropped or cut goes to the notes."""
        cues, notes = cues_of(path, max_bytes=self.settings.subtitle_max_bytes, max_chars=self.settings.cue_max_chars)
        report.notes.extend((str(path), f"subtitles: {note}") for note in notes)
        rows = [cue_store.CueRow(c.start, c.end, c.text, c.source, c.lang) for c in cues]
        kept = cue_bounds.bounded(rows, duration, self.settings.cues_per_hour)
        if kept.note is not None:
            report.notes.append((str(path), f"subtitles: {kept.note}"))
        return kept.cues

    def _reread_cues(self, video: Video, path: Path, beside: str, report: IndexReport, *, session: Session) -> None:
        """The video is unchanged but the subtitle files beside it are not: read its cues again."""
        cues = self._read_cues(path, video.duration, report)
        cue_store.write_cues(
            video.id, cues, replacing="subtitles", session=session, per_hour=self.settings.cues_per_hour
        )
        video.sidecars = beside
        report.cues_reread.append(str(path))

    def _probe(self, todo, report: IndexReport) -> list[_File]:  # noqa: ANN001
        probed = []
        for path, st, fp, beside in todo:
            if st.st_size == 0:
                report.failed.append((str(path), "empty file (0 bytes)"))
                continue
            try:
                info = self.decoder.probe(path)
            except DecodeError as exc:
                report.failed.append((str(path), str(exc)))
                continue
            probed.append(_File(path, st.st_size, st.st_mtime_ns, fp, info, beside))
        return probed

    def index(self, paths: list[Path], *, prune: bool = False, force: bool = False) -> IndexReport:
        """Index ``paths``; ``force`` re-indexes files even when they look unchanged."""
        started = time.perf_counter()
        report = IndexReport()
        with self.library.sessions() as session:
            store.claim_model(self.embedding.model_name, self.embedding.dim, session=session)
            session.commit()
        files, problems = find_videos(paths)
        report.failed.extend((printable(p), reason) for p, reason in problems)
        probed = self._probe(self._plan(files, report, force), report)
        if probed:
            self._embed_and_store(probed, report)
        if prune:
            roots = [Path(os.path.realpath(Path(p).expanduser())) for p in paths if is_folder(Path(p).expanduser())]
            report.removed = self.library.remove_missing(roots)
            self.library.save_index()
        tower = text_tower(self.embedding)
        if tower is not None:  # every cue without a vector of this model, whoever wrote it
            report.cues_embedded = cue_vectors.fill(self.library, tower)
        report.wall_seconds = time.perf_counter() - started
        return report

    def _embed_and_store(self, probed: list[_File], report: IndexReport) -> None:
        s = self.settings
        progress = self._progress()
        progress.start(sum(j.info.duration for j in probed), len(probed))
        try:

            def on_frame(key: int, t: float) -> None:
                progress.frame(probed[key].path.name, t, probed[key].info.duration)

            videos = [VideoToEmbed(i, j.path, j.info.duration) for i, j in enumerate(probed)]
            for done in self.embedding.embed(
                videos, fps=s.sample_fps, keyframes_only=s.keyframes_only, on_frame=on_frame
            ):
                self._finish(probed[done.key], done, report, progress)
        finally:
            progress.close()
            self.library.save_index()

    def _finish(self, file: _File, done: DecodedVideo, report: IndexReport, progress: Progress) -> None:
        """Check one decoded video (no frames, truncated) and store it, or report why it failed."""
        s = self.settings
        problem = decoded_problem(
            done, duration=file.info.duration, step=1.0 / s.sample_fps, keyframes_only=s.keyframes_only
        )
        if problem is not None:
            report.failed.append((str(file.path), problem))
            progress.file_done(file.info.duration, failed=True)
            return
        duration = self._duration(file, done)
        cues = self._read_cues(file.path, duration, report)
        video_id = self._store(file, done, duration, cues, self._shown_lines(file.path, done, duration, report))
        if s.transcribe == "auto" and not cues:
            self._queue_transcript(video_id, file.path, report)
        report.indexed.append(str(file.path))
        report.video_seconds += duration
        progress.file_done(file.info.duration)

    def _shown_lines(
        self, path: Path, done: DecodedVideo, duration: float, report: IndexReport
    ) -> list[cue_store.CueRow] | None:
        """The lines read in the video's picture (None when it was not read: OCR off, or it failed, a note)."""
        shown = done.shown
        if shown is None:
            return None
        if shown.error is not None:
            report.notes.append((str(path), f"shown: text not read: {shown.error}"))
            return None
        report.frames_seen += shown.frames
        report.frames_read += shown.read
        report.frames_with_text += shown.with_text
        kept = cue_bounds.bounded(shown.lines, duration, self.settings.cues_per_hour)
        if kept.note is not None:
            report.notes.append((str(path), f"shown: {kept.note}"))
        report.shown_lines += len(kept.cues)
        return kept.cues

    def _queue_transcript(self, video_id: int, path: Path, report: IndexReport) -> None:
        """``VIDSEEK_TRANSCRIBE=auto``: a video stored without subtitles and without a transcript (new, or
        its file changed) gets a transcribe job, unless one is queued or running for it."""
        if self._speech_spec is None:
            try:
                if not self.settings.speech_model:
                    raise ModelError("VIDSEEK_TRANSCRIBE=auto needs a speech model: set VIDSEEK_SPEECH_MODEL")
                self._speech_spec = speech_source(
                    self.settings.speech_model, import_timeout=self.settings.speech_import_timeout
                ).spec
            except ModelError as exc:
                report.notes.append((str(path), f"transcript: not queued: {exc}"))
                return
        with self.library.sessions() as session:
            counts = cue_store.cue_counts([video_id], session=session).get(video_id)
            if not transcripts.wants_transcript(counts) or video_id in transcripts.being_transcribed(session=session):
                return
            video = store.videos_by_ids([video_id], session=session)[video_id]
            transcripts.queue_transcription(video, self._speech_spec, session=session, source="auto")
            session.commit()

    def _duration(self, file: _File, done: DecodedVideo) -> float:
        """The video's length: as probed, else its last sampled frame's time and one frame more."""
        step = 1.0 / self.settings.sample_fps
        if file.info.duration > 0:
            return file.info.duration
        return max(done.times) + min(step, 1.0 / max(file.info.fps, 1.0))

    def _store(
        self,
        file: _File,
        done: DecodedVideo,
        duration: float,
        cues: list[cue_store.CueRow],
        shown: list[cue_store.CueRow] | None = None,
    ) -> int:
        s = self.settings
        clips = build_clips(
            done.times,
            np.stack(done.vectors),
            clip_seconds=s.clip_seconds,
            clip_stride=s.clip_stride,
            sample_fps=s.sample_fps,
            duration=duration,
        )
        record = store.VideoRecord(
            path=str(file.path),
            title=file.path.stem,
            size=file.size,
            mtime_ns=file.mtime_ns,
            fingerprint=file.fingerprint,
            duration=duration,
            fps=file.info.fps,
            width=file.info.width,
            height=file.info.height,
            codec=file.info.codec,
            model_name=self.embedding.model_name,
            sample_fps=s.sample_fps,
            clip_seconds=s.clip_seconds,
            clip_stride=s.clip_stride,
            status="keyframes" if s.keyframes_only else "indexed",
            sidecars=file.sidecars,
            shots=None if done.cuts is None else cuts_text(done.cuts),
        )
        video_id = self.library.write_video(
            record, clips.times, clips.frame_vectors, clips.windows, clips.vectors, cues, shown
        )
        return video_id
