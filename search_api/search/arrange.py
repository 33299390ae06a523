"""Pure ordering of a query's moments: by video date, and grouped by video (by best moment, by
number of moments, or by date). Input is always the relevant moments best first."""

from __future__ import annotations

from dataclasses import dataclass

from search_api.search.hits import Hit
from vidseek.storage.tables import Video

SORTS = ("score", "count", "date")


@dataclass(frozen=True)
class Group:
    """One video and its moments, best first."""

    video: Video
    hits: list[Hit]

    @property
    def best(self) -> Hit:
        return self.hits[0]


def newest_first(hits: list[Hit]) -> list[Hit]:
    """Moments of newer videos (file modification time) first; by score within a video's date."""
    return sorted(hits, key=lambda h: -h.video.mtime_ns)  # stable: the score order stays within a date


def group_by_video(hits: list[Hit], sort: str = "score") -> list[Group]:
    """The videos of ``hits`` with their moments: ranked by best moment (``score``), by number of
    moments (``count``, ties by best moment) or newest first (``date``)."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    by_video: dict[int, list[Hit]] = {}
    for hit in hits:
        by_video.setdefault(hit.video.id, []).append(hit)
    groups = [Group(found[0].video, found) for found in by_video.values()]  # in best-moment order
    if sort == "count":
        groups.sort(key=lambda g: -len(g.hits))
    elif sort == "date":
        groups.sort(key=lambda g: -g.video.mtime_ns)
    return groups
