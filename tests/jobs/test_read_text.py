"""On-screen text on SQLite and PostgreSQL with the real PP-OCRv4 model: a library indexed without OCR
is read by a read-text job without being embedded again; what it read is found by the words shown
(``modality=shown``, ``matched: ["shown"]``, the quote, its seconds), fused in ``all``, never by
``speech``; its subtitles are kept, and a subtitle re-read keeps the shown lines. (Reading while
indexing: tests/unit/indexer/shown/test_text_reading.py; a shown write replacing only shown lines:
tests/unit/vidseek/storage/test_write_cues.py.)"""

from __future__ import annotations

import shutil

from shown_media import lower_third_video

from indexer.progress import Progress
from indexer.runner import Indexer
from indexer.worker import Worker
from search_api.http.schemas import TextSearch
from search_api.search.engine import SearchEngine
from search_api.search.hits import signals_key
from vidseek.shown import reading_jobs
from vidseek.storage import cue_store, store

SRT = "1\n00:00:00,500 --> 00:00:01,500\nwelcome to the meeting\n"


def _cues(worker: Worker, video_id: int) -> list[tuple]:
    with worker.library.sessions() as session:
        return sorted((c.source, c.text) for c in cue_store.cues_of(video_id, session=session))


def _search(worker: Worker, q: str, modality: str):  # noqa: ANN202
    page = SearchEngine(worker.library, worker.encoder).page(q, TextSearch(q=q, modality=modality))
    return page.hits, page.signals


def test_a_read_text_job_makes_an_indexed_video_searchable_by_the_text_it_shows(db_settings, tmp_path) -> None:
    settings = db_settings.model_copy(update={"sample_fps": 1.0})
    worker = Worker(settings, lease_seconds=5.0, poll_seconds=0.05, retry_base=0.01, save_interval=0)
    path = tmp_path / "videos" / "council.mp4"
    path.parent.mkdir(parents=True)
    shutil.copy(lower_third_video(), path)
    path.with_suffix(".srt").write_text(SRT)
    indexer = Indexer(settings, worker.library, worker.encoder, progress=lambda: Progress(False))
    assert indexer.index([path]).failed == []
    with worker.library.sessions() as session:
        video = store.video_by_path(str(path), session=session)
        clips_before = store.clip_ids_of([video.id], session=session)
        reading_jobs.queue_reading(video, session=session, source="test")
        session.commit()
    assert _search(worker, "Lopez", "shown")[0] == []

    assert worker.run(until_idle=True) == 1
    read = _cues(worker, video.id)
    assert ("shown:PP-OCRv4", "Maria Lopez") in read and ("sidecar:council.srt", "welcome to the meeting") in read
    with worker.library.sessions() as session:
        assert store.clip_ids_of([video.id], session=session) == clips_before  # nothing embedded again
        assert (video.id, video.fingerprint) in reading_jobs.read_contents(session=session)
        assert cue_store.cue_counts([video.id], session=session)[video.id] == (1, 0)  # shown lines are not said

    hits, signals = _search(worker, "Lopez", "shown")
    assert hits and hits[0].video.id == video.id
    top = signals[signals_key(hits[0])]
    assert top.matched == ("shown",) and "Lopez" in top.quote
    assert abs(hits[0].moment.start - 1.0) <= 1.0 and abs(hits[0].moment.end - 4.0) <= 1.0
    assert _search(worker, "Lopez", "speech")[0] == []
    assert _search(worker, "meeting", "shown")[0] == []  # said, not shown
    hits, signals = _search(worker, "Lopez", "all")
    assert any("shown" in signals[signals_key(h)].matched for h in hits)  # fused with what is seen

    path.with_suffix(".srt").write_text(SRT.replace("welcome to the meeting", "the vote is tomorrow"))
    assert indexer.index([path]).cues_reread == [str(path)]
    assert _cues(worker, video.id) == sorted(
        [c for c in read if c[0] != "sidecar:council.srt"] + [("sidecar:council.srt", "the vote is tomorrow")]
    )
