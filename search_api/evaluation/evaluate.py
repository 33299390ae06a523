"""Run a labelled query set through the search engine and score it (``vidseek eval``).

Each query is searched as ``vidseek search`` would (``engine.search(text, limit=K)``), each
distinct text once (a Charades-STA sentence labelled in 38 videos is 38 queries, one search); its hits
become ``metrics.Span`` keyed by the video's path, the same key as its true moments
(``search_api.evaluation.annotations``), and are scored with ``metrics.score_query``; ``metrics.summarize``
gives the overall numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Protocol

from search_api.evaluation.annotations import LabelledQuery
from search_api.evaluation.metrics import QueryScore, Span, score_query, summarize

DEFAULT_LIMIT = 10
"""Moments fetched per query: enough for R5@0.5 and video R@10."""


class Searcher(Protocol):
    """What evaluation needs of ``SearchEngine``."""

    def search(self, text: str, *, limit: int = 10, min_relevance: str = "medium"):  # noqa: ANN201 - returns a SearchOutcome
        ...


@dataclass(frozen=True)
class QueryResult:
    """One labelled query: its true moments, the moments search returned (best first), their score."""

    labelled: LabelledQuery
    ranked: list[Span]
    score: QueryScore

    @property
    def query(self) -> str:
        return self.labelled.query

    @property
    def truths(self) -> list[Span]:
        return self.labelled.truths

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

    A text shared by several queries is searched once. ``min_relevance`` is the weakest band
    counted (``low``: the whole ranked list). ``on_query`` is called after each query (progress).
    """
    searched: dict[str, list[Span]] = {}
    results = []
    for labelled in queries:
        if labelled.query not in searched:
            searched[labelled.query] = ranked_spans(engine, labelled.query, limit=limit, min_relevance=min_relevance)
        ranked = searched[labelled.query]
        result = QueryResult(labelled, ranked, score_query(ranked, labelled.truths))
        results.append(result)
        if on_query is not None:
            on_query(result)
    return Evaluation(results, summarize([r.score for r in results]))
