"""Data access on SQLite and PostgreSQL: writing, replacing and deleting a video's rows, the
generation and its change rows, clip vectors by id, the frame windows grounding reads (one or many
in a statement) and the clips centred on moments."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from sql_statements import frame_reads, statements_sent
from sqlalchemy.orm import Session

from vidseek.errors import ModelMismatchError
from vidseek.storage import frame_store, index_meta, store
from vidseek.storage.db import open_sessions

DIM = 4


def record(path: str, **overrides) -> store.VideoRecord:  # noqa: ANN003
    fields = dict(
        path=path,
        title=path.rsplit("/", 1)[-1],
        size=10,
        mtime_ns=1,
        fingerprint="f",
        duration=6.0,
        fps=25.0,
        width=64,
        height=48,
        codec="h264",
        model_name="m",
        sample_fps=1.0,
        clip_seconds=2.0,
        clip_stride=2.0,
    )
    return store.VideoRecord(**{**fields, **overrides})


def frames(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return np.arange(n, dtype=np.float64) + 0.5, vectors


def write(session: Session, path: str, n: int = 6, seed: int = 0) -> tuple[int, list[int], list[int], np.ndarray]:
    times, vectors = frames(n, seed)
    windows = [(i, i + 1, float(i), float(i + 2)) for i in range(0, n - 1, 2)]
    clips = np.stack([vectors[a : b + 1].mean(0) for a, b, _, _ in windows])
    video_id, new, removed = store.replace_video(record(path), times, vectors, windows, clips, session=session)
    session.commit()
    return video_id, new, removed, vectors


@pytest.fixture
def session(database_url: str, data_dir) -> Iterator[Session]:  # noqa: ANN001
    data_dir.mkdir(parents=True, exist_ok=True)
    factory = open_sessions(database_url)
    with factory() as s:
        store.claim_model("m", DIM, session=s)
        s.commit()
        yield s
    factory.kw["bind"].dispose()


def test_replacing_a_video_keeps_its_id_and_records_what_changed(session: Session) -> None:
    vid, first_clips, removed, _ = write(session, "/v/a.mp4", seed=1)
    assert removed == [] and len(first_clips) == 3 and store.generation(session=session) == 1
    again, second_clips, removed, vectors = write(session, "/v/a.mp4", n=4, seed=2)
    assert again == vid and sorted(removed) == sorted(first_clips)
    assert not set(second_clips) & set(first_clips)  # clip ids are never reused
    assert store.changes_since(0, 2, session=session)[1].tolist() == sorted(second_clips)  # added and still there
    gone, new = store.changes_since(1, 2, session=session)
    assert gone.tolist() == sorted(first_clips) and new.tolist() == sorted(second_clips)
    times, stored = frame_store.frames_of(vid, session=session)
    assert times.tolist() == [0.5, 1.5, 2.5, 3.5] and np.array_equal(stored, vectors)
    assert store.count_clips(session=session) == 2 and store.totals(session=session)["videos"] == 1


def test_a_missing_change_row_means_compare_every_id(session: Session) -> None:
    write(session, "/v/a.mp4")
    assert store.changes_since(0, 1, session=session) is not None
    assert store.changes_since(0, 5, session=session) is None  # generations 2..5 have no rows
    assert [len(a) for a in store.changes_since(3, 3, session=session)] == [0, 0]


def test_deleting_videos_removes_their_rows_and_moves_the_generation(session: Session) -> None:
    a, a_clips, _, _ = write(session, "/v/a.mp4", seed=1)
    b, b_clips, _, _ = write(session, "/v/b.mp4", seed=2)
    assert sorted(store.delete_videos([a], session=session)) == sorted(a_clips)
    session.commit()
    assert store.all_clip_ids(session=session).tolist() == sorted(b_clips)
    assert [v.path for v in store.list_videos(session=session)] == ["/v/b.mp4"]
    assert frame_store.frames_of(a, session=session)[0].size == 0
    assert store.generation(session=session) == 3
    assert store.delete_videos([], session=session) == [] and store.generation(session=session) == 3


def test_clip_vectors_by_id_skip_ids_that_are_gone(session: Session) -> None:
    _, clips, _, frame_vectors = write(session, "/v/a.mp4")
    ids, vectors = store.clip_vectors_by_ids(np.array([clips[2], 10**9, clips[0]]), session=session, block=2)
    assert sorted(ids.tolist()) == [clips[0], clips[2]] and vectors.shape == (2, DIM)
    by_id = dict(zip(ids.tolist(), vectors))
    assert np.allclose(by_id[clips[0]], frame_vectors[0:2].mean(0))  # each vector beside its own id
    blocks = list(store.iter_clip_vectors(session=session, block=2))
    assert [b[0].tolist() for b in blocks] == [clips[:2], clips[2:]]


def test_clip_frames_say_where_each_clip_lies_and_skip_ids_that_are_gone(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, a_clips, _, _ = write(session, "/v/a.mp4", n=6)
    b, b_clips, _, _ = write(session, "/v/b.mp4", n=4)
    expected = {a_clips[0]: (a, 0, 1), a_clips[2]: (a, 4, 5), b_clips[1]: (b, 2, 3)}
    asked = [a_clips[2], 10**9, b_clips[1], a_clips[0]]
    assert frame_store.clip_frames(asked, session=session) == expected
    monkeypatch.setattr(frame_store, "CLIP_FRAMES_PER_STATEMENT", 2)
    sent: list[str] = []  # run on the driver's own cursor, so counted there
    run = frame_store._driver_rows
    monkeypatch.setattr(
        frame_store, "_driver_rows", lambda raw, statement, p: sent.append(statement) or run(raw, statement, p)
    )
    assert frame_store.clip_frames(asked, session=session) == expected
    assert len(sent) == 2
    assert frame_store.clip_frames([], session=session) == {}


def test_frame_window_reads_just_those_frames_clamped(session: Session) -> None:
    vid, _, _, vectors = write(session, "/v/a.mp4", n=6)
    times, window = frame_store.frame_window(vid, 2, 4, dim=DIM, session=session)
    assert times.tolist() == [2.5, 3.5, 4.5] and np.array_equal(window, vectors[2:5])
    times, window = frame_store.frame_window(vid, -3, 99, dim=DIM, session=session)  # clamped to the video
    assert times.tolist() == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5] and np.array_equal(window, vectors)
    assert frame_store.frame_window(vid, 4, 3, dim=DIM, session=session)[1].shape == (0, DIM)
    assert frame_store.frame_window(10**6, 0, 3, dim=DIM, session=session)[0].size == 0


def test_another_model_is_refused_with_the_reembed_hint(session: Session) -> None:
    store.check_model("m", session=session)
    with pytest.raises(ModelMismatchError, match="built with model 'm'.*vidseek reembed"):
        store.claim_model("other", DIM, session=session)


def test_meta_rows_are_inserted_once(session: Session) -> None:
    index_meta.ensure_meta("k", "first", session=session)
    index_meta.ensure_meta("k", "second", session=session)  # no error, no overwrite
    assert index_meta.get_meta("k", session=session) == "first"
    index_meta.set_meta("k", "third", session=session)
    assert index_meta.get_meta("k", session=session) == "third"


def test_videos_with_fingerprint_are_every_copy_oldest_first(session: Session) -> None:
    def add(path: str, digest: str) -> int:
        times, vectors = frames(2, 0)
        video_id, _, _ = store.replace_video(
            record(path, fingerprint=digest), times, vectors, [(0, 1, 0.0, 2.0)], vectors[:1], session=session
        )
        return video_id

    first = add("/videos/b.mp4", "same")
    add("/videos/other.mp4", "different")
    second = add("/videos/a.mp4", "same")
    session.commit()
    assert [v.id for v in store.videos_with_fingerprint("same", session=session)] == [first, second]
    assert [v.path for v in store.videos_with_fingerprint("different", session=session)] == ["/videos/other.mp4"]
    assert store.videos_with_fingerprint("none", session=session) == []


def _same_window(got: tuple[np.ndarray, np.ndarray], expected: tuple[np.ndarray, np.ndarray]) -> bool:
    return all(a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b) for a, b in zip(got, expected))


@pytest.mark.parametrize("blobs", [True, False], ids=["sqlite-blob-reads", "one-statement"])
def test_frame_windows_read_what_frame_window_reads_in_one_statement(
    session: Session, blobs: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frame_store, "SQLITE_BLOB_READS", blobs)
    a, _, _, vectors = write(session, "/v/a.mp4", n=6, seed=1)
    b = write(session, "/v/b.mp4", n=9, seed=2)[0]
    short = write(session, "/v/short.mp4", n=3, seed=3)[0]
    requests = [
        (a, 2, 4),
        (b, 0, 8),
        (a, -3, 99),  # clamped to the video at both ends
        (b, 7, 20),  # clamped at the end
        (a, 4, 3),  # empty: last before first
        (a, 6, 9),  # past the end
        (10**6, 0, 3),  # no such video
        (short, 2, 2),  # its last frame
        (a, 2, 4),  # the same window again
    ]
    with statements_sent(session.get_bind()) as sent:
        windows = frame_store.frame_windows(requests, dim=DIM, session=session)
    sqlite_blobs = frame_store.SQLITE_BLOB_READS and session.get_bind().dialect.name == "sqlite"
    assert len(frame_reads(sent)) == (0 if sqlite_blobs else 1)  # SQLite blob reads send no statement
    for request, window in zip(requests, windows, strict=True):
        assert _same_window(window, frame_store.frame_window(*request, dim=DIM, session=session)), request
    assert np.array_equal(windows[2][1], vectors) and windows[2][0].tolist() == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    assert [len(w[0]) for w in windows] == [3, 9, 6, 2, 0, 0, 0, 1, 3]


def test_frame_windows_take_one_more_statement_per_statements_worth(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    vid = write(session, "/v/a.mp4", n=6)[0]
    requests = [(vid, i, i + 1) for i in range(5)] + [(vid, 3, 2)]
    monkeypatch.setattr(frame_store, "FRAME_WINDOWS_PER_STATEMENT", 2)
    monkeypatch.setattr(frame_store, "SQLITE_BLOB_READS", False)
    with statements_sent(session.get_bind()) as sent:
        windows = frame_store.frame_windows(requests, dim=DIM, session=session)
    assert len(frame_reads(sent)) == 3  # five windows to read, two a statement; the empty one is not asked
    for request, window in zip(requests, windows, strict=True):
        assert _same_window(window, frame_store.frame_window(*request, dim=DIM, session=session)), request


def test_no_windows_asked_is_no_statement(session: Session) -> None:
    vid = write(session, "/v/a.mp4")[0]
    with statements_sent(session.get_bind()) as sent:
        assert frame_store.frame_windows([], dim=DIM, session=session) == []
        assert [w[1].shape for w in frame_store.frame_windows([(vid, 2, 1)], dim=DIM, session=session)] == [(0, DIM)]
        assert frame_store.centred_clip_ids([], session=session) == []
    assert sent == []


def test_centred_clip_ids_are_centred_clip_id_in_one_statement(session: Session) -> None:
    a, a_clips, _, _ = write(session, "/v/a.mp4", n=6)  # clips of frames 0-1, 2-3, 4-5
    b, b_clips, _, _ = write(session, "/v/b.mp4", n=9)
    requests = [
        (a, 2, 3),  # exactly the middle clip
        (a, 1, 2),  # as near the first clip as the second: the lower id
        (a, 5, 5),
        (a, -4, 40),
        (b, 6, 8),
        (10**6, 0, 3),  # no such video: no clip
        (a, 2, 3),
    ]
    with statements_sent(session.get_bind()) as sent:
        ids = frame_store.centred_clip_ids(requests, session=session)
    assert len(sent) == 1
    assert ids == [frame_store.centred_clip_id(*request, session=session) for request in requests]
    assert ids == [a_clips[1], a_clips[0], a_clips[2], a_clips[2], b_clips[3], None, a_clips[1]]
