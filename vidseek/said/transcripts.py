"""Queueing transcribe jobs (``vidseek transcribe``, ``POST /api/videos/{id}/transcribe``, and the
indexer with ``VIDSEEK_TRANSCRIBE=auto``): which videos want a transcript, and the job for one.

A transcribe job is about one video (``video_id``, ``path``); its payload holds the speech model's
canonical spec (``model``: a worker loads that one, whatever its own ``VIDSEEK_SPEECH_MODEL``) and the
fingerprint of the content it was queued for.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from vidseek.storage import jobs
from vidseek.storage.tables import Job, Video

KIND = "transcribe"


def wants_transcript(counts: tuple[int, int] | None, *, force: bool = False, heard: bool = False) -> bool:
    """Should a video with these (subtitle cues, transcript cues) be transcribed? By default only one
    with neither, and whose content no transcribe job has heard yet (``heard``: one did, and heard
    nothing, a silent film say): subtitles already say what is said, and a transcript is kept until
    its file changes."""
    subtitles, transcript = counts or (0, 0)
    return force or (subtitles == 0 and transcript == 0 and not heard)


def heard_contents(*, session: Session) -> set[tuple[int, str]]:
    """(video id, fingerprint) of the content each finished transcribe job was queued for."""
    rows = session.execute(select(Job.video_id, Job.payload).where(Job.kind == KIND, Job.status == "done"))
    return {(video_id, json.loads(payload or "{}").get("fingerprint")) for video_id, payload in rows}


def queue_transcription(video: Video, spec: str, *, session: Session, source: str, **payload: object) -> Job:
    """The transcribe job for ``video``: the one already waiting to start, else a new one (the caller
    commits). ``spec``: the speech model's canonical spec (``SpeechSource.spec``)."""
    return jobs.enqueue_for_video(
        KIND,
        video.id,
        video.path,
        {"source": source, "model": spec, "title": video.title, "fingerprint": video.fingerprint, **payload},
        session=session,
    )


def being_transcribed(*, session: Session) -> set[int]:
    """The videos a transcribe job is queued or running for."""
    return jobs.video_ids_with_active_jobs(KIND, session=session)
