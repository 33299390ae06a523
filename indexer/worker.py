"""A worker: takes jobs from the SQL queue (``vidseek.storage.jobs``) and runs them, one at a time.

    claim ──► run (heartbeat + progress every lease/4 s) ──► complete | fail (retry later | failed)

Job kinds:

- ``index`` (``path``): index that one file with the ``Indexer`` (unchanged files are skipped, so a
  job that ran before its worker died finishes at once when it is taken again);
- ``reindex`` (``video_id``): index that video's file again even if it looks unchanged;
- ``delete`` (``video_id``): remove the video (done when it is already gone);
- ``reembed`` (payload ``{"model": SPEC}``): move the whole library to another model
  (``indexer.reembed``); search keeps answering with the old model until the switch. A file that
  is missing or cannot be decoded fails the job with its path (the library stays on the old model;
  what was staged is kept for the next attempt). After a switch, this worker's index jobs use the
  new model (``vidseek.models.encoder_follower``); a job caught by the switch mid-way is retried with it;
- ``transcribe`` (``video_id``, payload ``{"model": SPEECH_SPEC}``): hear that video's sound and store
  its transcript (``indexer.said.transcription``). A file that changed since it was indexed is indexed
  again first, as a reindex job would; one that changes while it is heard is heard again (retry).
  A file without sound is done, with no cues. The transcriber runs in a process of the worker's own
  (``vidseek.said.transcriber_process``, kept for the next transcribe job): one that answers no window
  within ``VIDSEEK_SPEECH_WINDOW_TIMEOUT`` is killed and the job fails; one that answers something
  that is not lines fails the job at once; one that raises is retried. Its errors are one short line.
- ``read-text`` (``video_id``): read the text shown in that video's picture with the OCR model and store
  it as its shown lines (``indexer.shown.read_text_job``), nothing embedded again; a changed file is
  indexed again first, as for ``transcribe``.

A file that cannot be decoded fails its job with the decoder's reason (at once: it would fail
again the same way until the file changes, and then the watcher queues it anew). Any other
exception fails the attempt and the job is retried with backoff. Nothing a job does kills the
worker.

Crash safety comes from the layers below: each video is one SQL transaction, the FAISS file is a
checkpoint that is brought up to the database when opened, and a job whose worker died is taken
again by another worker once its lease runs out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from pathlib import Path

from indexer.decoded import cannot_read
from indexer.freshness import file_unchanged
from indexer.job_progress import JobProgress, Outcome, one_line
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.errors import DecodeError, ModelError, ModelMismatchError, VidseekError
from vidseek.models.encoder_follower import EncoderFollower
from vidseek.models.encoders import Encoder
from vidseek.said import cue_vectors
from vidseek.storage import jobs, store
from vidseek.storage.library import WORKER_SAVE_INTERVAL, Library
from vidseek.storage.tables import Job, Video

log = logging.getLogger(__name__)

DEFAULT_SAVE_INTERVAL = WORKER_SAVE_INTERVAL
"""A worker saves the FAISS file at most this often while busy, and whenever the queue runs dry."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        settings: Settings,
        *,
        library: Library | None = None,
        encoder: Encoder | None = None,
        encoders: EncoderFollower | None = None,
        worker_id: str | None = None,
        lease_seconds: float | None = None,
        poll_seconds: float | None = None,
        retry_base: float = jobs.RETRY_BASE_SECONDS,
        save_interval: float = DEFAULT_SAVE_INTERVAL,
    ) -> None:
        """``save_interval``: for the library this worker opens when none is given; a given
        ``library`` saves as it was built to (``Library(..., save_interval=DEFAULT_SAVE_INTERVAL)``)."""
        self.settings = settings
        if library is None:
            library = Library(settings, notify=log.warning, save_interval=save_interval)
        if encoders is None:
            if encoder is None:
                from vidseek.models.encoders import library_encoder

                encoder = library_encoder(settings, library)
            encoders = EncoderFollower(library, encoder, self._load)
        self.library = library
        self.encoders = encoders
        """The encoder of the library's model; follows a re-embed's switch (shared with serve's engine)."""
        self.worker_id = worker_id or default_worker_id()
        self.lease_seconds = lease_seconds if lease_seconds is not None else settings.job_lease
        self.poll_seconds = poll_seconds if poll_seconds is not None else settings.worker_poll
        self.heartbeat_seconds = max(0.05, self.lease_seconds / 4)
        self.retry_base = retry_base
        self.stop_event = threading.Event()
        self.current: int | None = None
        """Id of the job being run, if any."""
        self._progress = 0.0
        self._hearing = None
        """The transcriber process of the last transcribe job (``vidseek.said.transcriber_process``),
        kept for the next."""
        self._indexer_encoder = encoders.current()
        self._indexer = self._indexer_for(self._indexer_encoder)

    def _load(self, spec: str) -> Encoder:
        from vidseek.models.encoders import encoder_for

        return encoder_for(self.settings, spec)

    @property
    def encoder(self) -> Encoder:
        return self.encoders.current()

    def _current_indexer(self) -> Indexer:
        """An indexer on the library's current model (made again after a re-embed switched it)."""
        self.library.index()  # notice a switch first
        encoder = self.encoder
        if self._indexer_encoder is not encoder:
            self._indexer_encoder, self._indexer = encoder, self._indexer_for(encoder)
        return self._indexer

    def _indexer_for(self, encoder: Encoder) -> Indexer:
        return Indexer(self.settings, self.library, encoder, progress=lambda: JobProgress(self._set_progress))

    # -- the loop --------------------------------------------------------------------------------

    def run(self, *, until_idle: bool = False) -> int:
        """Run jobs until ``stop()`` (or, with ``until_idle``, until the queue has nothing runnable).
        Returns how many jobs were run."""
        ran = 0
        self._embed_unembedded_cues()
        try:
            while not self.stop_event.is_set():
                try:
                    job = self.run_once()
                except Exception:  # noqa: BLE001 - the database went away for a moment, say: keep going
                    log.exception("worker %s: cannot take a job", self.worker_id)
                    job = None
                    if until_idle:
                        raise
                if job is not None:
                    ran += 1
                    continue
                self._idle()
                if until_idle:
                    break
                self.stop_event.wait(self.poll_seconds)
        finally:
            self.close_transcriber()
            self._idle()
        return ran

    def _embed_unembedded_cues(self) -> None:
        """Embed the lines that no process has embedded with the library's model yet (indexed on Ray,
        whose process has no text tower, or by a process killed before its fill), once, as the worker starts."""
        try:
            done = cue_vectors.fill(self.library, self.encoder)
        except Exception:  # noqa: BLE001 - never a reason not to run jobs; the next index run fills too
            log.exception("worker %s: cannot embed subtitle lines", self.worker_id)
            return
        if done:
            log.info("worker %s: embedded %d subtitle line(s) for search by meaning", self.worker_id, done)

    def stop(self) -> None:
        """Take no new job; the one running finishes."""
        self.stop_event.set()

    def _idle(self) -> None:
        try:
            self.library.save_index(force=True)
        except Exception:  # noqa: BLE001 - the file is a checkpoint; the next save or open repairs it
            log.exception("worker %s: cannot save the index", self.worker_id)

    def run_once(self) -> Job | None:
        """Claim one job and run it; returns it (as it ended) or None when none was runnable."""
        with self.library.sessions() as session:
            job = jobs.claim(self.worker_id, session=session, lease_seconds=self.lease_seconds)
        if job is None:
            return None
        self.run_job(job)
        with self.library.sessions() as session:
            return jobs.get_job(job.id, session=session)

    def run_job(self, job: Job) -> None:
        """Run a job this worker has claimed, with heartbeats, and record how it ended."""
        self.current = job.id
        self._progress = 0.0
        done = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(job.id, done), name=f"vidseek-heartbeat-{job.id}", daemon=True
        )
        beat.start()
        log.info(
            "worker %s: job %d (%s %s) attempt %d/%d",
            self.worker_id,
            job.id,
            job.kind,
            job.path or job.video_id,
            job.attempts,
            job.max_attempts,
        )
        model_at_start = self.library.model_name()
        try:
            outcome = self._execute(job)
        except ModelMismatchError as exc:
            switched = self.library.model_name() != model_at_start  # a re-embed switched models mid-job
            outcome = Outcome(str(exc), permanent=not switched)
        except Exception as exc:  # noqa: BLE001 - a job never kills the worker
            log.exception("worker %s: job %d crashed", self.worker_id, job.id)
            outcome = Outcome(f"{type(exc).__name__}: {exc}")
        finally:
            done.set()
            beat.join()
        with self.library.sessions() as session:
            if outcome.error is None:
                owned = jobs.complete(job.id, session=session, worker_id=self.worker_id, video_id=outcome.video_id)
            else:
                log.warning("worker %s: job %d failed: %s", self.worker_id, job.id, outcome.error)
                owned = jobs.fail(
                    job.id,
                    outcome.error,
                    session=session,
                    worker_id=self.worker_id,
                    permanent=outcome.permanent,
                    retry_base=self.retry_base,
                )
        if not owned:
            log.warning("worker %s: job %d was taken over by another worker (lease expired)", self.worker_id, job.id)
        self.current = None

    def release_current(self) -> bool:
        """Give the running job back to the queue (the worker is going away before finishing it)."""
        job_id = self.current
        if job_id is None:
            return False
        with self.library.sessions() as session:
            return jobs.release(job_id, session=session, worker_id=self.worker_id)

    def _set_progress(self, fraction: float) -> None:
        self._progress = fraction

    def _heartbeat(self, job_id: int, done: threading.Event) -> None:
        while not done.wait(self.heartbeat_seconds):
            try:
                with self.library.sessions() as session:
                    jobs.heartbeat(job_id, session=session, worker_id=self.worker_id, progress=self._progress)
            except Exception:  # noqa: BLE001 - a missed beat is retried; a long outage expires the lease
                log.warning("worker %s: heartbeat for job %d failed", self.worker_id, job_id, exc_info=True)

    # -- the kinds -------------------------------------------------------------------------------

    def _execute(self, job: Job) -> Outcome:
        if job.kind == "index":
            outcome = self._index(Path(job.path or ""), force=False)
            return outcome if outcome.error else Outcome(video_id=self._video_id_of(job.path or ""))
        if job.kind == "reindex":
            with self.library.sessions() as session:
                video = store.videos_by_ids([job.video_id], session=session).get(job.video_id)
            if video is None:
                return Outcome(f"no indexed video has id {job.video_id}", permanent=True)
            return self._index(Path(video.path), force=True)
        if job.kind == "delete":
            self.library.delete_videos([job.video_id])  # already gone: nothing to do, and that is done
            self.library.save_index()
            return Outcome()
        if job.kind == "reembed":
            return self._reembed(jobs.payload_of(job).get("model"))
        if job.kind == "transcribe":
            return self._transcribe(job)
        if job.kind == "read-text":
            from indexer.shown.read_text_job import run_read_text

            return run_read_text(self, job)
        return Outcome(f"unknown job kind {job.kind!r}", permanent=True)

    def _index(self, path: Path, *, force: bool) -> Outcome:
        if not str(path):
            return Outcome("the job names no file", permanent=True)
        report = self._current_indexer().index([path], force=force)
        for noted, note in report.notes:  # a bad subtitle file: one line each, the video indexed
            log.warning("worker %s: note: %s: %s", self.worker_id, noted, note)  # notes say their kind
        if report.failed:
            return Outcome("; ".join(f"{p}: {why}" for p, why in report.failed), permanent=True)
        return Outcome()

    def _reembed(self, spec: object) -> Outcome:
        from indexer.reembed import Reembedder

        if not isinstance(spec, str) or not spec.strip():
            return Outcome(
                'a reembed job needs the new model\'s spec in its payload, as {"model": SPEC}', permanent=True
            )
        try:
            encoder = self._load(spec)
        except ModelError as exc:
            return Outcome(f"cannot load model {spec!r}: {exc}", permanent=True)
        try:
            report = Reembedder(
                self.settings, self.library, encoder, spec, progress=lambda: JobProgress(self._set_progress)
            ).run()
        except VidseekError as exc:
            return Outcome(str(exc))
        if report.failed:
            return Outcome(
                "not switched, the library stays on its old model: "
                + "; ".join(f"{p}: {why}" for p, why in report.failed),
                permanent=True,
            )
        if report.switched:
            self.encoders.adopt(encoder)
        log.info("worker %s: %s", self.worker_id, report.summary())
        return Outcome()

    def _transcribe(self, job: Job) -> Outcome:
        """Errors are one short line (``ERROR_CHARS``): they come from the user's transcriber."""
        try:
            outcome = self._hear_and_store(job)
        except Exception as exc:  # noqa: BLE001 - a job never kills the worker; its error stays short
            log.exception("worker %s: job %d crashed", self.worker_id, job.id)
            outcome = Outcome(f"{type(exc).__name__}: {exc}")
        if outcome.error is not None:
            outcome.error = one_line(outcome.error)
        return outcome

    def _hear_and_store(self, job: Job) -> Outcome:
        from indexer.said.transcription import CUE_MAX_CHARS, ContentChanged, hear, store_transcript
        from vidseek.said.transcriber_process import TranscriberFailed

        spec = jobs.payload_of(job).get("model") or self.settings.speech_model
        if not isinstance(spec, str) or not spec.strip():
            return Outcome("a transcribe job needs a speech model: set VIDSEEK_SPEECH_MODEL", permanent=True)
        try:
            transcriber = self._transcriber(spec)
        except ModelError as exc:
            return Outcome(f"cannot load speech model {spec!r}: {exc}", permanent=True)
        except TranscriberFailed as exc:
            return Outcome(f"cannot load speech model {spec!r}: {exc}")
        video, failed = self._video_as_its_file(job.video_id)
        if video is None:
            return failed
        path = Path(video.path)
        try:
            heard = hear(
                path,
                transcriber,
                window_seconds=self.settings.speech_window,
                duration=video.duration,
                max_chars=int(getattr(self.settings, "cue_max_chars", CUE_MAX_CHARS)),
                progress=self._set_progress,
            )
            store_transcript(self.library, video.id, video.fingerprint, heard.cues)
            cue_vectors.fill(self.library, self.encoder)  # what was said, searchable by meaning too
        except (ContentChanged, TranscriberFailed) as exc:
            return Outcome(str(exc))
        except (DecodeError, ModelError) as exc:
            return Outcome(f"{path}: {exc}", permanent=True)
        finally:
            if not transcriber.alive:  # stopped (it hung) or dead: the next job starts a fresh one
                self._hearing = None
        log.info(
            "worker %s: %s: %s",
            self.worker_id,
            path,
            "no audio stream, nothing to transcribe" if heard.no_audio else f"{len(heard.cues)} line(s) heard",
        )
        return Outcome()

    def _transcriber(self, spec: str):  # noqa: ANN202 - a TranscriberProcess
        """This worker's transcriber process for ``spec`` (started, and its model loaded, on first use)."""
        from vidseek.said.transcriber_process import TranscriberProcess

        key = (spec, self.settings.device, self.settings.threads)
        if self._hearing is not None and (self._hearing.key != key or not self._hearing.alive):
            self.close_transcriber()
        if self._hearing is None:
            limit = self.settings.speech_window_limit
            self._hearing = TranscriberProcess(
                spec,
                device=self.settings.device,
                threads=self.settings.threads,
                load_timeout=max(limit, self.settings.speech_import_timeout),
                window_timeout=limit,
            )
        return self._hearing

    def close_transcriber(self) -> None:
        """Stop this worker's transcriber process, if it has one."""
        hearing, self._hearing = self._hearing, None
        if hearing is not None:
            hearing.close()

    def _video_id_of(self, path: str) -> int | None:
        """The id of the video indexed from ``path`` (stored by its real path, ``indexer.discover``); None
        for a folder or a file that is not indexed."""
        with self.library.sessions() as session:
            video = store.video_by_path(os.path.realpath(Path(path).expanduser()), session=session)
            return video.id if video is not None else None

    def _video_as_its_file(self, video_id: int | None) -> tuple[Video | None, Outcome | None]:
        """The indexed video of ``video_id`` as its file is now (indexed again first when the file
        changed: a job reads what the index describes), or None and why not."""
        video = self._video(video_id)
        if video is None:
            return None, Outcome(f"no indexed video has id {video_id}", permanent=True)
        path = Path(video.path)
        try:
            changed = not file_unchanged(video, path.stat())
        except OSError as exc:
            return None, Outcome(f"{path}: {cannot_read(exc)}", permanent=True)
        if changed:
            outcome = self._index(path, force=False)
            video = self._video(video_id) if outcome.error is None else None
            if video is None:
                return None, outcome if outcome.error else Outcome(f"{path} is no longer indexed", permanent=True)
        return video, None

    def _video(self, video_id: int | None) -> Video | None:
        with self.library.sessions() as session:
            return store.videos_by_ids([video_id], session=session).get(video_id) if video_id is not None else None
