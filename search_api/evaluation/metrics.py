"""Pure moment-retrieval metrics: temporal IoU, R1@IoU, mIoU, R5@IoU, mAP and video recall@K.

A query may have several true moments (several windows of one labelled line, or several lines of
vidseek's own format, possibly in several videos); a predicted moment counts with the best IoU it
reaches against any of them in its own video. Used by ``vidseek eval`` and by the benchmarks.

Two readings are followed:

- Charades-STA's R@n,IoU=m (R1@0.3/0.5/0.7, R5@0.5): the first (or first five) moments against
  the query's true moments.
- QVHighlights' moment-retrieval mAP as Moment-DETR's standalone evaluation computes it: per query,
  its first ``MAP_PREDICTIONS`` moments are matched greedily, in rank order, to the true moments
  (each true moment taken once, the highest IoU first); the average precision is the area under the
  precision-recall curve whose precision is made non-increasing (VOC 2011 style, every recall
  step, not 11 or 101 points); it is averaged over the IoU thresholds 0.5, 0.55, ..., 0.95 and
  over queries. A query with no result has AP 0.
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


MAP_THRESHOLDS: tuple[float, ...] = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
"""IoU thresholds of the mAP average: 0.5, 0.55, ..., 0.95."""

MAP_PREDICTIONS = 10
"""Moments per query that count towards AP (Moment-DETR scores a query's first 10 windows)."""


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


def average_precision(ranked: Sequence[Span], truths: Sequence[Span], threshold: float) -> float:
    """AP of one query's moments (best first) at one IoU threshold, as QVHighlights scores it.

    Each moment, in rank order, takes the true moment of its video with the highest IoU that no
    earlier moment took; it is a true positive when that IoU is >= ``threshold``. Precision after
    each moment is made non-increasing from the end; AP is the mean, over the true moments, of that
    precision at the rank where each was found (0 for those never found).
    """
    if not truths:
        raise ValueError("a query needs at least one true moment")
    taken: set[int] = set()
    hits: list[bool] = []
    for p in ranked:
        candidates = sorted(
            ((iou(p.start, p.end, t.start, t.end), i) for i, t in enumerate(truths) if t.video == p.video),
            reverse=True,  # highest IoU first; on a tie, the later true moment (as the reference's argsort)
        )
        match = next((i for overlap, i in candidates if overlap >= threshold and i not in taken), None)
        # the reference stops at the first true moment under the threshold: the same, as they are sorted
        if match is not None:
            taken.add(match)
        hits.append(match is not None)
    found = 0
    envelope = []  # precision after each moment, then made non-increasing
    for k, hit in enumerate(hits, start=1):
        found += hit
        envelope.append(found / k)
    for k in range(len(envelope) - 2, -1, -1):
        envelope[k] = max(envelope[k], envelope[k + 1])
    return sum(envelope[k] for k, hit in enumerate(hits) if hit) / len(truths)


@dataclass(frozen=True)
class QueryScore:
    """How one query's ranked moments did against its true moments."""

    top_iou: float
    """IoU of the first result (0 when it is in a wrong video, or there is none)."""
    best_iou_top5: float
    """Best IoU among the first five results."""
    video_rank: int | None
    """1-based rank of the first true video among the distinct videos of the results (None: not found)."""
    average_precisions: tuple[float, ...] = ()
    """AP at each of ``MAP_THRESHOLDS`` (of the first ``MAP_PREDICTIONS`` results)."""

    def recall_at(self, threshold: float) -> float:
        return float(self.top_iou >= threshold)

    def ap_at(self, threshold: float) -> float:
        return self.average_precisions[MAP_THRESHOLDS.index(threshold)]

    @property
    def mean_ap(self) -> float:
        """AP averaged over ``MAP_THRESHOLDS``."""
        return sum(self.average_precisions) / len(self.average_precisions)


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
    counted = ranked[:MAP_PREDICTIONS]
    aps = tuple(average_precision(counted, truths, t) for t in MAP_THRESHOLDS)
    return QueryScore(ious[0] if ious else 0.0, max(ious[:5], default=0.0), rank, aps)


def summarize(scores: Sequence[QueryScore]) -> dict[str, float]:
    """R1@0.3/0.5/0.7, mIoU (of the first result), R5@0.5, mAP (and @0.5, @0.75), video R@1/5/10, over all queries."""
    n = len(scores)
    if n == 0:
        return {"queries": 0}

    def mean(values: list[float]) -> float:
        return round(sum(values) / n, 4)

    found = [s.video_rank for s in scores]
    return {
        "queries": n,
        "r1_at_0.3": mean([s.recall_at(0.3) for s in scores]),
        "r1_at_0.5": mean([s.recall_at(0.5) for s in scores]),
        "r1_at_0.7": mean([s.recall_at(0.7) for s in scores]),
        "miou": mean([s.top_iou for s in scores]),
        "r5_at_0.5": mean([float(s.best_iou_top5 >= 0.5) for s in scores]),
        "map": mean([s.mean_ap for s in scores]),
        "map_at_0.5": mean([s.ap_at(0.5) for s in scores]),
        "map_at_0.75": mean([s.ap_at(0.75) for s in scores]),
        "video_r_at_1": mean([float(r is not None and r <= 1) for r in found]),
        "video_r_at_5": mean([float(r is not None and r <= 5) for r in found]),
        "video_r_at_10": mean([float(r is not None and r <= 10) for r in found]),
    }
