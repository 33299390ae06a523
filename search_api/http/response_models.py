"""Every JSON answer of the search, export and video routes, declared once: ``search_api.search.results``
builds these models, the routes return them (``response_model``), and the OpenAPI document is made
from them, so it describes exactly what is sent (the result JSON of README, "Search"). Field order is the
JSON's order."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class VideoRef(BaseModel):
    id: int
    path: str
    title: str
    duration: float = Field(description="Seconds.")


class Positions(BaseModel):
    start: int
    end: int
    peak: int


class Timecodes(BaseModel):
    start: str
    end: str
    peak: str


class Curve(BaseModel):
    start: float = Field(description="Time of the first score, seconds.")
    step: float = Field(description="Seconds between scores (one per sampled frame).")
    scores: list[float] = Field(description="Cosine of the query with each sampled frame around the moment.")
    cuts: list[float] | None = Field(
        None,
        description="Cuts between shots (seconds) within the moment and the curve's span; null for a video "
        "without shots (indexed before them, or with VIDSEEK_SHOTS=false).",
    )


class MomentSpan(BaseModel):
    """A moment: where it lies in its video and how well it matches (what the exports write)."""

    rank: int
    score: float
    relevance: Literal["high", "medium", "low"] = Field(
        description="Band from the query's calibration (see README: relevance)."
    )
    z: float = Field(description="Background spreads the score lies above the query's background.")
    video: VideoRef
    start: float = Field(description="Seconds from the start of the video.")
    end: float
    peak: float = Field(description="Time of the best-matching frame.")
    fps: float = Field(description="The video's own frame rate; frames and timecodes count at it.")
    frames: Positions = Field(description="Frame numbers (from 0) at the video's own rate.")
    timecode: Timecodes = Field(description="SMPTE HH:MM:SS:FF; drop-frame HH:MM:SS;FF at 29.97 and 59.94.")
    thumbnail_url: str
    video_url: str
    matched: list[Literal["visual", "speech", "shown"]] = Field(
        default_factory=lambda: ["visual"], description="The signals that found this moment."
    )
    quote: str | None = Field(
        None, description="The line(s) that matched: said (speech) or shown in the picture (shown matches only)."
    )
    fused: float | None = Field(
        None,
        description="Reciprocal rank fusion score (modality=speech, shown or all with line matches): the order.",
    )


class Moment(MomentSpan):
    """A moment of the search answer: its span, a clip of it and its relevance curve."""

    clip_id: int | None = Field(description="A clip of this moment: GET /api/search/similar?clip_id=...")
    curve: Curve


class Calibration(BaseModel):
    background: float = Field(description="Median score of a sample of library clips for this query.")
    spread: float = Field(description="Robust standard deviation of those scores.")


class VideoGroup(BaseModel):
    rank: int
    video: VideoRef
    score: float = Field(description="The best moment's score.")
    relevance: Literal["high", "medium", "low"]
    count: int = Field(description="Moments of this video that pass min_relevance.")
    moments: list[Moment]


class SearchResponse(BaseModel):
    query: str
    took_ms: float
    results: list[Moment]
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last page.")
    min_relevance: Literal["high", "medium", "low"]
    hidden: int = Field(description="Moments found that scored below min_relevance and are not shown (at least).")
    group_by: Literal["none", "video"]
    sort: Literal["score", "count", "date"]
    modality: Literal["visual", "speech", "shown", "all"] = Field(
        "visual", description="The signals searched (GET and POST /api/search's modality; the other routes: visual)."
    )
    calibration: Calibration
    groups: list[VideoGroup] | None = Field(None, description="With group_by=video: the page's videos.")


class CaptionTrack(BaseModel):
    source: str = Field(description="Where the cues came from: `sidecar:NAME.en.srt`, `stream:INDEX`.")
    lang: str | None = Field(description="Its language tag as found (`en`, `eng`, `pt-BR`); null when unknown.")
    cues: int = Field(description="Cues stored from it.")
    default: bool = Field(description="The track `captions.vtt` serves when no source or lang is asked for.")
    url: str = Field(description="Its WebVTT file: `GET /api/videos/{id}/captions.vtt?source=...`.")


class ShotSpan(BaseModel):
    start: float = Field(description="Seconds.")
    end: float = Field(description="Seconds.")
    starts_with: Literal["start", "cut", "fade"] = Field(
        description="How it began: `start` (the video's first shot), a hard `cut`, or a `fade` through black."
    )


class VideoInfo(VideoRef):
    fps: float
    width: int
    height: int
    codec: str
    size: int = Field(description="Bytes.")
    clips: int
    status: str
    model: str
    indexed_at: str
    frame_count: int = Field(description="Frames sampled and embedded.")
    sample_fps: float
    clip_seconds: float
    clip_stride: float
    stream_url: str
    captions: list[CaptionTrack] | None = Field(
        None,
        description="Its caption tracks (stored subtitle cues, one per source), the default first; [] when it "
        "has none. Null where they are not looked up (`vidseek ls --json`).",
    )
    shots: list[ShotSpan] | None = Field(
        None,
        description="Its shots in time order, from the cuts found while it was indexed (one shot when it has no "
        "cut). Null in the list of videos, and for a video indexed before shots were detected or with "
        "VIDSEEK_SHOTS=false.",
    )


class VideoList(BaseModel):
    videos: list[VideoInfo]
    total: int


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    clips: int = Field(description="Clips in the loaded index.")
    model: str = Field(description="The model the library is embedded with.")


class KeyRef(BaseModel):
    id: int
    prefix: str = Field(description="The key's first characters, as `vidseek keys list` shows them.")


class AuthStatus(BaseModel):
    key: KeyRef | None = Field(description="The valid key sent; null when none was.")
    key_sent: bool = Field(description="A key was sent (valid or not).")
    can_write: bool = Field(description="This caller may upload, delete and re-index.")
    write_status: int = Field(description="What a write would be answered: 200, or the status of its refusal.")
    reason: str | None = Field(description="Why a write would be refused; null when it would not.")
    reads_need_key: bool = Field(description="The server asks for a key on reads too.")
