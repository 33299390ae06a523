"""Search filters turned into the engine's per-video predicate."""

from __future__ import annotations

from datetime import datetime, timezone

from search_api.http.schemas import MomentFilters
from search_api.search.hits import VideoFilter
from vidseek.storage.tables import Video


def as_utc(moment: datetime) -> datetime:
    """Aware datetimes as they are; naive ones (SQLite gives those back) read as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def video_filter(filters: MomentFilters, also: VideoFilter | None = None) -> VideoFilter | None:
    """A predicate a video must pass for its moments to be returned (the filters', and ``also`` when
    given); None when nothing is filtered."""
    checks: list[VideoFilter] = [also] if also is not None else []
    if filters.video_id:
        wanted = set(filters.video_id)
        checks.append(lambda v: v.id in wanted)
    if filters.path_prefix:
        prefix = filters.path_prefix
        checks.append(lambda v: v.path.startswith(prefix))
    if filters.min_duration is not None:
        shortest = filters.min_duration
        checks.append(lambda v: v.duration >= shortest)
    if filters.max_duration is not None:
        longest = filters.max_duration
        checks.append(lambda v: v.duration <= longest)
    if filters.indexed_after is not None:
        after = as_utc(filters.indexed_after)
        checks.append(lambda v: as_utc(v.indexed_at) > after)
    if not checks:
        return None

    def passes(video: Video) -> bool:
        return all(check(video) for check in checks)

    return passes
