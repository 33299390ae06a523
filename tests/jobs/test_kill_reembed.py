"""Crash safety of re-embedding: a `vidseek worker` running a re-embed job is SIGKILLed again and
again. After every kill the library holds one model only (every video, frame row, the FAISS file
and the recorded model agree), SQL and FAISS match, and what was staged is kept, so the job
resumes instead of starting over. An unkilled worker then finishes it and search uses the new model.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

from media import Segment, make_video
from sqlalchemy import select

from indexer.worker import Worker
from search_api.search.engine import SearchEngine
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage import index_meta, jobs, staging
from vidseek.storage.library import Library
from vidseek.storage.tables import FrameVectors, Video

from .conftest import VIDSEEK, check_consistency, worker_env
from .test_kill import _copy_for_check, _running_on

WIDE = "python:colour_encoder:WideColourEncoder"
KILLS = 6
LEASE = 1.0
COLOURS = {"a": "red", "b": "green", "c": "blue", "d": "yellow", "e": "magenta", "f": "cyan"}


def _one_model(settings: Settings) -> tuple[str, int]:
    """The recorded model, after checking every video and frame row is of it; and how many are staged."""
    library = Library(settings, notify=lambda m: None)
    with library.sessions() as session:
        model, dim = index_meta.get_meta("model", session=session), int(index_meta.get_meta("dim", session=session))
        assert {v.model_name for v in session.scalars(select(Video))} == {model}
        assert set(session.scalars(select(FrameVectors.dim))) == {dim}
        staged, _ = staging.staged_counts("test:colour-wide", session=session)
    index = library.index()
    assert index is not None and index.dim == dim
    return model, staged


def _staged(sessions) -> int:  # noqa: ANN001
    """Videos the running re-embed has staged so far."""
    with sessions() as session:
        return staging.staged_counts("test:colour-wide", session=session)[0]


def test_sigkilled_reembed_keeps_one_model_and_resumes(db_settings: Settings, tmp_path: Path) -> None:
    # every frame embedded (no near-duplicate skipping): staging must take long enough for kills to land in it
    settings = db_settings.model_copy(
        update={"sample_fps": 4.0, "clip_seconds": 4.0, "clip_stride": 2.0, "skip_similar": 0.0}
    )
    folder = tmp_path / "videos"
    files = [
        make_video(folder / f"{name}.mp4", [Segment(colour, 15), Segment("white", 15)])
        for name, colour in COLOURS.items()
    ]
    setup = Worker(settings, lease_seconds=LEASE, poll_seconds=0.05, save_interval=0)
    t0 = time.monotonic()
    setup._indexer.index(files)
    stage_seconds = time.monotonic() - t0  # about how long staging everything takes here, now
    with setup.library.sessions() as session:
        job_id = jobs.enqueue("reembed", session=session, payload={"model": WIDE}, max_attempts=50).id
        session.commit()
    sessions = setup.library._sessions

    env = worker_env(settings)
    env.update({"VIDSEEK_SAMPLE_FPS": "4", "VIDSEEK_CLIP_SECONDS": "4", "VIDSEEK_CLIP_STRIDE": "2"})
    env["VIDSEEK_SKIP_SIMILAR"] = "0"
    cmd = [*VIDSEEK, "worker", "--lease", str(LEASE), "--poll", "0.05"]
    rng = random.Random(4321)
    seen = []
    for kill in range(KILLS):
        with sessions() as session:
            if jobs.get_job(job_id, session=session).status == "done":
                break
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not _running_on(sessions, proc.pid) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        if kill == KILLS - 1 and not any(staged for model, staged in seen if model == "test:colour-v1"):
            # every kill so far landed before staging began (a slow start on a busy machine): the last
            # one waits for some staging, so a kill after staging is always among them
            deadline = time.monotonic() + 30
            while not _staged(sessions) and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.6 * stage_seconds))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        copy = _copy_for_check(settings, tmp_path / "check")
        check_consistency(copy)
        seen.append(_one_model(copy))
        with sessions() as session:
            assert jobs.get_job(job_id, session=session).status != "failed"

    staged_before_switch = [staged for model, staged in seen if model == "test:colour-v1"]
    assert staged_before_switch == sorted(staged_before_switch), "staged videos were lost by a kill"
    assert any(staged > 0 for staged in staged_before_switch), "no kill landed after some staging"

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with sessions() as session:
            job = jobs.get_job(job_id, session=session)
        if job.status in ("done", "failed"):
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=30)[1]
    print(f"\nre-embed under {len(seen)} SIGKILLs: (model, staged) after each: {seen}; attempts {job.attempts}")
    assert job.status == "done", (job.status, job.error, err)
    assert _one_model(settings) == ("test:colour-wide", 0)
    final = check_consistency(settings)
    assert final["videos"] == len(files)
    engine = SearchEngine(Library(settings, notify=lambda m: None), load_encoder(WIDE))
    for name, colour in COLOURS.items():
        hit = engine.search(colour, limit=1).hits[0]
        assert Path(hit.video.path).stem == name and hit.moment.start == 0.0 and hit.moment.score > 0.9
    shutil.rmtree(tmp_path / "check", ignore_errors=True)
