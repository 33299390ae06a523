"""Queueing read-text jobs (``vidseek read-text``, ``POST /api/videos/{id}/read-text``): which videos
want their shown text read, and the job for one. A read-text job reads an indexed video's picture with
the OCR model and stores the lines as its shown lines, without embedding anything again; its payload
holds the fingerprint of the content it was queued for."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from vidseek.storage import jobs
from vidseek.storage.tables import Job, Video

KIND = "read-text"


def read_contents(*, session: Session) -> set[tuple[int, str]]:
    """(video id, fingerprint) of the content each finished read-text job was queued for."""
    rows = session.execute(select(Job.video_id, Job.payload).where(Job.kind == KIND, Job.status == "done"))
    return {(video_id, json.loads(payload or "{}").get("fingerprint")) for video_id, payload in rows}


def wants_reading(shown_lines: int, *, force: bool = False, read: bool = False) -> bool:
    """Should a video with ``shown_lines`` be read? By default only one without any, whose content no
    read-text job has read yet (``read``: one did, and found no text)."""
    return force or (shown_lines == 0 and not read)


def queue_reading(video: Video, *, session: Session, source: str) -> Job:
    """The read-text job for ``video``: the one already waiting to start, else a new one (the caller commits)."""
    return jobs.enqueue_for_video(
        KIND,
        video.id,
        video.path,
        {"source": source, "title": video.title, "fingerprint": video.fingerprint},
        session=session,
    )


def being_read(*, session: Session) -> set[int]:
    """The videos a read-text job is queued or running for."""
    return jobs.video_ids_with_active_jobs(KIND, session=session)
