"""GET /api/videos/{id}/captions.vtt (a video's stored cues as WebVTT, one source) and the caption
tracks that the video listing and details name, on a library with subtitle sidecars and a subtitle stream."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from media import Segment, make_video
from subtitle_media import Track, make_subtitled_video

from search_api.http.app import create_app
from vidseek.config import Settings

from .conftest import colour_settings, index_videos
from .test_contract import assert_documented

HOSTILE = '<img src=x onerror="window.hacked=1"> & --> done'
"""What the sidecar's escaped line is stored as (the SRT reader decodes its entities)."""


@dataclass(frozen=True)
class Captioned:
    client: TestClient
    ids: dict[str, int]


def make_library(root: Path) -> list[Path]:
    """door: two sidecars (door.en.srt, door.srt); alert: an English subrip stream; plain: no subtitles."""
    door = make_video(root / "door.mp4", [Segment("red", 4), Segment("blue", 8)], fps=25)
    (root / "door.en.srt").write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nA red door\n\n"
        '2\n00:00:08,000 --> 00:00:09,500\n&lt;img src=x onerror="window.hacked=1"&gt; &amp; --&gt; done\n'
    )
    (root / "door.srt").write_text("1\n00:00:02,000 --> 00:00:03,000\nUne porte rouge\n")
    alert = make_subtitled_video(
        root / "alert.mkv",
        [Segment("white", 10)],
        [Track("subrip", [(1.0, 2.0, "red alert"), (5.25, 6.0, "five seconds later")], "eng")],
    )
    plain = make_video(root / "plain.mp4", [Segment("green", 4)])
    return [door, alert, plain]


def served_ids(client: TestClient) -> dict[str, int]:
    return {Path(v["path"]).stem: v["id"] for v in client.get("/api/videos").json()["videos"]}


@pytest.fixture(scope="module")
def captioned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Captioned]:
    settings = colour_settings(tmp_path_factory.mktemp("captions-data"))
    index_videos(settings, make_library(tmp_path_factory.mktemp("captions-videos")))
    with TestClient(create_app(settings)) as client:
        yield Captioned(client, served_ids(client))


def vtt(client: TestClient, video_id: int, **params: str) -> str:
    response = client.get(f"/api/videos/{video_id}/captions.vtt", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/vtt; charset=utf-8"
    return response.text


DOOR_EN = (
    "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nA red door\n\n"
    '00:00:08.000 --> 00:00:09.500\n&lt;img src=x onerror="window.hacked=1"&gt; &amp; --&gt; done\n'
)


def test_the_default_track_is_the_first_sidecar_escaped(captioned: Captioned) -> None:
    assert vtt(captioned.client, captioned.ids["door"]) == DOOR_EN
    said = captioned.client.get("/api/search", params={"q": "done", "modality": "speech"}).json()
    assert [r["quote"] for r in said["results"]] == [HOSTILE]  # the JSON has the line as said, the file escapes it
    assert vtt(captioned.client, captioned.ids["door"], lang="en") == DOOR_EN
    other = vtt(captioned.client, captioned.ids["door"], source="sidecar:door.srt")
    assert other == "WEBVTT\n\n00:00:02.000 --> 00:00:03.000\nUne porte rouge\n"


def test_a_subtitle_stream_is_the_track_of_a_video_without_sidecars(captioned: Captioned) -> None:
    text = vtt(captioned.client, captioned.ids["alert"])
    assert text == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nred alert\n\n00:00:05.250 --> 00:00:06.000\nfive seconds later\n"
    )
    assert vtt(captioned.client, captioned.ids["alert"], lang="en") == text  # the stream is tagged eng


def test_the_listing_and_details_name_each_track_and_its_url(captioned: Captioned) -> None:
    client, ids = captioned.client, captioned.ids
    door = client.get(f"/api/videos/{ids['door']}").json()
    assert door["captions"] == [
        {
            "source": "sidecar:door.en.srt",
            "lang": "en",
            "cues": 2,
            "default": True,
            "url": f"/api/videos/{ids['door']}/captions.vtt?source={quote('sidecar:door.en.srt', safe='')}",
        },
        {
            "source": "sidecar:door.srt",
            "lang": None,
            "cues": 1,
            "default": False,
            "url": f"/api/videos/{ids['door']}/captions.vtt?source=sidecar%3Adoor.srt",
        },
    ]
    assert client.get(door["captions"][1]["url"]).text.endswith("Une porte rouge\n")
    listed = {v["id"]: v for v in client.get("/api/videos").json()["videos"]}
    assert listed[ids["door"]] == {**door, "shots": None}  # the list leaves each video's shots to its details
    [stream] = listed[ids["alert"]]["captions"]
    assert (stream["source"].startswith("stream:"), stream["lang"], stream["cues"]) == (True, "eng", 2)
    assert listed[ids["plain"]]["captions"] == []


@pytest.fixture(scope="module")
def spec(captioned: Captioned) -> dict:
    return captioned.client.get("/openapi.json").json()


def test_no_captions_is_a_404_that_says_what_there_is(captioned: Captioned, spec: dict) -> None:
    client, ids = captioned.client, captioned.ids
    path = "/api/videos/{video_id}/captions.vtt"
    cases = [
        (ids["plain"], {}, "it has no subtitle cues"),
        (ids["door"], {"source": "stream:9"}, "source stream:9; it has: sidecar:door.en.srt (en), sidecar:door.srt"),
        (ids["door"], {"lang": "de"}, "language de"),
        (ids["alert"], {"source": "sidecar:door.en.srt"}, "(eng)"),
        (424242, {}, "no indexed video has id 424242"),
    ]
    for video_id, params, words in cases:
        response = client.get(f"/api/videos/{video_id}/captions.vtt", params=params)
        assert response.status_code == 404 and words in response.json()["detail"], response.text
        assert_documented(spec, path, "get", response)


@pytest.mark.parametrize(
    "url",
    ["/api/videos/abc/captions.vtt", "/api/videos/1/captions.vtt?lang=en%20us", "/api/videos/1/captions.vtt?lang="],
)
def test_bad_parameters_are_422(captioned: Captioned, spec: dict, url: str) -> None:
    response = captioned.client.get(url)
    assert response.status_code == 422, response.text
    assert_documented(spec, "/api/videos/{video_id}/captions.vtt", "get", response)


def test_the_route_is_declared_as_webvtt(spec: dict) -> None:
    op = spec["paths"]["/api/videos/{video_id}/captions.vtt"]["get"]
    assert "text/vtt" in op["responses"]["200"]["content"]
    assert {p["name"] for p in op["parameters"]} == {"video_id", "source", "lang"}
    assert {"404", "422", "401", "429", "503", "500"} <= set(op["responses"])
    assert "captions" in spec["components"]["schemas"]["VideoInfo"]["properties"]


def test_captions_on_both_backends(db_settings: Settings, tmp_path: Path) -> None:
    settings = db_settings.model_copy(update={"sample_fps": 1.0, "clip_seconds": 4.0, "clip_stride": 2.0})
    index_videos(settings, make_library(tmp_path / "videos"))
    with TestClient(create_app(settings)) as client:
        ids = served_ids(client)
        assert vtt(client, ids["door"]) == DOOR_EN
        assert vtt(client, ids["alert"], lang="eng").endswith("five seconds later\n")
        assert client.get(f"/api/videos/{ids['plain']}/captions.vtt").status_code == 404
        assert [t["cues"] for t in client.get(f"/api/videos/{ids['door']}").json()["captions"]] == [2, 1]
