"""Route dependencies as types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from search_api.services import Services
from vidseek import store
from vidseek.models import Video


def get_services(request: Request) -> Services:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise HTTPException(503, "the model and index are not loaded yet")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_video(video_id: int, services: ServicesDep) -> Video:
    """The indexed video with this id (path parameter ``video_id``), or 404."""
    with services.library.sessions() as session:
        video = store.videos_by_ids([video_id], session=session).get(video_id)
    if video is None:
        raise HTTPException(404, f"no indexed video has id {video_id}")
    return video


VideoDep = Annotated[Video, Depends(get_video)]
