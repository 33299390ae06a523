"""What the API adds to each moment: a clip of it (for "more like this") and its relevance curve.

The curve is cut from the frame scores grounding already computed (``MomentPage.frame_scores``);
only where a moment's padding reaches past the window grounding read are frames read again. The
clip id is one read (``store.centred_clip_id``): grounding sees only the clips the ANN returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search_api.hits import Hit
from search_api.paging import MomentPage
from search_api.response_models import Curve
from vidseek import store
from vidseek.library import Library

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


def _frame_scores(hit: Hit, page: MomentPage, reach: int, session) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """(times, scores) of at least frames ``first - reach .. last + reach`` of the hit's video."""
    first, last = hit.moment.first - reach, hit.moment.last + reach
    grounded = page.frame_scores.get(hit.video.id)
    if grounded is not None and grounded.covers(first, last, hit.video.frame_count):
        return grounded.times, grounded.scores
    times, vectors = store.frame_window(hit.video.id, first, last, dim=page.query.shape[-1], session=session)
    return times, (vectors @ page.query if len(times) else np.zeros(0, np.float32))


def moment_details(library: Library, page: MomentPage) -> list[MomentDetails]:
    """``clip_id`` and ``curve`` for each hit of the page, in order."""
    details = []
    with library.snapshot() as session:
        for hit in page.hits:
            reach = int(np.ceil(CURVE_PADDING_S * hit.video.sample_fps)) + 1
            times, scores = _frame_scores(hit, page, reach, session)
            details.append(
                MomentDetails(
                    store.centred_clip_id(hit.video.id, hit.moment.first, hit.moment.last, session=session),
                    curve_of(
                        times, scores, hit.moment.start, hit.moment.end, step=round(1.0 / hit.video.sample_fps, 6)
                    ),
                )
            )
    return details
