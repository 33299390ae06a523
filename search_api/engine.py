"""The search core shared by the CLI and the API: encode, ANN search with over-fetch, ground, rank."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from search_api.ground import Moment, moments_in_video, rank
from vidseek import store
from vidseek.encoder_follower import EncoderFollower
from vidseek.encoders import Encoder
from vidseek.errors import ModelChangedError
from vidseek.library import Library
from vidseek.models import Video
from vidseek.vector_index import fetch_size, rerank

VideoFilter = Callable[[Video], bool]


@dataclass(frozen=True)
class Hit:
    moment: Moment
    video: Video


@dataclass(frozen=True)
class SearchOutcome:
    hits: list[Hit]
    took_ms: float
    total_clips: int


class SearchEngine:
    def __init__(self, library: Library, encoder: Encoder, load: Callable[[str], Encoder] | None = None) -> None:
        """``encoder`` must be the index's model; ``load`` loads another one by spec when a re-embed
        switches the library to it (by default with the library's device settings)."""
        self.library = library
        with library.sessions() as session:
            store.check_model(encoder.name, session=session)
        self.encoders = EncoderFollower(library, encoder, load or _loader(library))

    @property
    def encoder(self) -> Encoder:
        """The encoder of the library's current model."""
        return self.encoders.current()

    def encode_query(self, text: str) -> np.ndarray:
        self.library.index()  # a re-embed that switched models is noticed before encoding
        return self.encoder.encode_text([text])[0]

    def search(self, text: str, *, limit: int = 10, offset: int = 0, video_filter: VideoFilter | None = None) -> SearchOutcome:
        started = time.perf_counter()
        for attempt in range(2):
            try:
                hits = self.search_vector(self.encode_query(text), limit=limit, offset=offset,
                                          video_filter=video_filter)
                break
            except ModelChangedError:
                if attempt:
                    raise
        index = self.library.index()
        return SearchOutcome(hits, (time.perf_counter() - started) * 1000.0, index.count if index else 0)

    def search_vector(self, query: np.ndarray, *, limit: int = 10, offset: int = 0,
                      video_filter: VideoFilter | None = None) -> list[Hit]:
        """ANN over the clips, then grounding, all against one state of the library: the FAISS state
        that answers is at the generation of the database snapshot the hits are resolved in (a write
        landing in between makes it refresh and try again), so no video is ever seen half replaced."""
        for attempt in range(3):
            index = self.library.index()
            if index is None or index.count == 0 or limit <= 0:
                return []
            if index.dim != query.shape[-1] or self.library.current_model() != self.encoders.current().name:
                raise ModelChangedError(f"the library switched to model {self.library.current_model()} while "
                                        f"this query was being answered; run it again")
            hits = self._search_at_one_state(index, query, limit, offset, video_filter, strict=attempt < 2)
            if hits is not None:
                return hits
            self.library.refresh(force=True)
        return []

    def _search_at_one_state(self, index, query: np.ndarray, limit: int, offset: int,  # noqa: ANN001
                             video_filter: VideoFilter | None, *, strict: bool) -> list[Hit] | None:
        want = offset + limit
        k = max(3 * want, 32)  # ~3 candidate clips merge into each moment; widened below if too few
        with self.library.snapshot() as session:
            gen = store.generation(session=session)
            while True:
                scores, ids, index_gen = index.search_at(query, fetch_size(index.spec, k))
                if index_gen != gen and strict:
                    return None
                if index.spec.kind == "ivfpq":  # compressed codes rank roughly: re-rank on exact vectors
                    ids, vectors = store.clip_vectors_by_ids(ids, session=session)
                    ids = rerank(ids, vectors, query, k)
                hits = self._ground(query, [int(i) for i in ids], video_filter, session=session)
                if len(hits) >= want or k >= index.count:
                    return hits[offset:want]
                k *= 4

    def frame_scores(self, video_id: int, query: np.ndarray, first: int = 0, last: int = 2**31 - 1
                     ) -> tuple[np.ndarray, np.ndarray]:
        """(times, cosine of ``query`` with each sampled frame) for frames ``first..last`` of one video;
        both empty when it has none."""
        with self.library.snapshot() as session:
            times, vectors = store.frame_window(video_id, first, last, dim=self.encoder.dim, session=session)
        if len(times) == 0:
            return times, np.zeros(0, np.float32)
        return times, vectors @ query

    def _ground(self, query: np.ndarray, clip_ids: list[int], video_filter: VideoFilter | None,
                session=None) -> list[Hit]:  # noqa: ANN001
        if session is None:
            with self.library.snapshot() as own:
                return self._ground(query, clip_ids, video_filter, own)
        clips = store.clips_by_ids(clip_ids, session=session)
        by_video: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for cid in clip_ids:
            clip = clips.get(cid)
            if clip is not None:
                by_video[clip.video_id].append((clip.first_frame, clip.last_frame))
        videos = store.videos_by_ids(list(by_video), session=session)
        moments: list[Moment] = []
        for video_id, candidates in by_video.items():
            video = videos.get(video_id)
            if video is None or (video_filter is not None and not video_filter(video)):
                continue
            context = max(1, round(video.clip_seconds * video.sample_fps))
            # Only the frames the candidates and their neighbourhoods can reach are read (a few KB each).
            lo = max(0, min(f for f, _ in candidates) - context)
            hi = max(last for _, last in candidates) + context
            times, vectors = store.frame_window(video_id, lo, hi, dim=self.encoder.dim, session=session)
            if len(times) == 0:
                continue
            local = [(f - lo, last - lo) for f, last in candidates if last - lo < len(times)]
            found = moments_in_video(video_id, times, vectors, query, local, step=1.0 / video.sample_fps,
                                     duration=video.duration, context=context)
            moments.extend(replace(m, first=m.first + lo, last=m.last + lo) for m in found)
        return [Hit(m, videos[m.video_id]) for m in rank(moments)]


def _loader(library: Library) -> Callable[[str], Encoder]:
    settings = library.settings

    def load(spec: str) -> Encoder:
        from vidseek.encoders import load_encoder

        return load_encoder(spec, device=settings.device, threads=settings.threads, precision=settings.precision)

    return load
