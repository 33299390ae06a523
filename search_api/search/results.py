"""The search result JSON (README, "Search"), built as the models of ``search_api.http.response_models``
from hits and pages. Shared by the CLI and the API."""

from __future__ import annotations

from typing import Mapping, Sequence
from urllib.parse import quote

from search_api.http.captions import CaptionSource
from search_api.http.response_models import (
    Calibration,
    CaptionTrack,
    Moment,
    MomentSpan,
    Positions,
    SearchResponse,
    ShotSpan,
    Timecodes,
    VideoGroup,
    VideoInfo,
    VideoRef,
)
from search_api.http.schemas import MomentFilters
from search_api.search.arrange import Group
from search_api.search.hits import Hit, Signals, signals_key
from search_api.search.moment_details import MomentDetails
from search_api.search.paging import MomentPage
from vidseek.shots import parse_cuts, shots_of
from vidseek.timecode import counting_rate, frame_at, smpte


def _seconds(x: float) -> float:
    return round(float(x), 3)


def video_ref(video) -> VideoRef:  # noqa: ANN001
    return VideoRef(id=video.id, path=video.path, title=video.title, duration=_seconds(video.duration))


def caption_tracks(video_id: int, sources: Sequence[CaptionSource], base_url: str = "") -> list[CaptionTrack]:
    """A video's caption sources (``captions.caption_sources`` order) as the tracks its JSON lists."""
    url = f"{base_url}/api/videos/{video_id}/captions.vtt?source="
    return [
        CaptionTrack(source=s.source, lang=s.lang, cues=s.cues, default=i == 0, url=url + quote(s.source, safe=""))
        for i, s in enumerate(sources)
    ]


def video_info(
    video,  # noqa: ANN001
    clips: int,
    base_url: str = "",
    captions: Sequence[CaptionSource] | None = None,
    shots: bool = False,
) -> VideoInfo:
    """One indexed video as ``vidseek ls --json`` and ``GET /api/videos`` show it; ``captions`` (its
    caption sources) fills ``captions`` when given, ``shots`` its shots (``vidseek.shots``)."""
    return VideoInfo(
        id=video.id,
        path=video.path,
        title=video.title,
        duration=_seconds(video.duration),
        fps=video.fps,
        width=video.width,
        height=video.height,
        codec=video.codec,
        size=video.size,
        clips=clips,
        status=video.status,
        model=video.model_name,
        indexed_at=video.indexed_at.isoformat(),
        frame_count=video.frame_count,
        sample_fps=video.sample_fps,
        clip_seconds=video.clip_seconds,
        clip_stride=video.clip_stride,
        stream_url=f"{base_url}/api/videos/{video.id}/stream",
        captions=None if captions is None else caption_tracks(video.id, captions, base_url),
        shots=shot_spans(video) if shots else None,
    )


def shot_spans(video) -> list[ShotSpan] | None:  # noqa: ANN001
    """A stored video's shots (None when none were detected for it)."""
    cuts = parse_cuts(video.shots)
    if cuts is None:
        return None
    return [ShotSpan(start=s.start, end=s.end, starts_with=s.starts_with) for s in shots_of(cuts, video.duration)]


def video_detail_json(
    video,  # noqa: ANN001
    clips: int,
    base_url: str = "",
    captions: Sequence[CaptionSource] | None = None,
) -> dict:
    """``video_info`` as JSON-ready data, for answers that embed it in a dict (the CLI's ``ls --json``,
    the 409 of an upload)."""
    return video_info(video, clips, base_url, captions).model_dump(mode="json")


def _in_video(t: float, video) -> float:  # noqa: ANN001
    """``t`` within ``[0, video.duration]``: a moment's times are always a place a player can seek to."""
    return min(max(0.0, float(t)), float(video.duration)) if video.duration > 0 else max(0.0, float(t))


def frame_positions(hit: Hit) -> tuple[float, dict, dict]:
    """(fps, frame numbers, SMPTE timecodes) of a moment's start, end and peak at the video's own rate."""
    m, fps = hit.moment, hit.video.fps
    times = (("start", m.start), ("end", m.end), ("peak", m.peak))
    frames = {key: frame_at(_in_video(t, hit.video), fps) for key, t in times}
    return round(counting_rate(fps), 3), frames, {key: smpte(n, fps) for key, n in frames.items()}


