"""Transcribe jobs run by a worker, on SQLite and PostgreSQL: what the tone transcriber hears in a
generated video (tests/tone_transcriber.py) becomes that video's ``speech:`` cues, found by cue search
at the times it was said; re-runs replace, never duplicate; a sidecar re-read keeps the transcript, a
changed file drops it (and with VIDSEEK_TRANSCRIBE=auto queues a new job)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from media import Segment
from speech_media import Said, make_talking_video
from tone_transcriber import ToneTranscriber

from indexer.progress import Progress
from indexer.runner import Indexer
from indexer.said.transcription import ContentChanged, hear, store_transcript
from indexer.worker import Worker
from vidseek.config import Settings
from vidseek.said import cue_vectors, transcripts
from vidseek.storage import cue_store, jobs, store
from vidseek.storage.library import Library

TONES = "python:tone_transcriber:ToneTranscriber"
SOURCE = "speech:test:tones-v1"
FIRST = [Said(1.0, 2.0, "hello"), Said(3.5, 4.5, "deadline")]
SECOND = [Said(0.5, 1.5, "budget"), Said(4.0, 5.0, "tomorrow")]


def _said(said: list[Said]) -> list[tuple[float, float, str, str, str]]:
    return [(s.start, s.end, s.word, SOURCE, "en") for s in said]


def _cues(library: Library, video_id: int) -> list[tuple]:
    with library.sessions() as session:
        return [(c.start, c.end, c.text, c.source, c.lang) for c in cue_store.cues_of(video_id, session=session)]


def _index(settings: Settings, worker: Worker, paths: list[Path]):  # noqa: ANN202
    report = Indexer(settings, worker.library, worker.encoder, progress=lambda: Progress(False)).index(paths)
    assert report.failed == [], report.failed
    return report


def _video_id(library: Library, path: Path) -> int:
    with library.sessions() as session:
        return store.video_by_path(str(path), session=session).id


def _queue(library: Library, video_id: int, spec: str = TONES) -> int:
    with library.sessions() as session:
        video = store.videos_by_ids([video_id], session=session)[video_id]
        job = transcripts.queue_transcription(video, spec, session=session, source="test")
        session.commit()
        return job.id


def _job(library: Library, job_id: int):  # noqa: ANN202
    with library.sessions() as session:
        return jobs.get_job(job_id, session=session)


@pytest.fixture
def world(db_settings: Settings, tmp_path: Path):  # noqa: ANN201
    settings = db_settings.model_copy(update={"sample_fps": 1.0, "clip_seconds": 4.0, "clip_stride": 2.0})
    worker = Worker(settings, lease_seconds=5.0, poll_seconds=0.05, retry_base=0.01, save_interval=0)
    return settings, worker, tmp_path / "videos"


def test_a_transcribe_job_stores_what_was_said_and_a_rerun_gives_the_same_rows(world) -> None:  # noqa: ANN001
    settings, worker, folder = world
    path = make_talking_video(folder / "talk.mp4", [Segment("red", 6)], FIRST)
    _index(settings, worker, [path])
    video_id = _video_id(worker.library, path)
    assert _cues(worker.library, video_id) == []

    first = _queue(worker.library, video_id)
    assert worker.run(until_idle=True) == 1
    job = _job(worker.library, first)
    assert (job.status, job.error, job.progress, job.attempts) == ("done", None, 1.0, 1)
    assert _cues(worker.library, video_id) == _said(FIRST)
    with worker.library.sessions() as session:
        [hit] = cue_store.search_cues("deadline", 5, session=session)
        assert (hit.video_id, hit.start, hit.end, hit.source) == (video_id, 3.5, 4.5, SOURCE)
        assert cue_store.cue_counts([video_id], session=session) == {video_id: (0, 2)}

    with worker.library.sessions() as session:  # what was heard is embedded for search by meaning too
        assert cue_vectors.state(worker.encoder.name, session=session)[0] == len(FIRST)

    _queue(worker.library, video_id)  # again: the transcript is replaced, not added to
    worker.run(until_idle=True)
    assert _cues(worker.library, video_id) == _said(FIRST)
    with worker.library.sessions() as session:  # the old lines' vectors went with them
        assert cue_vectors.state(worker.encoder.name, session=session)[0] == len(FIRST)


def test_a_sidecar_reread_keeps_the_transcript_and_a_changed_file_drops_it(world) -> None:  # noqa: ANN001
    settings, worker, folder = world
    path = make_talking_video(folder / "talk.mp4", [Segment("red", 6)], FIRST)
    _index(settings, worker, [path])
    video_id = _video_id(worker.library, path)
    _queue(worker.library, video_id)
    worker.run(until_idle=True)

    (folder / "talk.en.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nOpening titles\n")
    assert _index(settings, worker, [path]).cues_reread == [str(path)]
    subtitle = (0.0, 1.0, "Opening titles", "sidecar:talk.en.srt", "en")
    assert sorted(_cues(worker.library, video_id)) == sorted([subtitle, *_said(FIRST)])

    assert _index(settings, worker, [path]).skipped == [str(path)]
    assert sorted(_cues(worker.library, video_id)) == sorted([subtitle, *_said(FIRST)])
    Indexer(settings, worker.library, worker.encoder, progress=lambda: Progress(False)).index([path], force=True)
    assert sorted(_cues(worker.library, video_id)) == sorted([subtitle, *_said(FIRST)]), "same content: kept"

    make_talking_video(folder / "new.mp4", [Segment("blue", 6)], SECOND)
    os.replace(folder / "new.mp4", path)
    assert _index(settings, worker, [path]).indexed == [str(path)]
    assert _cues(worker.library, video_id) == [subtitle], "the old sound's transcript is gone"


def test_with_auto_transcription_a_new_or_changed_video_without_subtitles_is_queued(world) -> None:  # noqa: ANN001
    settings, worker, folder = world
    auto = settings.model_copy(update={"transcribe": "auto", "speech_model": TONES})
    path = make_talking_video(folder / "talk.mp4", [Segment("red", 6)], FIRST)
    titled = make_talking_video(folder / "titled.mp4", [Segment("green", 6)], FIRST)
    (folder / "titled.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nhello\n")
    _index(auto, worker, [path, titled])
    with worker.library.sessions() as session:
        queued = jobs.active_jobs_of_kind("transcribe", session=session)
        assert [(j.video_id, jobs.payload_of(j)["model"]) for j in queued] == [(_video_id(worker.library, path), TONES)]
    worker.run(until_idle=True)
    video_id = _video_id(worker.library, path)
    assert _cues(worker.library, video_id) == _said(FIRST)

    _index(auto, worker, [path, titled])  # unchanged: nothing queued
    with worker.library.sessions() as session:
        assert jobs.active_jobs_of_kind("transcribe", session=session) == []
    make_talking_video(folder / "new.mp4", [Segment("blue", 6)], SECOND)
    os.replace(folder / "new.mp4", path)
    _index(auto, worker, [path])
    assert _cues(worker.library, video_id) == []
    worker.run(until_idle=True)
    assert _cues(worker.library, video_id) == _said(SECOND)

    no_model = settings.model_copy(update={"transcribe": "auto"})
    other = make_talking_video(folder / "other.mp4", [Segment("red", 6)], FIRST)
    report = _index(no_model, worker, [other])
    assert report.notes == [
        (
            str(other),
            "transcript: not queued: VIDSEEK_TRANSCRIBE=auto needs a speech model: set VIDSEEK_SPEECH_MODEL",
        )
    ]


def test_a_file_changed_since_it_was_indexed_is_indexed_again_then_heard(world) -> None:  # noqa: ANN001
    settings, worker, folder = world
    path = make_talking_video(folder / "talk.mp4", [Segment("red", 6)], FIRST)
    _index(settings, worker, [path])
    video_id = _video_id(worker.library, path)
    job_id = _queue(worker.library, video_id)
    make_talking_video(folder / "new.mp4", [Segment("blue", 6)], SECOND)
    shutil.move(folder / "new.mp4", path)
    worker.run(until_idle=True)
    assert _job(worker.library, job_id).status == "done"
    assert _video_id(worker.library, path) == video_id
    assert _cues(worker.library, video_id) == _said(SECOND)
    assert worker.library.index() is not None
    from search_api.search.engine import SearchEngine

    [hit] = SearchEngine(worker.library, worker.encoder).search("blue", limit=1).hits
    assert hit.video.id == video_id and hit.moment.score > 0.9, "its pictures were indexed again too"


def test_a_file_that_changes_while_it_is_heard_is_not_stored(world) -> None:  # noqa: ANN001
    settings, worker, folder = world
    path = make_talking_video(folder / "talk.mp4", [Segment("red", 6)], FIRST)
    _index(settings, worker, [path])
    video_id = _video_id(worker.library, path)
    with worker.library.sessions() as session:
        fingerprint = store.videos_by_ids([video_id], session=session)[video_id].fingerprint
    heard = hear(path, ToneTranscriber(), window_seconds=600, duration=6.0)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(ContentChanged, match="changed while it was transcribed"):
        store_transcript(worker.library, video_id, fingerprint, heard.cues)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(ContentChanged):
        store_transcript(worker.library, video_id, "another content", heard.cues)
    store_transcript(worker.library, video_id, fingerprint, heard.cues)
    assert _cues(worker.library, video_id) == _said(FIRST)


def test_no_sound_is_done_with_no_cues_and_bad_jobs_fail_once_with_the_reason(world) -> None:  # noqa: ANN001
    settings, worker, folder = world
    from media import make_video

    silent = make_video(folder / "silent.mp4", [Segment("red", 3)])
    talk = make_talking_video(folder / "talk.mp4", [Segment("red", 6)], FIRST)
    _index(settings, worker, [silent, talk])
    silent_id, talk_id = _video_id(worker.library, silent), _video_id(worker.library, talk)
    ok = _queue(worker.library, silent_id)
    with worker.library.sessions() as session:  # straight into the queue: _queue would answer the waiting job
        bad_spec, broken = (
            jobs.enqueue("transcribe", session=session, video_id=talk_id, payload={"model": spec}).id
            for spec in ("python:no_such_module:X", "python:tone_transcriber:BrokenTranscriber")
        )
        gone = jobs.enqueue("transcribe", session=session, video_id=424242, payload={"model": TONES}).id
        no_model = jobs.enqueue("transcribe", session=session, video_id=talk_id).id
        session.commit()
    worker.run(until_idle=True)
    assert (_job(worker.library, ok).status, _cues(worker.library, silent_id)) == ("done", [])
    errors = {}
    for job_id in (bad_spec, broken, gone, no_model):
        job = _job(worker.library, job_id)
        assert (job.status, job.attempts) == ("failed", 1), (job.status, job.error)
        errors[job_id] = job.error
    assert errors[bad_spec].startswith("cannot load speech model 'python:no_such_module:X': Cannot import module")
    assert "each line should be (start, end, text)" in errors[broken]
    assert errors[gone] == "no indexed video has id 424242"
    assert errors[no_model] == "a transcribe job needs a speech model: set VIDSEEK_SPEECH_MODEL"
    assert _cues(worker.library, talk_id) == []


def test_a_failed_transcribe_job_does_not_stop_the_watcher_indexing_the_changed_file(world) -> None:  # noqa: ANN001
    from indexer.watch import scan_once

    settings, worker, folder = world
    path = make_talking_video(folder / "talk.mp4", [Segment("red", 6)], FIRST)
    _index(settings, worker, [path])
    video_id = _video_id(worker.library, path)
    make_talking_video(folder / "new.mp4", [Segment("blue", 6)], SECOND)
    os.replace(folder / "new.mp4", path)
    job_id = _queue(worker.library, video_id, "python:no_such_module:X")
    worker.run(until_idle=True)
    assert _job(worker.library, job_id).status == "failed"
    with worker.library.sessions() as session:
        scanned = scan_once([folder], session=session, settings=settings, settle=0)
    assert len(scanned.job_ids) == 1, "the changed file is queued for indexing"


# -- hostile transcribers (tests/hostile_transcribers.py) ------------------------------------------

HOSTILE = "python:hostile_transcribers:"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""For what a transcriber does, whatever the database (the very long lines are stored on both)."""


