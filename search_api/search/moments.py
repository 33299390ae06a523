"""One query's answer as the result JSON (README, "Search"): the page ``SearchEngine.page`` finds, each
moment with its details (``search_api.search.moment_details``), as a ``SearchResponse``."""

from __future__ import annotations

from search_api.http.response_models import SearchResponse
from search_api.http.schemas import MomentFilters, PhraseSearch, TextSearch
from search_api.search.engine import QuerySource, SearchEngine
from search_api.search.moment_details import moment_details
from search_api.search.results import search_response
from search_api.search.text_search import text_page


def answer(engine: SearchEngine, label: str, query: QuerySource, filters: MomentFilters) -> SearchResponse:
    """The result JSON of one page of ``query`` (shown as ``label``): what the API and the CLI answer.
    A search by words (``TextSearch``, ``PhraseSearch``) searches the signals its ``modality`` names
    (``search_api.search.text_search``)."""
    if isinstance(filters, TextSearch | PhraseSearch):
        page, signals = text_page(engine, query, filters)
    else:
        page, signals = engine.page(query, filters), None
    return search_response(label, page, filters, moment_details(engine.library, page), signals=signals)


def moments_json(engine: SearchEngine, label: str, query: QuerySource, filters: MomentFilters) -> dict:
    """``answer`` as JSON-ready data (the CLI prints it)."""
    return answer(engine, label, query, filters).model_dump(mode="json", exclude_unset=True)
