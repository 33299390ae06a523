"""One page of moments for a query vector, as hits (for exports) or as the result JSON (for search)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from search_api.engine import Hit, SearchEngine
from search_api.filters import video_filter
from search_api.moment_details import moment_details
from search_api.results import results_json
from search_api.schemas import MomentFilters


@dataclass(frozen=True)
class MomentPage:
    hits: list[Hit]
    next_offset: int | None
    """Offset of the next page; None when this page is the last."""


def find_moments(engine: SearchEngine, query: np.ndarray, params: MomentFilters) -> MomentPage:
    """The page ``[offset, offset + limit)`` of the ranked moments that pass the filters.

    One extra moment is asked for to learn whether another page exists. Moments are ranked by
    score, so ``min_score`` cuts the ranked list at one place and pages stay without repeats or gaps.
    """
    hits = engine.search_vector(query, limit=params.limit + 1, offset=params.offset,
                                video_filter=video_filter(params))
    if params.min_score is not None:
        hits = [h for h in hits if h.moment.score >= params.min_score]
    more = len(hits) > params.limit
    hits = hits[: params.limit]
    return MomentPage(hits, params.offset + len(hits) if more else None)


def moments_json(engine: SearchEngine, label: str, make_query: Callable[[], np.ndarray],
                 params: MomentFilters) -> dict:
    """The result JSON of PRODUCT.md for one page, with paging, clip ids and relevance curves added."""
    started = time.perf_counter()
    query = make_query()
    page = find_moments(engine, query, params)
    took_ms = (time.perf_counter() - started) * 1000.0
    body = results_json(label, took_ms, page.hits, offset=params.offset)
    for result, details in zip(body["results"], moment_details(engine, page.hits, query)):
        result.update(details)
    return {**body, "limit": params.limit, "offset": params.offset, "next_offset": page.next_offset}
