"""Respond, the last stage of the search: one query's answer as the result JSON (README, "Search"), the
page ``SearchEngine.page`` finds, each moment with its details (``search_api.search.moment_details``),
as a ``SearchResponse``."""

from __future__ import annotations

from search_api.http.response_models import SearchResponse
from search_api.http.schemas import MomentFilters
from search_api.search.engine import QuerySource, SearchEngine
from search_api.search.moment_details import moment_details
from search_api.search.results import search_response


def answer(engine: SearchEngine, label: str, query: QuerySource, filters: MomentFilters) -> SearchResponse:
    """The result JSON of one page of ``query`` (shown as ``label``): what the API and the CLI answer.
    A search by words (``TextSearch``, ``PhraseSearch``) searches the signals its ``modality`` names."""
    page = engine.page(query, filters)
    return search_response(label, page, filters, moment_details(engine.library, page), signals=page.signals)


def moments_json(engine: SearchEngine, label: str, query: QuerySource, filters: MomentFilters) -> dict:
    """``answer`` as JSON-ready data (the CLI prints it)."""
    return answer(engine, label, query, filters).model_dump(mode="json", exclude_unset=True)
