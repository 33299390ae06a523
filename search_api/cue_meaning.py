"""Cues that mean what the query says: the query's vector against every cue vector of the library's
model, calibrated as clips are (``search_api.relevance``).

Text-to-text cosines from a CLIP text tower sit in a narrow band whose place depends on the query,
so no fixed threshold works; the cue scores themselves give the background (most lines of any
library are unrelated to any one query), and a cue is a match when it reaches the ``min_relevance``
band against it. A library with fewer than ``MIN_SAMPLE`` embedded cues cannot say what an
unrelated line scores, so it has no semantic matches (its cues are still found by their words).
"""

from __future__ import annotations

import threading

import numpy as np

from search_api.relevance import MIN_SAMPLE, background_of, lowest_score_in
from vidseek import cue_vectors
from vidseek.cue_vectors import CueMatrix

MEANING_READ = 200
"""Semantic cue matches kept for one query, best first."""
SCORE_BLOCK = 65536
"""Cue rows scored per matrix product (bounds the float32 copy of the float16 rows)."""


def meaning_matches(
    query: np.ndarray, cues: CueMatrix, *, min_relevance: str = "medium", limit: int = MEANING_READ
) -> list[tuple[int, float]]:
    """(cue id, score) of the cues that match ``query`` by meaning, best first (pure)."""
    n = len(cues.cue_ids)
    if n < MIN_SAMPLE:
        return []
    q = np.asarray(query, np.float32)
    q = q / max(float(np.linalg.norm(q)), 1e-12)
    scores = np.concatenate(
        [cues.vectors[i : i + SCORE_BLOCK].astype(np.float32) @ q for i in range(0, n, SCORE_BLOCK)]
    )
    background = background_of(scores, library_clips=n)
    top = float(scores.max())
    bar = lowest_score_in(min_relevance, top, background)
    kept = np.flatnonzero(scores >= bar)
    if len(kept) > limit:
        kept = kept[np.argpartition(-scores[kept], limit - 1)[:limit]]
    kept = kept[np.lexsort((cues.cue_ids[kept], -scores[kept]))]
    return [(int(cues.cue_ids[i]), float(scores[i])) for i in kept]


class CueMatrices:
    """A process's copy of the library's cue vectors for one model, read again when they change
    (``cue_vectors.state``: one small query per search)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: tuple[str, tuple[int, int], CueMatrix] | None = None

    def current(self, model: str, dim: int, *, session) -> CueMatrix:  # noqa: ANN001
        now = cue_vectors.state(model, session=session)
        held = self._held
        if held is not None and held[0] == model and held[1] == now and held[2].vectors.shape[1] == dim:
            return held[2]
        with self._lock:
            read = cue_vectors.matrix(model, dim, session=session)
            self._held = (model, now, read)
            return read
