"""Helpers for the jobs tests: a worker's environment, and the SQL/FAISS consistency check."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sqlalchemy import func, select

from vidseek.config import Settings
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.storage.tables import Clip, FrameVectors, Video
from vidseek.vectors.vector_index import ClipIndex

TESTS_DIR = Path(__file__).resolve().parent.parent


def worker_env(settings: Settings) -> dict[str, str]:
    """Environment for a `vidseek worker` / `vidseek watch` subprocess on these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDSEEK_")}
    env.update(
        {
            "VIDSEEK_DATA_DIR": str(settings.data_dir),
            "VIDSEEK_MODEL": settings.model,
            "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
        }
    )
    if settings.database_url:
        env["VIDSEEK_DATABASE_URL"] = settings.database_url
    return env


VIDSEEK = [sys.executable, "-m", "cli"]


def sql_clip_ids(library: Library) -> list[int]:
    with library.sessions() as session:
        return store.all_clip_ids(session=session).tolist()


def faiss_ids(index: ClipIndex | None) -> list[int]:
    return sorted(index.ids().tolist()) if index is not None else []


def check_consistency(settings: Settings) -> dict[str, int]:
    """What a process opening the library after a crash must find: whole videos only, and a FAISS
    index holding exactly the SQL clips (no orphans, none missing, none twice)."""
    library = Library(settings, notify=lambda m: None)
    with library.sessions() as session:
        videos = list(session.scalars(select(Video)))
        for video in videos:
            frames = session.get(FrameVectors, video.id)
            assert frames is not None, f"video {video.path} has no frames: half indexed"
            assert frames.count == video.frame_count > 0
            n_clips, last = session.execute(
                select(func.count(), func.max(Clip.last_frame)).where(Clip.video_id == video.id)
            ).one()
            assert n_clips > 0, f"video {video.path} has no clips: half indexed"
            assert last < frames.count
        orphans = session.scalar(
            select(func.count()).select_from(Clip).outerjoin(Video, Clip.video_id == Video.id).where(Video.id.is_(None))
        )
        assert orphans == 0
        gen = store.generation(session=session)
    if settings.faiss_path.exists():  # saves are atomic: never a torn file
        ClipIndex.load(settings.faiss_path)
    index = library.index()
    ids = faiss_ids(index)
    assert len(ids) == len(set(ids)), "a clip is in the FAISS index twice"
    assert ids == sql_clip_ids(library), "FAISS and SQL disagree"
    if index is not None:
        assert index.generation == gen
    return {"videos": len(videos), "clips": len(ids)}
