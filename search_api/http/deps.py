"""Route dependencies as types: the loaded services, a video by id, and search parameters held to
this server's limits."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request

from search_api.http.schemas import (
    Digits,
    IdRange,
    LimitExceeded,
    MomentFilters,
    PhraseSearch,
    SimilarSearch,
    TextSearch,
)
from search_api.http.services import Services
from vidseek.storage import store
from vidseek.storage.tables import Video


def get_services(request: Request) -> Services:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise HTTPException(503, "the model and index are not loaded yet")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

VideoId = Annotated[int, IdRange, Digits, Path(description="A video's id (`GET /api/videos`).")]
JobId = Annotated[int, IdRange, Digits, Path(description="A job's id (`GET /api/jobs`).")]


def get_video(video_id: VideoId, services: ServicesDep) -> Video:
    """The indexed video with this id (path parameter ``video_id``), or 404."""
    with services.library.sessions() as session:
        video = store.videos_by_ids([video_id], session=session).get(video_id)
    if video is None:
        raise HTTPException(404, f"no indexed video has id {video_id}")
    return video


VideoDep = Annotated[Video, Depends(get_video)]

Params = TypeVar("Params", bound=MomentFilters)


def _within(params: Params, services: Services) -> Params:
    try:
        return params.within(services.settings)
    except LimitExceeded as exc:
        raise HTTPException(422, str(exc)) from None


def _text_search(params: Annotated[TextSearch, Query()], services: ServicesDep) -> TextSearch:
    return _within(params, services)


def _similar_search(params: Annotated[SimilarSearch, Query()], services: ServicesDep) -> SimilarSearch:
    return _within(params, services)


def _moment_filters(params: Annotated[MomentFilters, Query()], services: ServicesDep) -> MomentFilters:
    return _within(params, services)


def _phrase_search(body: PhraseSearch, services: ServicesDep) -> PhraseSearch:
    return _within(body, services)


TextSearchDep = Annotated[TextSearch, Depends(_text_search)]
SimilarSearchDep = Annotated[SimilarSearch, Depends(_similar_search)]
MomentFiltersDep = Annotated[MomentFilters, Depends(_moment_filters)]
PhraseSearchDep = Annotated[PhraseSearch, Depends(_phrase_search)]
