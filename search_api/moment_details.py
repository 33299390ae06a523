"""What the API adds to each moment: a clip of it (for "more like this") and its relevance curve."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from search_api.engine import Hit, SearchEngine
from vidseek.models import Clip

CURVE_PADDING_S = 5.0
"""The curve covers the moment and this many seconds either side of it (within the video)."""


def curve_json(times: np.ndarray, scores: np.ndarray, start: float, end: float, *, step: float,
               padding: float = CURVE_PADDING_S) -> dict:
    """Scores of the sampled frames from ``start - padding`` to ``end + padding``: ``{start, step, scores}``."""
    inside = np.flatnonzero((times >= start - padding - 1e-6) & (times < end + padding - 1e-6))
    if len(inside) == 0:
        return {"start": round(float(start), 3), "step": step, "scores": []}
    return {"start": round(float(times[inside[0]]), 3), "step": step,
            "scores": [round(float(s), 4) for s in scores[inside]]}


def centred_clip_id(video_id: int, first: int, last: int, *, session: Session) -> int | None:
    """The clip of ``video_id`` whose middle is nearest the middle of sampled frames ``first..last``."""
    middle_gap = func.abs(Clip.first_frame + Clip.last_frame - (first + last))
    return session.scalar(select(Clip.id).where(Clip.video_id == video_id).order_by(middle_gap, Clip.id).limit(1))


def moment_details(engine: SearchEngine, hits: list[Hit], query: np.ndarray) -> list[dict]:
    """``clip_id`` and ``curve`` for each hit, in order."""
    details = []
    with engine.library.sessions() as session:
        for hit in hits:
            reach = int(np.ceil(CURVE_PADDING_S * hit.video.sample_fps)) + 1
            times, scores = engine.frame_scores(hit.video.id, query, hit.moment.first - reach, hit.moment.last + reach)
            details.append({
                "clip_id": centred_clip_id(hit.video.id, hit.moment.first, hit.moment.last, session=session),
                "curve": curve_json(times, scores, hit.moment.start, hit.moment.end,
                                    step=round(1.0 / hit.video.sample_fps, 6)),
            })
    return details
