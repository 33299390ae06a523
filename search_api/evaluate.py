"""Run a labelled query set through the search engine and score it (``vidseek eval``).

Each query is searched as ``vidseek search`` would (``engine.search(text, limit=K)``); its hits
become ``metrics.Span`` keyed by the video's path, the same key as its true moments
(``search_api.annotations``), and are scored with ``metrics.score_query``; ``metrics.summarize``
gives the overall numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Protocol

from search_api.annotations import LabelledQuery
from search_api.metrics import QueryScore, Span, score_query, summarize

DEFAULT_LIMIT = 10
"""Moments fetched per query: enough for R5@0.5 and video R@10."""


class Searcher(Protocol):
    """What evaluation needs of ``SearchEngine``."""

    def search(self, text: str, *, limit: int = 10, min_relevance: str = "medium"):  # noqa: ANN201 - returns a SearchOutcome
        ...


@dataclass(frozen=True)
class QueryResult:
    """One labelled query: its true moments, the moments search returned (best first), their score."""

    query: str
    truths: list[Span]
    ranked: list[Span]
    score: QueryScore

    @property
    def top(self) -> Span | None:
        """The first result, if any."""
        return self.ranked[0] if self.ranked else None


@dataclass(frozen=True)
class Evaluation:
    """Every query's result, and the summary over them (``metrics.summarize``)."""

    queries: list[QueryResult]
    overall: dict[str, float]


def ranked_spans(engine: Searcher, text: str, *, limit: int, min_relevance: str = "low") -> list[Span]:
    """The moments search returns for ``text``, best first, keyed by video path."""
    outcome = engine.search(text, limit=limit, min_relevance=min_relevance)
    return [Span(hit.video.path, float(hit.moment.start), float(hit.moment.end)) for hit in outcome.hits]


def evaluate(
    engine: Searcher,
    queries: Iterable[LabelledQuery],
    *,
    limit: int = DEFAULT_LIMIT,
    min_relevance: str = "low",
    on_query: Callable[[QueryResult], None] | None = None,
) -> Evaluation:
    """Search every query (``limit`` moments each) and score the results against the truths.

    ``min_relevance`` is the weakest band counted (``low``: the whole ranked list). ``on_query`` is
    called after each query (progress).
    """
    results = []
    for query, truths in queries:
        ranked = ranked_spans(engine, query, limit=limit, min_relevance=min_relevance)
        result = QueryResult(query, list(truths), ranked, score_query(ranked, truths))
        results.append(result)
        if on_query is not None:
            on_query(result)
    return Evaluation(results, summarize([r.score for r in results]))
