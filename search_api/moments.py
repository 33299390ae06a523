"""One page of a query's moments (or of its videos, grouped), as hits (for exports) or as the result JSON."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from search_api.arrange import Group, group_by_video, newest_first
from search_api.engine import Hit, Need, SearchEngine
from search_api.filters import video_filter
from search_api.moment_details import moment_details
from search_api.relevance import Background
from search_api.results import groups_json, results_json
from search_api.schemas import MomentFilters
from vidseek.errors import ModelChangedError


@dataclass(frozen=True)
class MomentPage:
    hits: list[Hit]
    """The page's moments; with groups, the groups' moments in group order."""
    groups: list[Group] | None
    """The page's videos when grouped by video, else None."""
    next_offset: int | None
    """Offset of the next page (in moments, or in groups when grouped); None when this page is the last."""
    hidden: int
    """Moments found that scored below ``min_relevance``."""
    background: Background


def _need(params: MomentFilters) -> Need:
    """How far down the ranked list this page needs the engine to look (one more than the page, to
    learn whether another page exists; everything relevant when the order is not by score)."""
    if params.sort != "score":
        return Need()
    if params.group_by == "video":
        return Need(videos=params.offset + params.limit + 1)
    return Need(moments=params.offset + params.limit + 1)


def find_moments(engine: SearchEngine, query: np.ndarray, params: MomentFilters) -> MomentPage:
    """The page ``[offset, offset + limit)`` of the moments (or videos) that pass the filters.

    Moments are ranked by score and relevance bands are monotone in it, so ``min_relevance`` and
    ``min_score`` cut the ranked list at one place and pages stay without repeats or gaps.
    """
    found = engine.find(query, _need(params), video_filter=video_filter(params), min_relevance=params.min_relevance)
    hits, hidden = found.hits, found.hidden
    if params.min_score is not None:
        kept = [h for h in hits if h.moment.score >= params.min_score]
        hits, hidden = kept, hidden + len(hits) - len(kept)
    end = params.offset + params.limit
    if params.group_by == "video":
        groups = group_by_video(hits, params.sort)
        page = groups[params.offset:end]
        return MomentPage([h for g in page for h in g.hits], page, end if params.has_next_page(len(groups)) else None,
                          hidden, found.background)
    if params.sort == "date":
        hits = newest_first(hits)
    return MomentPage(hits[params.offset:end], None, end if params.has_next_page(len(hits)) else None, hidden,
                      found.background)


def moments_json(engine: SearchEngine, label: str, make_query: Callable[[], np.ndarray],
                 params: MomentFilters) -> dict:
    """The result JSON of PRODUCT.md for one page, with paging, relevance, clip ids, curves (and groups) added."""
    started = time.perf_counter()
    for attempt in range(2):
        try:
            query = make_query()
            page = find_moments(engine, query, params)
            break
        except ModelChangedError:  # a re-embed switched models mid-query: once more with the new one
            if attempt:
                raise
    took_ms = (time.perf_counter() - started) * 1000.0
    body = results_json(label, took_ms, page.hits, offset=params.offset if page.groups is None else 0)
    for result, details in zip(body["results"], moment_details(engine, page.hits, query)):
        result.update(details)
    body.update({"limit": params.limit, "offset": params.offset, "next_offset": page.next_offset,
                 "min_relevance": params.min_relevance, "hidden": page.hidden, "group_by": params.group_by,
                 "sort": params.sort, "calibration": {"background": round(page.background.level, 4),
                                                      "spread": round(page.background.spread, 4)}})
    if page.groups is not None:
        body["groups"] = groups_json(page.groups, body["results"], offset=params.offset)
    return body
