"""Crash safety: `vidseek worker` processes killed with SIGKILL at random moments, again and again.

After every kill the data dir is copied and opened as a restarted process would open it: the
database must hold whole videos only, and the FAISS index exactly the SQL clips. At the end an
unkilled worker finishes the queue: every job done, and search answers as if nothing happened.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from media import Segment, make_video
from sqlalchemy import select

from indexer.worker import Worker
from search_api.search.engine import SearchEngine
from vidseek.config import Settings
from vidseek.storage import jobs, store
from vidseek.storage.tables import Job

from .conftest import VIDSEEK, check_consistency, worker_env

KILLS = int(os.environ.get("VIDSEEK_TEST_KILLS", "10"))
"""Kills per backend; raise it for a soak run."""
REINDEX_ROUNDS = 4
LEASE = 1.0
COLOURS = {"a": "red", "b": "green", "c": "blue", "d": "yellow", "e": "magenta", "f": "cyan", "g": "black"}


@pytest.fixture(scope="module")
def long_videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Videos long enough (40 s each, 4 frames/s sampled) that a job takes a few hundred ms."""
    root = tmp_path_factory.mktemp("kill-videos")
    out = {
        name: make_video(root / f"{name}.mp4", [Segment(colour, 20), Segment("white", 20)])
        for name, colour in COLOURS.items()
    }
    out["g2"] = make_video(root / "g2.mp4", [Segment("white", 10), Segment("red", 20), Segment("white", 10)])
    return out


def _running_on(sessions, pid: int) -> bool:  # noqa: ANN001
    with sessions() as session:
        return session.scalar(select(Job.id).where(Job.status == "running", Job.worker.like(f"%:{pid}:%"))) is not None


def _copy_for_check(settings: Settings, where: Path) -> Settings:
    """The data dir as a restarted process finds it (copied: the check must not repair the real one).

    Copied by a child process: this process holds SQLite connections to the database, and closing
    any file descriptor of a file drops every POSIX lock the process holds on it. A copy made here
    would drop SQLite's locks on the WAL index, the next worker would take the database for unused
    and truncate that index, and this process would die of SIGBUS in its mapped view of it.
    """
    shutil.rmtree(where, ignore_errors=True)
    subprocess.run(["cp", "-a", str(settings.data_dir), str(where)], check=True)
    url = settings.database_url
    if url and url.startswith("sqlite"):
        url = f"sqlite:///{where / 'vidseek.db'}"
    return settings.model_copy(update={"data_dir": where, "database_url": url})


