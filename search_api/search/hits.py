"""What a search finds, as plain data: a moment of a video with its band, how far down the ranked
list a page needs, and the ranked moments of one query (``search_api.search.engine`` finds them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from search_api.search.ground import Moment
from search_api.search.relevance import Background
from vidseek.storage.tables import Video

VideoFilter = Callable[[Video], bool]
"""Whether a video's moments may be returned."""


@dataclass(frozen=True)
class Hit:
    moment: Moment
    video: Video
    relevance: str = "high"
    """``high``, ``medium`` or ``low``: see ``search_api.search.relevance``."""
    z: float = 0.0
    """Background spreads the moment's score lies above the query's background."""


@dataclass(frozen=True)
class Need:
    """How much of the ranked list an answer needs: the first ``moments`` moments, or every moment
    of the first ``videos`` videos (by their best moment), or (both None) every moment that passes."""

    moments: int | None = None
    videos: int | None = None


@dataclass(frozen=True)
class FrameScores:
    """The query's score with each of one video's sampled frames ``first .. first + len(times) - 1``,
    as grounding read them (the relevance curves of that video's moments are cut from them)."""

    first: int
    times: np.ndarray
    scores: np.ndarray

    def covers(self, first: int, last: int, frame_count: int) -> bool:
        """Whether frames ``first..last`` (clamped to the video's ``frame_count`` frames) are all here."""
        return (
            len(self.times) > 0
            and self.first <= max(0, first)
            and self.first + len(self.times) - 1 >= min(frame_count - 1, last)
        )


@dataclass(frozen=True)
class Found:
    """The moments of one query that pass ``min_relevance``, best first, at one state of the library."""

    hits: list[Hit]
    hidden: int
    """Moments found that scored below ``min_relevance`` (at least this many exist)."""
    background: Background
    frame_scores: dict[int, FrameScores] = field(default_factory=dict)
    """Video id -> the frame scores its moments were grounded on."""


@dataclass(frozen=True)
class Signals:
    """What found one moment of a page."""

    matched: tuple[str, ...]
    quote: str | None = None
    fused: float | None = None


def signals_key(hit: Hit) -> tuple[int, float, float]:
    return hit.video.id, hit.moment.start, hit.moment.end
