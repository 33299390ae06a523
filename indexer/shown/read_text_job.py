"""A worker's read-text job (``indexer.worker``): read the text shown in one indexed video and store it
as its shown lines (``indexer.shown.read_text``). A file that changed since it was indexed is indexed
again first, as a transcribe job does; one that changes while it is read is read again (retry). The
OCR model is loaded once per process and kept. Errors are one short line."""

from __future__ import annotations

import logging
from pathlib import Path

from indexer.job_progress import Outcome, one_line
from vidseek.errors import DecodeError, ModelError
from vidseek.said import cue_vectors
from vidseek.storage.tables import Job

log = logging.getLogger(__name__)


def run_read_text(worker: object, job: Job) -> Outcome:
    """Run ``job`` for ``worker`` (an ``indexer.worker.Worker``); never raises."""
    try:
        outcome = _read_and_store(worker, job)
    except Exception as exc:  # noqa: BLE001 - a job never kills the worker; its error stays short
        log.exception("worker %s: job %d crashed", worker.worker_id, job.id)
        outcome = Outcome(f"{type(exc).__name__}: {exc}")
    if outcome.error is not None:
        outcome.error = one_line(outcome.error)
    return outcome


def ocr_engine(worker: object) -> object:
    """The process's OCR model, loaded on its first use (ModelError without the ocr extra)."""
    from vidseek.shown.ocr_engine import shared_engine

    return shared_engine(worker.settings.threads)


def _read_and_store(worker: object, job: Job) -> Outcome:
    from indexer.said.transcription import ContentChanged
    from indexer.shown.read_text import read_video, store_shown

    try:
        engine = ocr_engine(worker)
    except ModelError as exc:
        return Outcome(f"cannot load the OCR model: {exc}", permanent=True)
    video, failed = worker._video_as_its_file(job.video_id)
    if video is None:
        return failed
    path = Path(video.path)
    settings = worker.settings
    try:
        shown = read_video(
            path,
            engine,
            fps=video.sample_fps or settings.sample_fps,
            duration=video.duration,
            picture_side=settings.ocr_side,
            max_chars=settings.cue_max_chars,
            every=settings.ocr_every,
            progress=worker._set_progress,
        )
        store_shown(worker.library, video.id, video.fingerprint, shown.lines, per_hour=settings.cues_per_hour)
        cue_vectors.fill(worker.library, worker.encoder)  # what is shown, searchable by meaning too
    except ContentChanged as exc:
        return Outcome(str(exc))
    except (DecodeError, ModelError) as exc:
        return Outcome(f"{path}: {exc}", permanent=True)
    log.info(
        "worker %s: %s: %d line(s) of shown text (%d of %d frames read)",
        worker.worker_id,
        path,
        len(shown.lines),
        shown.read,
        shown.frames,
    )
    return Outcome()
