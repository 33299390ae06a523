"""Video lookups moved into vidseek.store from the upload route, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest

from vidseek import store
from vidseek.config import Settings
from vidseek.db import open_database


@pytest.fixture
def sessions(db_settings: Settings):  # noqa: ANN201
    factory = open_database(db_settings.sqlalchemy_url)
    yield factory
    factory.kw["bind"].dispose()


def add_video(session, path: str, digest: str) -> int:  # noqa: ANN001
    record = store.VideoRecord(path=path, title=path.rsplit("/", 1)[-1], size=10, mtime_ns=1, fingerprint=digest,
                               duration=2.0, fps=10.0, width=64, height=48, codec="h264", model_name="colour",
                               sample_fps=1.0, clip_seconds=2.0, clip_stride=1.0)
    vectors = np.eye(2, 4, dtype=np.float32)
    video_id, _, _ = store.replace_video(record, np.array([0.0, 1.0]), vectors, [(0, 1, 0.0, 2.0)], vectors[:1],
                                         session=session)
    return video_id


def test_videos_with_fingerprint_are_every_copy_oldest_first(sessions) -> None:  # noqa: ANN001
    with sessions() as session:
        first = add_video(session, "/videos/b.mp4", "same")
        add_video(session, "/videos/other.mp4", "different")
        second = add_video(session, "/videos/a.mp4", "same")
        session.commit()
    with sessions() as session:
        assert [v.id for v in store.videos_with_fingerprint("same", session=session)] == [first, second]
        assert [v.path for v in store.videos_with_fingerprint("different", session=session)] == ["/videos/other.mp4"]
        assert store.videos_with_fingerprint("none", session=session) == []
