"""Pure moment-retrieval metrics: temporal IoU, R1@IoU, mIoU, R5@IoU and video recall@K.

A query may have several true moments (several lines of a labelled set, possibly in several
videos); a predicted moment counts with the best IoU it reaches against any of them in its own
video. Used by ``vidseek eval`` and by the benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Span:
    """A moment of one video: ``video`` is whatever names it (a path, an id), seconds ``start..end``."""

    video: str
    start: float
    end: float


def iou(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    """Temporal intersection over union of two intervals (0 when either is empty or they are apart)."""
    inter = min(a_end, b_end) - max(a_start, b_start)
    union = max(a_end, b_end) - min(a_start, b_start)
    if inter <= 0 or union <= 0:
        return 0.0
    return inter / union


def best_iou(predicted: Span, truths: Sequence[Span]) -> float:
    """The highest IoU of ``predicted`` with a true moment of the same video (0 when none is there)."""
    return max(
        (iou(predicted.start, predicted.end, t.start, t.end) for t in truths if t.video == predicted.video), default=0.0
    )


@dataclass(frozen=True)
class QueryScore:
    """How one query's ranked moments did against its true moments."""

    top_iou: float
    """IoU of the first result (0 when it is in a wrong video, or there is none)."""
    best_iou_top5: float
    """Best IoU among the first five results."""
    video_rank: int | None
    """1-based rank of the first true video among the distinct videos of the results (None: not found)."""

    def recall_at(self, threshold: float) -> float:
        return float(self.top_iou >= threshold)


def score_query(ranked: Sequence[Span], truths: Sequence[Span]) -> QueryScore:
    """Score one query's results (best first) against its true moments."""
    if not truths:
        raise ValueError("a query needs at least one true moment")
    ious = [best_iou(p, truths) for p in ranked]
    true_videos = {t.video for t in truths}
    videos: list[str] = []
    for p in ranked:
        if p.video not in videos:
            videos.append(p.video)
    rank = next((i + 1 for i, v in enumerate(videos) if v in true_videos), None)
    return QueryScore(ious[0] if ious else 0.0, max(ious[:5], default=0.0), rank)


def summarize(scores: Sequence[QueryScore]) -> dict[str, float]:
    """R1@0.5, R1@0.7, mIoU (of the first result), R5@0.5, and video R@1/5/10, over all queries."""
    n = len(scores)
    if n == 0:
        return {"queries": 0}

    def mean(values: list[float]) -> float:
        return round(sum(values) / n, 4)

    found = [s.video_rank for s in scores]
    return {
        "queries": n,
        "r1_at_0.5": mean([s.recall_at(0.5) for s in scores]),
        "r1_at_0.7": mean([s.recall_at(0.7) for s in scores]),
        "miou": mean([s.top_iou for s in scores]),
        "r5_at_0.5": mean([float(s.best_iou_top5 >= 0.5) for s in scores]),
        "video_r_at_1": mean([float(r is not None and r <= 1) for r in found]),
        "video_r_at_5": mean([float(r is not None and r <= 5) for r in found]),
        "video_r_at_10": mean([float(r is not None and r <= 10) for r in found]),
    }