def test_sigkilled_workers_leave_no_orphans_no_half_videos_and_every_job_done(
    db_settings: Settings, tmp_path: Path, long_videos: dict[str, Path]
) -> None:
    settings = db_settings.model_copy(update={"sample_fps": 4.0, "clip_seconds": 4.0, "clip_stride": 2.0})
    folder = tmp_path / "videos"
    folder.mkdir()
    files = {name: Path(shutil.copy(src, folder / src.name)) for name, src in long_videos.items() if name != "g2"}

    # Before: a, b, c, d and g are indexed. Then g's file changes. The queue: index three files
    # (one new content), delete one video, and force-reindex three others again and again (work
    # enough for every kill to land in a job).
    setup = Worker(settings, lease_seconds=LEASE, poll_seconds=0.05, save_interval=0)
    t0 = time.monotonic()
    setup._indexer.index([files[name] for name in ("a", "b", "c", "d", "g")])
    job_seconds = (time.monotonic() - t0) / 5  # about how long one job runs, on this machine, now
    shutil.copy(long_videos["g2"], files["g"])
    with setup.library.sessions() as session:
        ids = {Path(v.path).stem: v.id for v in store.list_videos(session=session)}
        for name in ("e", "f", "g"):
            jobs.enqueue("index", session=session, path=str(files[name]), max_attempts=50)
        jobs.enqueue("delete", session=session, video_id=ids["b"], max_attempts=50)
        for _round in range(REINDEX_ROUNDS):
            for name in ("a", "c", "d"):
                jobs.enqueue("reindex", session=session, video_id=ids[name], max_attempts=50)
        session.commit()
        n_jobs = len(jobs.list_jobs(session=session, limit=1000))
    sessions = setup.library._sessions

    env = worker_env(settings)
    env.update({"VIDSEEK_SAMPLE_FPS": "4", "VIDSEEK_CLIP_SECONDS": "4", "VIDSEEK_CLIP_STRIDE": "2"})
    cmd = [*VIDSEEK, "worker", "--lease", str(LEASE), "--poll", "0.05"]
    rng = random.Random(1234)
    mid_job = 0
    checks, check_seconds, done_after = [], [], []
    started = time.monotonic()
    for i in range(KILLS):
        with sessions() as session:  # keep work queued, so every kill has a job to land in
            if jobs.counts(session=session)["queued"] < 3:
                for name in ("a", "c", "d"):
                    jobs.enqueue("reindex", session=session, video_id=ids[name], max_attempts=50)
                session.commit()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i % 3:  # wait until it is inside a job, then kill it somewhere in that job
            deadline = time.monotonic() + 30  # start-up is slow on a loaded machine
            while not _running_on(sessions, proc.pid) and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.8 * job_seconds))
        else:  # anywhere: starting up, claiming, decoding, committing, saving
            time.sleep(rng.uniform(0.1, 1.6))
        mid_job += _running_on(sessions, proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        t0 = time.monotonic()
        checks.append(check_consistency(_copy_for_check(settings, tmp_path / "check")))
        check_seconds.append(time.monotonic() - t0)
        with sessions() as session:
            counts = jobs.counts(session=session)
        assert counts["failed"] == 0
        done_after.append(counts["done"])

    with sessions() as session:
        n_jobs = len(jobs.list_jobs(session=session, limit=1000))
    # An unkilled worker finishes the queue; jobs left running by killed workers resume after the lease.
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = [proc.stderr.readline()]
    while "waiting for jobs" not in log[-1] and log[-1]:  # up, with its signal handlers
        log.append(proc.stderr.readline())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with sessions() as session:
            counts = jobs.counts(session=session)
        if counts["done"] == n_jobs:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    err = "".join(log) + proc.communicate(timeout=30)[1]
    elapsed = time.monotonic() - started
    print(
        f"\n{settings.sqlalchemy_url.split(':')[0]}: {KILLS} SIGKILLs ({mid_job} inside a job), "
        f"jobs done after each kill: {done_after} of {n_jobs}; "
        f"videos/clips: {sorted({(c['videos'], c['clips']) for c in checks})}; "
        f"checks took {sum(check_seconds):.1f} s; all done in {elapsed:.1f} s"
    )
    assert counts == {"queued": 0, "running": 0, "done": n_jobs, "failed": 0}, (counts, err)
    assert proc.returncode == 0, err
    assert mid_job >= KILLS // 2, "most kills should land inside a job"

    final = check_consistency(settings)
    assert final["videos"] == 6
    with sessions() as session:
        attempts = [j.attempts for j in jobs.list_jobs(session=session)]
        paths = sorted(Path(v.path).stem for v in store.list_videos(session=session))
    assert paths == ["a", "c", "d", "e", "f", "g"], "b deleted, the rest indexed once each"
    assert max(attempts) > 1, "some job was resumed after its worker died"
    print(f"jobs resumed after a kill: {sum(a > 1 for a in attempts)}, most attempts: {max(attempts)}")
    reader = Worker(settings, lease_seconds=LEASE, save_interval=0)
    engine = SearchEngine(reader.library, reader.encoder)
    for name in ("a", "c", "d", "e", "f"):
        hit = engine.search(COLOURS[name], limit=1).hits[0]
        assert Path(hit.video.path).stem == name and hit.moment.score > 0.9
        assert hit.moment.start == 0.0 and 18.0 <= hit.moment.end <= 21.0
    red = sorted(
        (Path(h.video.path).stem, h.moment.start) for h in engine.search("red", limit=5).hits if h.moment.score > 0.9
    )
    assert red == [("a", 0.0), ("g", 10.0)], "g's new content replaced its old clips"
    assert [h for h in engine.search("green", limit=5).hits if h.moment.score > 0.9] == []