def _transcriber_processes() -> list[int]:
    """Children of this process running a transcriber (``vidseek.said.transcriber_process``)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"vidseek.said.transcriber_process" in cmdline:
            found.append(int(entry.name))
    return found


def _strict_worker(worker: Worker, **speech: object) -> Worker:
    """A worker on ``worker``'s library, with these speech settings (2 s windows)."""
    settings = worker.settings.model_copy(update={"speech_window": 2.0, **speech})
    return Worker(
        settings, library=worker.library, encoders=worker.encoders, lease_seconds=5.0, poll_seconds=0.05, retry_base=60
    )


def _enqueue(library: Library, video_id: int, spec: str) -> int:
    with library.sessions() as session:
        job_id = jobs.enqueue("transcribe", session=session, video_id=video_id, payload={"model": spec}).id
        session.commit()
        return job_id


@SQLITE_ONLY
def test_a_transcriber_that_hangs_mid_file_is_stopped_its_job_fails_and_the_worker_moves_on(world) -> None:  # noqa: ANN001
    settings, worker, folder = world
    stuck = make_talking_video(folder / "stuck.mp4", [Segment("red", 6)], FIRST)
    talk = make_talking_video(folder / "talk.mp4", [Segment("blue", 6)], SECOND)
    _index(settings, worker, [stuck, talk])
    stuck_id, talk_id = _video_id(worker.library, stuck), _video_id(worker.library, talk)
    hung = _enqueue(worker.library, stuck_id, HOSTILE + "HangsOnSecondWindow")
    after = _enqueue(worker.library, talk_id, TONES)

    strict = _strict_worker(worker, speech_window_timeout=3.0)  # the first window takes milliseconds
    assert strict.run(until_idle=True) == 2
    job = _job(worker.library, hung)
    assert (job.status, job.attempts) == ("failed", 1), job.error
    assert "gave no answer within 3 s (VIDSEEK_SPEECH_WINDOW_TIMEOUT)" in job.error, job.error
    assert "hearing 2-4 s" in job.error and len(job.error) <= 200, job.error
    assert _cues(worker.library, stuck_id) == [], "nothing of a file half heard is stored"
    assert _job(worker.library, after).status == "done", "the worker went on to the next job"
    assert _cues(worker.library, talk_id) == _said(SECOND)
    assert _transcriber_processes() == [], "the stuck transcriber's process was stopped, the other one closed"


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("attr", "says"),
    [
        ("NotAListTranscriber", "returned 42, not a list of (start, end, text) lines"),
        ("RaisingLinesTranscriber", "returned lines that failed as they were read: RuntimeError: the decoder"),
        ("BrokenTranscriber", "each line should be (start, end, text)"),
    ],
)
def test_bad_output_fails_the_job_once_with_one_short_line(world, attr: str, says: str) -> None:  # noqa: ANN001
    settings, worker, folder = world
    talk = make_talking_video(folder / "talk.mp4", [Segment("red", 6)], FIRST)
    _index(settings, worker, [talk])
    video_id = _video_id(worker.library, talk)
    module = "tone_transcriber" if attr == "BrokenTranscriber" else "hostile_transcribers"
    job_id = _enqueue(worker.library, video_id, f"python:{module}:{attr}")
    _strict_worker(worker).run(until_idle=True)
    job = _job(worker.library, job_id)
    assert (job.status, job.attempts) == ("failed", 1), job.error
    assert says in job.error and len(job.error) <= 200 and "\n" not in job.error, job.error
    assert _cues(worker.library, video_id) == []


