"""The search result JSON of PRODUCT.md, built from hits. Shared by the CLI and the API."""

from __future__ import annotations

from search_api.engine import Hit


def _seconds(x: float) -> float:
    return round(float(x), 3)


def video_json(video) -> dict:  # noqa: ANN001
    return {"id": video.id, "path": video.path, "title": video.title, "duration": _seconds(video.duration)}


def hit_json(hit: Hit, rank: int, base_url: str = "") -> dict:
    m = hit.moment
    start, end, peak = _seconds(m.start), _seconds(m.end), _seconds(m.peak)
    return {
        "rank": rank,
        "score": round(m.score, 4),
        "video": video_json(hit.video),
        "start": start,
        "end": end,
        "peak": peak,
        "thumbnail_url": f"{base_url}/api/videos/{hit.video.id}/thumbnail?t={peak}",
        "video_url": f"{base_url}/api/videos/{hit.video.id}/stream#t={start},{end}",
    }


def results_json(query: str, took_ms: float, hits: list[Hit], *, offset: int = 0, base_url: str = "") -> dict:
    return {
        "query": query,
        "took_ms": round(took_ms, 2),
        "results": [hit_json(h, offset + i + 1, base_url) for i, h in enumerate(hits)],
    }