def _span_fields(hit: Hit, rank: int, base_url: str) -> dict:
    """The fields of ``MomentSpan`` for one hit, in their order."""
    m, video = hit.moment, hit.video
    start, end, peak = (_seconds(_in_video(t, video)) for t in (m.start, m.end, m.peak))
    fps, frames, timecode = frame_positions(hit)
    return {
        "rank": rank,
        "score": round(m.score, 4),
        "relevance": hit.relevance,
        "z": hit.z,
        "video": video_ref(hit.video),
        "start": start,
        "end": end,
        "peak": peak,
        "fps": fps,
        "frames": Positions(**frames),
        "timecode": Timecodes(**timecode),
        "thumbnail_url": f"{base_url}/api/videos/{hit.video.id}/thumbnail?frame={frames['peak']}",
        "video_url": f"{base_url}/api/videos/{hit.video.id}/stream#t={start},{end}",
    }


def _first_rank(page: MomentPage, filters: MomentFilters) -> int:
    """Rank of the page's first moment, less one: moments count on from ``offset``, but a grouped
    page's moments count from 1 (its groups count on from ``offset``)."""
    return filters.offset if page.groups is None else 0


def moment_spans(
    page: MomentPage,
    filters: MomentFilters,
    base_url: str = "",
    *,
    signals: Mapping[tuple[int, float, float], Signals] | None = None,
) -> list[MomentSpan]:
    """The page's moments as the exports write them."""
    first = _first_rank(page, filters)
    return [
        MomentSpan(**_span_fields(h, first + i + 1, base_url), **_signal_fields(h, signals))
        for i, h in enumerate(page.hits)
    ]


def video_groups(groups: list[Group], moments: list[Moment], *, offset: int = 0) -> list[VideoGroup]:
    """One entry per video of a grouped page; ``moments`` are the page's moments in group order."""
    out, at = [], 0
    for i, group in enumerate(groups):
        mine = moments[at : at + len(group.hits)]
        at += len(group.hits)
        out.append(
            VideoGroup(
                rank=offset + i + 1,
                video=video_ref(group.video),
                score=round(group.best.moment.score, 4),
                relevance=group.best.relevance,
                count=len(group.hits),
                moments=mine,
            )
        )
    return out


def _signal_fields(hit: Hit, signals: Mapping[tuple[int, float, float], Signals] | None) -> dict:
    """``matched``, ``quote`` and ``fused`` of a hit of a search that fused speech in; none (the fields
    stay unset, and are not sent) for a visual answer."""
    found = None if signals is None else signals.get(signals_key(hit))
    return {} if found is None else {"matched": list(found.matched), "quote": found.quote, "fused": found.fused}


def search_response(
    label: str,
    page: MomentPage,
    filters: MomentFilters,
    details: list[MomentDetails],
    base_url: str = "",
    *,
    signals: Mapping[tuple[int, float, float], Signals] | None = None,
) -> SearchResponse:
    """The result JSON of one page: its moments with ``details`` (one per hit), paging, calibration, groups;
    ``signals`` (``MomentPage.signals``; None for a visual answer) say which signals found each
    moment, and add ``modality``. Fields a visual answer does not set are left out of its JSON
    (``exclude_unset``), so it is the result JSON it always was."""
    first = _first_rank(page, filters)
    moments = [
        Moment(
            **_span_fields(h, first + i + 1, base_url), **_signal_fields(h, signals), clip_id=d.clip_id, curve=d.curve
        )
        for i, (h, d) in enumerate(zip(page.hits, details, strict=True))
    ]
    searched = {} if signals is None else {"modality": getattr(filters, "modality", "visual")}
    return SearchResponse(
        query=label,
        took_ms=round(page.took_ms, 2),
        results=moments,
        limit=filters.limit,
        offset=filters.offset,
        next_offset=page.next_offset,
        min_relevance=filters.min_relevance,
        hidden=page.hidden,
        group_by=filters.group_by,
        sort=filters.sort,
        **searched,
        calibration=Calibration(background=round(page.background.level, 4), spread=round(page.background.spread, 4)),
        groups=None if page.groups is None else video_groups(page.groups, moments, offset=filters.offset),
    )