@SQLITE_ONLY
def test_a_transcriber_that_raises_is_retried_with_one_short_line(world) -> None:  # noqa: ANN001
    settings, worker, folder = world
    talk = make_talking_video(folder / "talk.mp4", [Segment("red", 6)], FIRST)
    _index(settings, worker, [talk])
    job_id = _enqueue(worker.library, _video_id(worker.library, talk), HOSTILE + "RaisingTranscriber")
    _strict_worker(worker).run(until_idle=True)
    job = _job(worker.library, job_id)
    assert (job.status, job.attempts) == ("queued", 1), "perhaps a passing failure (memory): tried again later"
    assert job.error.startswith("the transcriber raised RuntimeError: CUDA out of memory"), job.error
    assert len(job.error) <= 200, job.error


def test_very_long_marked_up_text_is_made_plain_and_cut_to_the_cue_cap(world) -> None:  # noqa: ANN001
    from hostile_transcribers import LONG_WORDS

    settings, worker, folder = world
    talk = make_talking_video(folder / "talk.mp4", [Segment("red", 3)], FIRST[:1])
    _index(settings, worker, [talk])
    video_id = _video_id(worker.library, talk)
    job_id = _enqueue(worker.library, video_id, HOSTILE + "VeryLongTranscriber")
    _strict_worker(worker, speech_window=600.0).run(until_idle=True)
    job = _job(worker.library, job_id)
    assert (job.status, job.error) == ("done", None)
    [(start, end, text, source, _)] = _cues(worker.library, video_id)
    assert (start, end, source) == (0.5, 1.5, "speech:test:very-long")
    words = text.split(" ")
    assert "<" not in text and ">" not in text
    assert 800 <= len(text) <= 1000, "cut to the per-cue cap, 1,000 characters"
    assert words == [f"word{i}" for i in range(len(words))] and len(words) < LONG_WORDS, "whole words, in order"


