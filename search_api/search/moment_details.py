"""What the API adds to each moment: a clip of it (for "more like this") and its relevance curve.

The curve is cut from the frame scores grounding already computed (``MomentPage.frame_scores``);
only where a moment's padding reaches past the window grounding read are frames read again (those of
the whole page in one statement). The clip ids are one read for the page (``frame_store.centred_clip_ids``):
grounding sees only the clips the ANN returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search_api.http.response_models import Curve
from search_api.search.hits import Hit
from search_api.search.paging import MomentPage
from search_api.search.shot_grounding import cut_times
from vidseek.storage import frame_store
from vidseek.storage.library import Library

CURVE_PADDING_S = 5.0
"""The curve covers the moment and this many seconds either side of it (within the video)."""


@dataclass(frozen=True)
class MomentDetails:
    clip_id: int | None
    curve: Curve


def curve_of(
    times: np.ndarray, scores: np.ndarray, start: float, end: float, *, step: float, padding: float = CURVE_PADDING_S
) -> Curve:
    """Scores of the sampled frames from ``start - padding`` to ``end + padding``."""
    inside = np.flatnonzero((times >= start - padding - 1e-6) & (times < end + padding - 1e-6))
    if len(inside) == 0:
        return Curve(start=round(float(start), 3), step=step, scores=[])
    return Curve(
        start=round(float(times[inside[0]]), 3), step=step, scores=[round(float(s), 4) for s in scores[inside]]
    )


def _reach(hit: Hit) -> int:
    """Frames either side of a moment its curve may show."""
    return int(np.ceil(CURVE_PADDING_S * hit.video.sample_fps)) + 1


def _curve_frames(hit: Hit) -> tuple[int, int, int]:
    """(video id, first frame, last frame) of the frames the hit's curve may show."""
    return hit.video.id, hit.moment.first - _reach(hit), hit.moment.last + _reach(hit)


def _grounded_scores(hit: Hit, page: MomentPage) -> tuple[np.ndarray, np.ndarray] | None:
    """(times, scores) grounding kept of the hit's video, when they cover its curve's frames."""
    _, first, last = _curve_frames(hit)
    grounded = page.frame_scores.get(hit.video.id)
    if grounded is not None and grounded.covers(first, last, hit.video.frame_count):
        return grounded.times, grounded.scores
    return None


def _frame_scores(page: MomentPage, session) -> list[tuple[np.ndarray, np.ndarray]]:  # noqa: ANN001
    """(times, scores) of at least frames ``first - reach .. last + reach`` of each hit's video, in
    order: what grounding kept, and the rest read in one statement (``frame_store.frame_windows``)."""
    kept = [_grounded_scores(hit, page) for hit in page.hits]
    missing = [i for i, scores in enumerate(kept) if scores is None]
    windows = frame_store.frame_windows(
        [_curve_frames(page.hits[i]) for i in missing], dim=page.query.shape[-1], session=session
    )
    for i, (times, vectors) in zip(missing, windows):
        kept[i] = times, (vectors @ page.query if len(times) else np.zeros(0, np.float32))
    return kept


def moment_details(library: Library, page: MomentPage) -> list[MomentDetails]:
    """``clip_id`` and ``curve`` for each hit of the page, in order (two statements for the page at most:
    the clip ids, and the frames of curves that reach past what grounding read)."""
    if not page.hits:
        return []
    with library.snapshot() as session:
        spans = [(hit.video.id, hit.moment.first, hit.moment.last) for hit in page.hits]
        clip_ids = frame_store.centred_clip_ids(spans, session=session)
        frame_scores = _frame_scores(page, session)
    return [
        MomentDetails(
            clip_id,
            with_cuts(
                curve_of(times, scores, hit.moment.start, hit.moment.end, step=round(1.0 / hit.video.sample_fps, 6)),
                hit,
            ),
        )
        for hit, clip_id, (times, scores) in zip(page.hits, clip_ids, frame_scores, strict=True)
    ]


def with_cuts(curve: Curve, hit: Hit) -> Curve:
    """``curve`` with the cuts of the hit's video that lie within it or the moment (``vidseek.shots``)."""
    cuts = cut_times(hit.video.shots)
    if cuts is None:
        return curve
    lo = min(curve.start, hit.moment.start)
    hi = max(curve.start + curve.step * len(curve.scores), hit.moment.end)
    return curve.model_copy(update={"cuts": [round(t, 3) for t in cuts if lo <= t <= hi]})
