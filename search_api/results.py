"""The search result JSON of PRODUCT.md, built from hits. Shared by the CLI and the API."""

from __future__ import annotations

from search_api.engine import Hit
from vidseek.timecode import counting_rate, frame_at, smpte


def _seconds(x: float) -> float:
    return round(float(x), 3)


def video_json(video) -> dict:  # noqa: ANN001
    return {"id": video.id, "path": video.path, "title": video.title, "duration": _seconds(video.duration)}


def video_detail_json(video, clips: int, base_url: str = "") -> dict:  # noqa: ANN001
    """One indexed video as ``vidseek ls --json`` and ``GET /api/videos`` show it."""
    return {**video_json(video), "fps": video.fps, "width": video.width, "height": video.height,
            "codec": video.codec, "size": video.size, "clips": clips, "status": video.status,
            "model": video.model_name, "indexed_at": video.indexed_at.isoformat(),
            "frame_count": video.frame_count, "sample_fps": video.sample_fps, "clip_seconds": video.clip_seconds,
            "clip_stride": video.clip_stride,
            "stream_url": f"{base_url}/api/videos/{video.id}/stream"}


def frame_positions(hit: Hit) -> tuple[float, dict, dict]:
    """(fps, frame numbers, SMPTE timecodes) of a moment's start, end and peak at the video's own rate."""
    m, fps = hit.moment, hit.video.fps
    frames = {key: frame_at(t, fps) for key, t in (("start", m.start), ("end", m.end), ("peak", m.peak))}
    return round(counting_rate(fps), 3), frames, {key: smpte(n, fps) for key, n in frames.items()}


def hit_json(hit: Hit, rank: int, base_url: str = "") -> dict:
    m = hit.moment
    start, end, peak = _seconds(m.start), _seconds(m.end), _seconds(m.peak)
    fps, frames, timecode = frame_positions(hit)
    return {
        "rank": rank,
        "score": round(m.score, 4),
        "relevance": hit.relevance,
        "z": hit.z,
        "video": video_json(hit.video),
        "start": start,
        "end": end,
        "peak": peak,
        "fps": fps,
        "frames": frames,
        "timecode": timecode,
        "thumbnail_url": f"{base_url}/api/videos/{hit.video.id}/thumbnail?t={peak}",
        "video_url": f"{base_url}/api/videos/{hit.video.id}/stream#t={start},{end}",
    }


def results_json(query: str, took_ms: float, hits: list[Hit], *, offset: int = 0, base_url: str = "") -> dict:
    return {
        "query": query,
        "took_ms": round(took_ms, 2),
        "results": [hit_json(h, offset + i + 1, base_url) for i, h in enumerate(hits)],
    }


def groups_json(groups, results: list[dict], *, offset: int = 0) -> list[dict]:  # noqa: ANN001
    """One entry per video of a grouped page; ``results`` are the page's moment JSONs in group order."""
    out, at = [], 0
    for i, group in enumerate(groups):
        moments = results[at:at + len(group.hits)]
        at += len(group.hits)
        out.append({"rank": offset + i + 1, "video": video_json(group.video), "score": round(group.best.moment.score, 4),
                    "relevance": group.best.relevance, "count": len(group.hits), "moments": moments})
    return out
