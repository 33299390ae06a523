"""Pure paging of a query's ranked moments: how far down the list a page needs the engine to look,
and the page itself (moments, or videos grouped), cut from what the engine found."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from search_api.http.schemas import MomentFilters
from search_api.search.arrange import Group, group_by_video, newest_first
from search_api.search.hits import Found, FrameScores, Hit, Need
from search_api.search.relevance import Background


@dataclass(frozen=True)
class MomentPage:
    """One page of one query's answer: what both the API and the CLI show."""

    hits: list[Hit]
    """The page's moments; with groups, the groups' moments in group order."""
    groups: list[Group] | None
    """The page's videos when grouped by video, else None."""
    next_offset: int | None
    """Offset of the next page (in moments, or in groups when grouped); None when this page is the last."""
    hidden: int
    """Moments found that scored below ``min_relevance`` (or ``min_score``)."""
    background: Background
    """The query's calibration."""
    query: np.ndarray
    """The query vector that answered (the relevance curves are scored against it)."""
    took_ms: float = 0.0
    """Milliseconds from encoding the query to the page."""
    frame_scores: dict[int, FrameScores] = field(default_factory=dict)
    """Video id -> the frame scores grounding read (``Found.frame_scores``)."""
    signals: dict | None = None
    """``calibrate.signals_key`` -> ``calibrate.Signals`` of each moment when lines were fused; None when
    every moment is visual."""


def need_for(filters: MomentFilters) -> Need:
    """How far down the ranked list this page needs the engine to look (one more than the page, to
    learn whether another page exists; everything relevant when the order is not by score)."""
    if filters.sort != "score":
        return Need()
    if filters.group_by == "video":
        return Need(videos=filters.offset + filters.limit + 1)
    return Need(moments=filters.offset + filters.limit + 1)


def page_of(
    found: Found, filters: MomentFilters, *, query: np.ndarray, took_ms: float = 0.0, signals: dict | None = None
) -> MomentPage:
    """The page ``[offset, offset + limit)`` of the moments (or videos) in ``found`` that pass the filters.

    Moments are ranked by score and relevance bands are monotone in it, so ``min_relevance`` and
    ``min_score`` (applied before: what is found passes them) cut the ranked list at one place and
    pages stay without repeats or gaps.
    """
    hits, hidden = found.hits, found.hidden  # min_score: cut by the clip candidates (``clip_candidates.at_least``)
    end = filters.offset + filters.limit
    if filters.group_by == "video":
        groups = group_by_video(hits, filters.sort)
        page = groups[filters.offset : end]
        return MomentPage(
            [h for g in page for h in g.hits],
            page,
            end if filters.has_next_page(len(groups)) else None,
            hidden,
            found.background,
            query,
            took_ms,
            found.frame_scores,
            signals,
        )
    if filters.sort == "date":
        hits = newest_first(hits)
    return MomentPage(
        hits[filters.offset : end],
        None,
        end if filters.has_next_page(len(hits)) else None,
        hidden,
        found.background,
        query,
        took_ms,
        found.frame_scores,
        signals,
    )
