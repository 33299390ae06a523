"""A transcribe job survives killed workers: `vidseek worker` processes SIGKILLed in the middle of
hearing a video leave no cue behind, the job is taken again once the lease runs out, and an unkilled
worker completes it with exactly one set of transcript cues. On SQLite and PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from media import Segment
from speech_media import Said, make_talking_video
from sqlalchemy import select

from indexer.progress import Progress
from indexer.runner import Indexer
from indexer.worker import Worker
from vidseek.config import Settings
from vidseek.said import transcripts
from vidseek.storage import cue_store, jobs, store
from vidseek.storage.tables import Job

from .conftest import VIDSEEK, worker_env

LEASE = 1.0
SAID = [Said(0.5, 1.5, "hello"), Said(6.5, 7.5, "deadline"), Said(14.5, 15.5, "budget"), Said(18.2, 19.6, "tomorrow")]
"""Each inside one 2 s window (a word across a window edge would be heard as two pieces)."""
SLOW = "python:tone_transcriber:SlowToneTranscriber"
"""0.35 s per 2 s window: hearing the 20 s video takes 3.5 s."""


def _job(sessions, job_id: int) -> Job:  # noqa: ANN001
    with sessions() as session:
        return jobs.get_job(job_id, session=session)


def _wait_mid_job(sessions, job_id: int, proc: subprocess.Popen) -> None:  # noqa: ANN001
    """Until ``proc`` runs the job and has heard part of the video (progress recorded by its heartbeat)."""
    deadline = time.monotonic() + 60  # start-up is slow on a loaded machine
    while time.monotonic() < deadline and proc.poll() is None:
        job = _job(sessions, job_id)
        if job.status == "running" and f":{proc.pid}:" in (job.worker or "") and job.progress > 0:
            return
        time.sleep(0.02)
    raise AssertionError(f"worker {proc.pid} never got into the job ({proc.poll()=})")


def test_a_transcribe_job_killed_mid_way_is_taken_again_and_stores_one_transcript(
    db_settings: Settings, tmp_path: Path
) -> None:
    settings = db_settings.model_copy(update={"sample_fps": 1.0, "clip_seconds": 4.0, "clip_stride": 2.0})
    path = make_talking_video(tmp_path / "videos" / "talk.mp4", [Segment("red", 20)], SAID)
    setup = Worker(settings, lease_seconds=LEASE, save_interval=0)
    Indexer(settings, setup.library, setup.encoder, progress=lambda: Progress(False)).index([path])
    sessions = setup.library._sessions
    with sessions() as session:
        video = store.video_by_path(str(path), session=session)
        job_id = transcripts.queue_transcription(video, SLOW, session=session, source="test").id
        session.commit()
        video_id = video.id

    env = {**worker_env(settings), "VIDSEEK_SPEECH_WINDOW": "2"}
    cmd = [*VIDSEEK, "worker", "--lease", str(LEASE), "--poll", "0.05"]
    for kill in range(2):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_mid_job(sessions, job_id, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        job = _job(sessions, job_id)
        assert (job.status, job.attempts) == ("running", kill + 1), "left running by a dead worker"
        with sessions() as session:
            assert cue_store.cues_of(video_id, session=session) == [], (
                "nothing is written before the whole file is heard"
            )

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _job(sessions, job_id).status != "done":
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=30)[1]
    job = _job(sessions, job_id)
    assert (job.status, job.attempts, job.error) == ("done", 3, None), err
    with sessions() as session:
        cues = [(c.start, c.end, c.text, c.source) for c in cue_store.cues_of(video_id, session=session)]
        assert session.scalar(select(Job.id).where(Job.status != "done")) is None
        [hit] = cue_store.search_cues("budget", 5, session=session)
    assert cues == [(s.start, s.end, s.word, "speech:test:tones-v1") for s in SAID]
    assert (hit.video_id, hit.start, hit.end) == (video_id, 14.5, 15.5)
