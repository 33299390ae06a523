"""Exports of a query's moments that OpenTimelineIO reads back, at each file's own frame rate."""

from __future__ import annotations

import csv
import io

import opentimelineio as otio
import pytest
from fastapi.testclient import TestClient

from api.conftest import ServedLibrary
from search_api.exports import ExportProblem, edl_rate, to_edl
from search_api.response_models import MomentSpan, Positions, Timecodes, VideoRef


def _moments(client: TestClient, **params) -> list[dict]:
    return client.get("/api/search", params=params).json()["results"]


def _source_frames(timeline: otio.schema.Timeline) -> list[tuple[int, int, float]]:
    out = []
    for clip in timeline.find_clips():
        source = clip.source_range
        out.append((round(source.start_time.value), round(source.end_time_exclusive().value), source.start_time.rate))
    return out


def test_otio_has_each_moment_at_its_file_rate(client: TestClient, served: ServedLibrary) -> None:
    params = {"q": "magenta red", "limit": 3}
    moments = _moments(client, **params)
    response = client.get("/api/export.otio", params=params)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="vidseek-magenta-red.otio"'
    timeline = otio.adapters.read_from_string(response.text, "otio_json")
    assert _source_frames(timeline) == [
        (m["frames"]["start"], m["frames"]["end"], pytest.approx(m["fps"], abs=1e-3)) for m in moments
    ]
    rates = {m["video"]["title"]: r for m, (_, _, r) in zip(moments, _source_frames(timeline))}
    assert rates["magenta"] == pytest.approx(30000 / 1001) and rates["red twice"] == 25.0
    clip = timeline.find_clips()[0]
    assert clip.media_reference.target_url == served.paths["red"].as_uri()
    assert clip.metadata["vidseek"]["video_id"] == served.ids["red"]


def test_edl_source_in_and_out_points(client: TestClient, served: ServedLibrary) -> None:
    params = {"q": "red", "limit": 2, "video_id": served.ids["red"]}
    moments = _moments(client, **params)
    response = client.get("/api/export.edl", params=params)
    assert response.status_code == 200 and response.headers["content-disposition"].endswith('.edl"')
    assert "001  redtwice V     C        00:00:02:00 00:00:06:00 00:00:00:00 00:00:04:00" in response.text
    timeline = otio.adapters.read_from_string(response.text, "cmx_3600", rate=25)
    assert _source_frames(timeline) == [(m["frames"]["start"], m["frames"]["end"], 25.0) for m in moments]
    assert [(50, 150), (300, 400)] == [(s, e) for s, e, _ in _source_frames(timeline)]


def test_edl_at_29_97_is_drop_frame(client: TestClient, served: ServedLibrary) -> None:
    params = {"q": "magenta", "limit": 1, "video_id": served.ids["magenta"]}
    moment = _moments(client, **params)[0]
    edl = client.get("/api/export.edl", params=params).text
    assert f"{moment['timecode']['start']} {moment['timecode']['end']}" in edl
    timeline = otio.adapters.read_from_string(edl, "cmx_3600", rate=30000 / 1001)
    assert _source_frames(timeline)[0][:2] == (moment["frames"]["start"], moment["frames"]["end"])


def _moment_at(fps: float) -> MomentSpan:
    return MomentSpan(
        rank=1,
        score=0.5,
        relevance="high",
        z=5.0,
        video=VideoRef(id=1, path="/v/a.mp4", title="a", duration=10.0),
        start=0.0,
        end=1.0,
        peak=0.5,
        fps=fps,
        frames=Positions(start=0, end=int(fps), peak=int(fps) // 2),
        timecode=Timecodes(start="00:00:00:00", end="00:00:01:00", peak="00:00:00:05"),
        thumbnail_url="",
        video_url="",
    )


def test_edl_needs_a_smpte_rate() -> None:
    odd = _moment_at(10.0)
    with pytest.raises(ExportProblem, match="SMPTE"):
        edl_rate([odd])
    assert edl_rate([odd, _moment_at(25.0)]) == 25.0
    assert to_edl([], "nothing") == "TITLE: nothing\n\n"


def test_csv_has_seconds_frames_and_timecodes(client: TestClient) -> None:
    params = {"q": "green", "limit": 2, "min_relevance": "low"}  # the green moment and the best of the rest
    moments = _moments(client, **params)
    response = client.get("/api/export.csv", params=params)
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="vidseek-green.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(moments) == 2
    for row, m in zip(rows, moments):
        assert (int(row["rank"]), int(row["video_id"]), row["path"]) == (
            m["rank"],
            m["video"]["id"],
            m["video"]["path"],
        )
        assert row["relevance"] == m["relevance"]
        assert (float(row["start"]), float(row["end"]), float(row["peak"])) == (m["start"], m["end"], m["peak"])
        assert (int(row["start_frame"]), int(row["end_frame"])) == (m["frames"]["start"], m["frames"]["end"])
        assert (row["start_timecode"], row["peak_timecode"]) == (m["timecode"]["start"], m["timecode"]["peak"])


@pytest.mark.parametrize("suffix", ["otio", "edl", "csv"])
def test_exports_check_parameters_like_search(client: TestClient, suffix: str) -> None:
    response = client.get(f"/api/export.{suffix}", params={"q": "red", "limit": 0})
    assert response.status_code == 422 and "limit" in response.json()["detail"]
