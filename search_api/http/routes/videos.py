"""Indexed videos: list, details, the file itself (with HTTP Range), frame thumbnails and captions."""

from __future__ import annotations

import logging
from typing import Annotated, Iterator

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response, StreamingResponse

from search_api.http.captions import NoCaptions, caption_sources, choose_source, webvtt_parts
from search_api.http.deps import ServicesDep, VideoDep
from search_api.http.ranged_file import RangedFileResponse
from search_api.http.response_models import VideoInfo, VideoList
from search_api.http.video_files import indexed_file, media_type
from search_api.search.results import video_info
from vidseek.errors import DecodeError
from vidseek.storage import cue_store, store
from vidseek.storage.library import Library
from vidseek.storage.tables import Video
from vidseek.timecode import frame_at

router = APIRouter(prefix="/api/videos", tags=["videos"])
log = logging.getLogger(__name__)


@router.get("", response_model=VideoList, summary="Every indexed video, with clip count and status")
def list_videos(services: ServicesDep) -> VideoList:
    with services.library.sessions() as session:
        videos = store.list_videos(session=session)
        counts = store.clip_counts(session=session)
        cues = cue_store.cue_source_counts(session=session)
    return VideoList(
        videos=[video_info(v, counts.get(v.id, 0), captions=caption_sources(cues.get(v.id, []))) for v in videos],
        total=len(videos),
    )


@router.get("/{video_id}", response_model=VideoInfo, summary="One video: metadata, index status, clip count")
def video_details(video: VideoDep, services: ServicesDep) -> VideoInfo:
    with services.library.sessions() as session:
        clips = len(store.clip_ids_of([video.id], session=session))
        cues = cue_store.cue_source_counts([video.id], session=session).get(video.id, [])
    return video_info(video, clips, captions=caption_sources(cues), shots=True)


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
        tracks = caption_sources(cue_store.cue_source_counts([video.id], session=session).get(video.id, []))
        try:
            track = choose_source(tracks, source=source, lang=lang)
        except NoCaptions as exc:
            raise HTTPException(404, f"no captions for video {video.id}: {exc}") from None
    cues = _track_cues(services.library, video.id, track.source)
    chunks = _chunks(webvtt_parts(cues, video.duration))
    return StreamingResponse(chunks, media_type="text/vtt; charset=utf-8", headers={"Cache-Control": "no-cache"})


CAPTION_CHUNK = 64 * 1024
"""Characters sent at a time: a cue a chunk would cost a thread hop each (18 s for 18,000 cues)."""


def _chunks(parts: Iterator[str]) -> Iterator[bytes]:
    """``parts`` joined into UTF-8 chunks of about ``CAPTION_CHUNK`` characters."""
    held: list[str] = []
    size = 0
    for part in parts:
        held.append(part)
        size += len(part)
        if size >= CAPTION_CHUNK:
            yield "".join(held).encode()
            held, size = [], 0
    if held:
        yield "".join(held).encode()


CAPTION_PAGE = 500
"""Cues read at a time while a caption file is sent (each page in its own short transaction)."""


def _track_cues(library: Library, video_id: int, source: str) -> Iterator[cue_store.TimedCue]:
    """The cues of one source of a video in time order: their ids first (8 bytes a cue), then their
    text ``CAPTION_PAGE`` cues at a time as they are sent, so a long track never sits whole in memory."""
    with library.sessions() as session:
        ids = cue_store.track_cue_ids(video_id, source, session=session)
    for lo in range(0, len(ids), CAPTION_PAGE):
        with library.sessions() as session:
            page = cue_store.timed_cues(ids[lo : lo + CAPTION_PAGE], session=session)
        yield from page


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
    summary="JPEG of one frame: number `frame`, or the one shown at `t` seconds",
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
    t: Annotated[
        float | None,
        Query(ge=0, allow_inf_nan=False, description="Seconds: the frame they fall on (as a moment's `frames`)."),
    ] = None,
    frame: Annotated[
        int | None,
        Query(ge=0, description="Frame number from 0 at the video's own rate (a moment's `frames`); instead of t."),
    ] = None,
) -> Response:
    frame = _thumbnail_frame(video, t, frame)
    # The host path goes to the server log only, never into the answer.
    if indexed_file(video) is None:
        log.warning("thumbnail of video %d: its file %s is gone", video.id, video.path)
        raise HTTPException(404, f"the file of video {video.id} is gone; re-index it or restore the file")
    try:
        # Decoding is blocking work: off the event loop. Bytes, not a file: another request may evict it.
        data = await run_in_threadpool(services.thumbnails.jpeg, video, frame)
    except DecodeError as exc:
        log.warning("thumbnail of video %d, frame %d: %s", video.id, frame, exc)
        raise HTTPException(
            410, f"the file of video {video.id} can no longer be read; re-index it or restore the file"
        ) from None
    except OSError as exc:
        folder = services.thumbnails.root
        log.warning("thumbnail of video %d (frame %d) cannot be stored in %s: %s", video.id, frame, folder, exc)
        raise HTTPException(
            503,
            "thumbnails cannot be stored on the server right now (its thumbnail folder is "
            "full or not writable); try again later",
        ) from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=3600"})


def _thumbnail_frame(video: Video, t: float | None, frame: int | None) -> int:
    """The frame number a thumbnail request names: ``frame``, or the frame ``t`` seconds fall on (frame 0
    without either); 422 past the end of the video or with both."""
    if t is not None and frame is not None:
        raise HTTPException(422, "frame: give frame or t, not both")
    if frame is None:
        if (t or 0.0) > video.duration:
            raise HTTPException(422, f"t: {t} is past the end of video {video.id} ({video.duration:.3f} s)")
        return frame_at(t or 0.0, video.fps)
    last = frame_at(video.duration, video.fps)
    if frame > last:
        raise HTTPException(422, f"frame: {frame} is past the end of video {video.id} (its last is {last})")
    return frame