@SQLITE_ONLY
@pytest.mark.parametrize(("kind", "says"), [("raises", "RuntimeError: no speech device"), ("syntax", "SyntaxError")])
def test_a_speech_model_module_that_fails_as_it_is_imported_fails_its_job_once(
    world: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, says: str
) -> None:
    from hostile_transcribers import write_import_hostile

    settings, worker, folder = world
    monkeypatch.syspath_prepend(str(tmp_path / "modules"))
    spec = write_import_hostile(tmp_path / "modules", kind)
    talk = make_talking_video(folder / "talk.mp4", [Segment("red", 3)], FIRST[:1])
    _index(settings, worker, [talk])
    job_id = _enqueue(worker.library, _video_id(worker.library, talk), spec)
    _strict_worker(worker).run(until_idle=True)
    job = _job(worker.library, job_id)
    assert (job.status, job.attempts) == ("failed", 1), job.error
    assert job.error.startswith(f"cannot load speech model '{spec}': Cannot import module"), job.error
    assert says in job.error and len(job.error) <= 200, job.error


@SQLITE_ONLY
def test_a_speech_model_module_that_never_finishes_importing_fails_its_job(
    world: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hostile_transcribers import write_import_hostile

    settings, worker, folder = world
    monkeypatch.syspath_prepend(str(tmp_path / "modules"))
    spec = write_import_hostile(tmp_path / "modules", "hangs")
    talk = make_talking_video(folder / "talk.mp4", [Segment("red", 3)], FIRST[:1])
    _index(settings, worker, [talk])
    job_id = _enqueue(worker.library, _video_id(worker.library, talk), spec)
    _strict_worker(worker, speech_window_timeout=2.0, speech_import_timeout=1.0).run(until_idle=True)
    job = _job(worker.library, job_id)
    assert (job.status, job.attempts) == ("failed", 1), job.error
    assert "the transcriber did not load within 2 s; it was stopped" in job.error, job.error
    assert _transcriber_processes() == []
