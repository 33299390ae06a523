"""Indexed videos: list, details, the file itself (with HTTP Range), frame thumbnails and captions."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from search_api.captions import NoCaptions, caption_sources, choose_source, webvtt
from search_api.deps import ServicesDep, VideoDep
from search_api.ranged_file import RangedFileResponse
from search_api.response_models import VideoInfo, VideoList
from search_api.results import video_info
from search_api.video_files import indexed_file, media_type
from vidseek import store
from vidseek.errors import DecodeError

router = APIRouter(prefix="/api/videos", tags=["videos"])
log = logging.getLogger(__name__)


@router.get("", response_model=VideoList, summary="Every indexed video, with clip count and status")
def list_videos(services: ServicesDep) -> VideoList:
    with services.library.sessions() as session:
        videos = store.list_videos(session=session)
        counts = store.clip_counts(session=session)
        cues = store.cue_source_counts(session=session)
    return VideoList(
        videos=[video_info(v, counts.get(v.id, 0), captions=caption_sources(cues.get(v.id, []))) for v in videos],
        total=len(videos),
    )


@router.get("/{video_id}", response_model=VideoInfo, summary="One video: metadata, index status, clip count")
def video_details(video: VideoDep, services: ServicesDep) -> VideoInfo:
    with services.library.sessions() as session:
        clips = len(store.clip_ids_of([video.id], session=session))
        cues = store.cue_source_counts([video.id], session=session).get(video.id, [])
    return video_info(video, clips, captions=caption_sources(cues))


_VTT = {"text/vtt": {"schema": {"type": "string"}}}


@router.get(
    "/{video_id}/captions.vtt",
    summary="The video's subtitle cues as WebVTT captions (one source: its first sidecar, else its first stream)",
    response_class=Response,
    responses={200: {"description": "A WebVTT file (`text/vtt; charset=utf-8`).", "content": _VTT}},
)
def captions(
    video: VideoDep,
    services: ServicesDep,
    source: Annotated[
        str | None,
        Query(max_length=1000, description="A source of `captions` in the video's details, e.g. `stream:2`."),
    ] = None,
    lang: Annotated[
        str | None,
        Query(
            max_length=35,
            pattern=r"^[A-Za-z0-9_-]+$",
            description="A language tag as stored (`en`, `eng`); `en` also finds `en-GB`.",
        ),
    ] = None,
) -> Response:
    with services.library.sessions() as session:
        tracks = caption_sources(store.cue_source_counts([video.id], session=session).get(video.id, []))
        try:
            track = choose_source(tracks, source=source, lang=lang)
        except NoCaptions as exc:
            raise HTTPException(404, f"no captions for video {video.id}: {exc}") from None
        text = webvtt(store.cues_of(video.id, session=session, source=track.source))
    return Response(text, media_type="text/vtt", headers={"Cache-Control": "no-cache"})


_FILE = {"schema": {"type": "string", "format": "binary"}}
_STREAM_RESPONSES = {
    200: {
        "description": "The whole file (also when the Range is in another unit or not a valid byte range).",
        "content": {"video/*": _FILE, "application/octet-stream": _FILE},
    },
    206: {
        "description": "The bytes asked for; several ranges as multipart/byteranges.",
        "content": {"video/*": _FILE, "application/octet-stream": _FILE, "multipart/byteranges": _FILE},
    },
    416: {"description": "No byte range asked for lies within the file (`Content-Range: bytes */SIZE`)."},
}
_RANGE = "`bytes=START-END`, several comma-separated, or `bytes=-N` for the last N bytes (RFC 9110)."


@router.get(
    "/{video_id}/stream",
    response_class=Response,
    responses=_STREAM_RESPONSES,
    summary="The video file; HTTP Range requests get 206 Partial Content",
)
@router.head("/{video_id}/stream", response_class=Response, include_in_schema=False)
def stream_video(
    video: VideoDep,
    byte_range: Annotated[str | None, Header(alias="Range", description=_RANGE)] = None,
) -> FileResponse:
    path = indexed_file(video)
    if path is None:  # the host path goes to the server log only, as for thumbnails
        log.warning("stream of video %d: its file %s is gone", video.id, video.path)
        raise HTTPException(404, f"the file of video {video.id} is gone; re-index it or restore the file")
    # Range is read by the response itself (RangedFileResponse); the parameter documents it.
    return RangedFileResponse(path, media_type=media_type(path))


@router.get(
    "/{video_id}/thumbnail",
    summary="JPEG of the frame at t seconds",
    response_class=Response,
    responses={
        200: {
            "description": "The frame as a JPEG image (`image/jpeg`).",
            "content": {"image/jpeg": _FILE, "application/octet-stream": _FILE},
        }
    },
)
async def thumbnail(
    video: VideoDep,
    services: ServicesDep,
    t: Annotated[float, Query(ge=0, allow_inf_nan=False, description="Seconds.")] = 0.0,
) -> Response:
    if t > video.duration:
        raise HTTPException(422, f"t: {t} is past the end of video {video.id} ({video.duration:.3f} s)")
    # The host path goes to the server log only, never into the answer.
    if indexed_file(video) is None:
        log.warning("thumbnail of video %d: its file %s is gone", video.id, video.path)
        raise HTTPException(404, f"the file of video {video.id} is gone; re-index it or restore the file")
    try:
        # Decoding is blocking work: off the event loop. Bytes, not a file: another request may evict it.
        data = await run_in_threadpool(services.thumbnails.jpeg, video, t)
    except DecodeError as exc:
        log.warning("thumbnail of video %d at %.1f s: %s", video.id, t, exc)
        raise HTTPException(
            410, f"the file of video {video.id} can no longer be read; re-index it or restore the file"
        ) from None
    except OSError as exc:
        log.warning(
            "thumbnail of video %d at %.1f s cannot be stored in %s: %s", video.id, t, services.thumbnails.root, exc
        )
        raise HTTPException(
            503,
            "thumbnails cannot be stored on the server right now (its thumbnail folder is "
            "full or not writable); try again later",
        ) from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=3600"})
