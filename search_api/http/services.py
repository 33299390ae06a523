"""What the API loads once at start: the library (database and FAISS index), the model, the caches."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from search_api.http.thumbnails import ThumbnailCache
from search_api.http.uploads import sweep_stale_temp_files
from search_api.search.engine import SearchEngine
from search_api.search.query_cache import QueryEmbeddingCache
from search_api.search.search_gate import SearchGate
from vidseek.config import Settings
from vidseek.models.encoders import Encoder, library_encoder
from vidseek.storage.library import WORKER_SAVE_INTERVAL, Library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    library: Library
    engine: SearchEngine
    queries: QueryEmbeddingCache
    thumbnails: ThumbnailCache

    def database_reachable(self) -> bool:
        try:
            with self.library.sessions() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; say which
            log.warning("database check failed: %s", exc)
            return False
        return True


def load_services(settings: Settings, encoder: Encoder | None, *, query_cache_size: int) -> Services:
    """Open the database, load the model, check they agree, and load the FAISS index.

    Raises ModelMismatchError when the index was built with another model.
    """
    library = Library(
        settings,
        notify=log.warning,  # its worker threads save as a busy `vidseek worker` does
        save_interval=WORKER_SAVE_INTERVAL if settings.serve_workers else 0.0,
    )
    if settings.media_dir is not None:  # what killed uploads left (never a file another live process holds)
        removed = sweep_stale_temp_files(Path(settings.media_dir))
        if removed:
            log.warning(
                "removed %d upload temp file(s) that interrupted uploads left in %s", removed, settings.media_dir
            )
    if encoder is None:
        encoder = library_encoder(settings, library)
    engine = SearchEngine(library, encoder, gate=SearchGate(settings.serve_searches))
    index = library.index()  # now, not on the first query; None while nothing is indexed
    log.info("index loaded: %d clips, model %s", index.count if index else 0, encoder.name)
    if engine.clips.frames is not None:
        engine.clips.frames.open()  # likewise the frame file (made from the database when missing)
    lines = engine.cue_vectors().size  # likewise the lines said, for search by meaning
    if lines:
        log.info("cue vectors loaded: %d lines", lines)
    return Services(
        settings=settings,
        library=library,
        engine=engine,
        queries=QueryEmbeddingCache(engine.encode_query, query_cache_size, model=library.current_model),
        thumbnails=ThumbnailCache(settings.data_dir / "thumbnails", max_bytes=settings.thumbnail_cache_bytes),
    )
