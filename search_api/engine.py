"""The search core shared by the CLI and the API: encode, ANN search with over-fetch, ground, rank."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Callable

import numpy as np

from search_api.ground import Moment, moments_in_video, rank
from vidseek import store
from vidseek.encoders import Encoder
from vidseek.library import Library
from vidseek.models import Video

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
    def __init__(self, library: Library, encoder: Encoder, *, frame_cache_videos: int = 256) -> None:
        self.library = library
        self.encoder = encoder
        with library.sessions() as session:
            store.check_model(encoder.name, session=session)
        self._frames: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._frames_gen = -1
        self._cache_size = frame_cache_videos
        self._lock = threading.Lock()

    def encode_query(self, text: str) -> np.ndarray:
        return self.encoder.encode_text([text])[0]

    def search(self, text: str, *, limit: int = 10, offset: int = 0, video_filter: VideoFilter | None = None) -> SearchOutcome:
        started = time.perf_counter()
        hits = self.search_vector(self.encode_query(text), limit=limit, offset=offset, video_filter=video_filter)
        index = self.library.index()
        return SearchOutcome(hits, (time.perf_counter() - started) * 1000.0, index.count if index else 0)

    def search_vector(self, query: np.ndarray, *, limit: int = 10, offset: int = 0,
                      video_filter: VideoFilter | None = None) -> list[Hit]:
        index = self.library.index()
        if index is None or index.count == 0 or limit <= 0:
            return []
        want = offset + limit
        k = max(4 * want, 64)
        while True:
            scores, ids = index.search(query, k)
            hits = self._ground(query, [int(i) for i in ids], video_filter)
            if len(hits) >= want or k >= index.count:
                return hits[offset:want]
            k *= 4

    def frame_scores(self, video_id: int, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(times, cosine of ``query`` with each sampled frame) of one video; both empty when it has none."""
        with self.library.sessions() as session:
            times, vectors = self._video_frames(video_id, session)
        if len(times) == 0:
            return times, np.zeros(0, np.float32)
        return times, vectors @ query

    def _video_frames(self, video_id: int, session) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
        gen = self.library.index().generation
        with self._lock:
            if gen != self._frames_gen:
                self._frames.clear()
                self._frames_gen = gen
            if video_id in self._frames:
                self._frames.move_to_end(video_id)
                return self._frames[video_id]
        frames = store.frames_of(video_id, session=session)
        with self._lock:
            self._frames[video_id] = frames
            while len(self._frames) > self._cache_size:
                self._frames.popitem(last=False)
        return frames

    def _ground(self, query: np.ndarray, clip_ids: list[int], video_filter: VideoFilter | None) -> list[Hit]:
        with self.library.sessions() as session:
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
                times, vectors = self._video_frames(video_id, session)
                if len(times) == 0:
                    continue
                context = max(1, round(video.clip_seconds * video.sample_fps))
                moments.extend(moments_in_video(video_id, times, vectors, query, candidates,
                                                step=1.0 / video.sample_fps, duration=video.duration,
                                                context=context))
        return [Hit(m, videos[m.video_id]) for m in rank(moments)]
