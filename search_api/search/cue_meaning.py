"""Cues that mean what the query says: the query's vector against every cue vector of the library's
model (exact search over fp16 codes), calibrated as clips are (``search_api.search.relevance``).

Text-to-text cosines from a CLIP text tower sit in a narrow band whose place depends on the query,
so no fixed threshold works; the query's scores with an even sample of the cues give the background
(most lines of any library are unrelated to any one query), and a cue is a match when it reaches
the band asked for against it (``search_api.search.lines``: ``min_relevance`` for ``speech``, ``high`` for
``all``) and, unless ``low`` is asked for, clears the chance tail by ``MARGIN_Z`` and the best score
that this query's own upper tail says an unrelated line reaches by chance (``chance_best``). A library with
fewer than ``MIN_SAMPLE`` embedded cues cannot say what an unrelated line scores, so it has no
semantic matches (its cues are still found by their words).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np

from search_api.search.relevance import MIN_SAMPLE, background_of, lowest_score_in
from vidseek.said import cue_vectors
from vidseek.said.cue_vectors import CueMatrix

MEANING_READ = 200
"""Semantic cue matches kept for one query, best first."""
MARGIN_Z = 0.25
"""How far above the ``medium`` bar (spreads) a line must score to match by meaning alone, at
``medium`` or ``high``: the bar is where the best of the library's unrelated lines lies by chance,
so some unrelated line always reaches it, and a common line said in many places ("I'm not sure
about this.") reaches it with every copy at once. On the speech benchmark (``benchmarks/speech.py``)
it cuts the unrelated moments among ``speech``'s top 10 from 0.53 to 0.10 per query (R1@0.5 0.425 ->
0.45; 0.5 cuts them to 0.03 but finds a third fewer moments seen and said)."""


TAIL_FROM = (0.90, 0.99)
"""The upper quantiles of the query's sample scores the chance tail is extrapolated from."""
TAIL_BAR = True
"""Whether a meaning match must also clear ``chance_best`` (off: the normal model's tail only, as before)."""


def chance_best(sample_scores: np.ndarray, lines: int) -> float:
    """The score the best of ``lines`` unrelated lines reaches by chance for this query, read off the
    query's own upper tail: scores past the 90th percentile of the sample taken to thin out
    exponentially (the peaks-over-threshold model with a light tail), so the ``1 - 1/lines`` quantile
    lies ``log10(lines / 10)`` times the 90th-to-99th percentile distance above the 90th.

    Text-to-text scores are not normal in their upper tail: lines of one pattern (many variations
    of "Our neighbour bought new shoes today.") rise together, so a normal fit of the lower half
    (``relevance.background_of``) puts the chance tail too low and several unrelated lines pass it
    at once; the query's own 99th percentile sees that crowd."""
    scores = np.asarray(sample_scores, dtype=np.float64)
    if len(scores) == 0 or lines < 20:
        return float("-inf")
    q90, q99 = np.quantile(scores, TAIL_FROM)
    return float(q90 + (q99 - q90) * math.log10(lines / 10.0))


def meaning_matches(
    query: np.ndarray, cues: CueMatrix, *, min_relevance: str = "medium", limit: int = MEANING_READ
) -> list[tuple[int, float]]:
    """(cue id, score) of the cues that match ``query`` by meaning, best first (ties by cue id)."""
    n = cues.size
    if n < MIN_SAMPLE:
        return []
    q = np.asarray(query, np.float32)
    q = q / max(float(np.linalg.norm(q)), 1e-12)
    sample = cues.sample @ q
    background = background_of(sample, library_clips=n)
    scores, cue_ids = cues.search(q, limit)
    bar = lowest_score_in(min_relevance, float(scores[0]) if len(scores) else 0.0, background)
    if min_relevance != "low" and background.calibrated:
        bar = max(bar, background.above(background.medium_z + MARGIN_Z))
        if TAIL_BAR:
            bar = max(bar, chance_best(sample, n))
    return [(int(c), float(s)) for s, c in zip(scores, cue_ids) if s >= bar]


RECOUNT_S = 10.0
"""How often a process counts the model's cue vectors to notice removed ones (a count scans the index)."""


@dataclass
class _Held:
    model: str
    cues: CueMatrix
    top: int
    counted_at: float


class CueMatrices:
    """A process's copy of the library's cue vectors for one model. Every search asks for the highest
    cue id (one index seek) and reads only the rows above the copy's; every ``RECOUNT_S`` it counts
    them and reads all again if rows went (removed cues never match meanwhile: ``store.cue_hits``
    skips cues that are gone, and rows written below the top by a slower filler are found then)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: _Held | None = None

    def current(self, model: str, dim: int, *, session, now: float | None = None) -> CueMatrix:  # noqa: ANN001
        now = time.monotonic() if now is None else now
        with self._lock:
            held = self._held
            if (
                held is None
                or held.model != model
                or held.cues.dim != dim
                or len(held.cues.segments) >= cue_vectors.MAX_SEGMENTS
            ):
                return self._read_all(model, dim, session, now)
            if cue_vectors.top_id(model, session=session) > held.top:
                added = cue_vectors.matrix(model, dim, after=held.top, session=session)
                if added.size:
                    top = int(added.cue_ids.max())
                    held = self._held = _Held(model, cue_vectors.appended(held.cues, added), top, held.counted_at)
            if now - held.counted_at >= RECOUNT_S:
                if cue_vectors.count(model, session=session) != held.cues.size:
                    return self._read_all(model, dim, session, now)
                held.counted_at = now
            return held.cues

    def _read_all(self, model: str, dim: int, session, now: float) -> CueMatrix:  # noqa: ANN001
        cues = cue_vectors.matrix(model, dim, session=session)
        self._held = _Held(model, cues, int(cues.cue_ids.max()) if cues.size else 0, now)
        return cues
