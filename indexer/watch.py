"""Watching folders: poll them and queue jobs so the index follows the files.

``scan_once`` is one pass, without sleeping (tests call it directly); ``watch`` repeats it.

- A video file that is new, or whose size or mtime differ from its indexed row, gets an ``index``
  job, unless a job for it is already queued or running, or its last job failed on exactly this
  version of the file (same size and mtime: it would fail again; a change queues it anew).
- A file modified in the last ``settle`` seconds is left for the next pass (it may still be copying).
- An indexed video under a watched folder whose file is gone gets a ``delete`` job (once).
- A path that cannot be indexed (a symlink loop, a FIFO, a name that is not UTF-8, ...) is listed
  in ``problems`` on every pass and never queued; the watch goes on.

Which files count and the size+mtime test are the indexer's own (``discover.find_videos``, the
runner's skip rule); a touched file with the same content is queued, and the worker then only
records the new mtime.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from indexer.discover import find_videos, printable
from indexer.freshness import is_current
from indexer.said.sidecars import Sidecars
from vidseek.config import Settings
from vidseek.storage import index_meta, jobs, store
from vidseek.storage.clock import as_utc
from vidseek.storage.tables import Job

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    indexed: list[str] = field(default_factory=list)
    """Paths an ``index`` job was queued for."""
    deleted: list[str] = field(default_factory=list)
    """Paths of indexed videos a ``delete`` job was queued for."""
    job_ids: list[int] = field(default_factory=list)
    unchanged: int = 0
    waiting: int = 0
    """Files skipped because a job for them is queued or running, they are settling, or they failed as they are."""
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(path, reason) for each path that cannot be indexed, as ``discover.find_videos`` finds them."""

    @property
    def changed(self) -> bool:
        return bool(self.indexed or self.deleted)


def _tried_as_is(job: Job, st) -> bool:  # noqa: ANN001
    """Did this (failed) job see the file as it is now?"""
    tried = jobs.payload_of(job)
    if "size" in tried:
        return tried.get("size") == st.st_size and tried.get("mtime_ns") == st.st_mtime_ns
    finished = as_utc(job.finished_at)  # a job queued by someone else: compare times
    return finished is not None and finished.timestamp() >= st.st_mtime


def scan_once(
    roots: list[Path],
    *,
    session: Session,
    settings: Settings,
    settle: float = 2.0,
    max_attempts: int = 3,
    now: float | None = None,
) -> ScanResult:
    """One pass over ``roots``: queue what changed (commits). See the module doc for the rules."""
    roots = [Path(r).expanduser().resolve() for r in roots]
    now = time.time() if now is None else now
    result = ScanResult()
    files, problems = find_videos([r for r in roots if r.is_dir()])
    result.problems = [(printable(p), reason) for p, reason in problems]
    model = index_meta.get_meta("model", session=session)
    active_paths = jobs.active_job_paths(session=session)
    deleting = jobs.video_ids_with_active_jobs("delete", session=session)
    sidecars = Sidecars()
    for path in files:
        key = str(path)
        try:
            st = path.stat()
        except OSError:
            continue  # vanished between listing and stat: the next pass sees it gone
        video = store.video_by_path(key, session=session)
        # the indexer's own rule: it would skip the file
        if is_current(video, st, settings, model, sidecars=sidecars.signature(path)):
            result.unchanged += 1
            continue
        if key in active_paths or (settle > 0 and now - st.st_mtime < settle):
            result.waiting += 1
            continue
        # a failed transcribe job says nothing about whether the file can be indexed
        last = jobs.latest_job_for_path(key, session=session, kinds=("index", "reindex", "delete"))
        if last is not None and last.status == "failed" and _tried_as_is(last, st):
            result.waiting += 1
            continue
        job = jobs.enqueue(
            "index",
            session=session,
            path=key,
            max_attempts=max_attempts,
            payload={"size": st.st_size, "mtime_ns": st.st_mtime_ns, "source": "watch"},
        )
        active_paths.add(key)
        result.indexed.append(key)
        result.job_ids.append(job.id)
    for video in store.list_videos(session=session):
        path = Path(video.path)
        if not any(path.is_relative_to(r) for r in roots) or video.id in deleting:
            continue
        if not path.exists():
            job = jobs.enqueue(
                "delete",
                session=session,
                video_id=video.id,
                path=video.path,
                max_attempts=max_attempts,
                payload={"source": "watch"},
            )
            result.deleted.append(video.path)
            result.job_ids.append(job.id)
    session.commit()
    return result


def watch(
    roots: list[Path],
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    interval: float = 5.0,
    settle: float = 2.0,
    stop: threading.Event | None = None,
    on_scan: Callable[[ScanResult], None] = lambda result: None,
) -> None:
    """Scan every ``interval`` seconds until ``stop`` is set (or forever)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            with sessions() as session:
                on_scan(scan_once(roots, session=session, settings=settings, settle=settle))
        except Exception:  # noqa: BLE001 - a database hiccup must not end the watch
            log.exception("watch: scan failed; trying again in %g s", interval)
        stop.wait(interval)
