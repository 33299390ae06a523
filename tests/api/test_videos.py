"""Video listing, the file with HTTP Range, thumbnails, and requests that try to reach other files."""

from __future__ import annotations

import io
import os

import pytest
from fastapi.testclient import TestClient
from media import COLOURS
from PIL import Image

from api.conftest import ServedLibrary
from search_api.http import thumbnails


def test_list_videos(client: TestClient, served: ServedLibrary) -> None:
    body = client.get("/api/videos").json()
    assert body["total"] == 4 and len(body["videos"]) == 4
    red = next(v for v in body["videos"] if v["id"] == served.ids["red"])
    assert red["path"] == str(served.paths["red"]) and red["status"] == "indexed"
    assert red["clips"] > 0 and red["duration"] == 20.0 and red["fps"] == 25.0
    assert red["stream_url"] == f"/api/videos/{served.ids['red']}/stream"


def test_one_video(client: TestClient, served: ServedLibrary) -> None:
    listed = {v["id"]: v for v in client.get("/api/videos").json()["videos"]}
    vid = served.ids["magenta"]
    body = client.get(f"/api/videos/{vid}").json()
    shots = body.pop("shots")
    assert listed[vid].pop("shots") is None  # shots are in a video's details only
    assert body == listed[vid]
    assert body["model"] == "test:colour-v1" and body["frame_count"] == 10 and body["sample_fps"] == 1.0
    # black 3 s, magenta 4 s, black 3 s (29.97 frames/s): the picture is a shot of its own
    assert [s["starts_with"] for s in shots] == ["start", "fade", "fade"]
    assert [round(s["start"], 1) for s in shots] == [0.0, 3.0, 7.0] and shots[-1]["end"] == body["duration"]
    red = client.get(f"/api/videos/{served.ids['red']}").json()["shots"]  # blue 2, red 4, blue 6, red 4, blue 4
    assert [(round(s["start"], 2), s["starts_with"]) for s in red] == [
        (0.0, "start"),
        (2.0, "cut"),
        (6.0, "cut"),
        (12.0, "cut"),
        (16.0, "cut"),
    ]


@pytest.mark.parametrize("url", ["/api/videos/999", "/api/videos/999/stream", "/api/videos/999/thumbnail?t=1"])
def test_unknown_video_is_404(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404 and "999" in response.json()["detail"]


def test_whole_file(client: TestClient, served: ServedLibrary) -> None:
    response = client.get(f"/api/videos/{served.ids['red']}/stream")
    assert response.status_code == 200
    assert response.content == served.paths["red"].read_bytes()
    assert response.headers["content-type"] == "video/mp4" and response.headers["accept-ranges"] == "bytes"


def test_webm_content_type(client: TestClient, served: ServedLibrary) -> None:
    response = client.get(f"/api/videos/{served.ids['white']}/stream", headers={"Range": "bytes=0-3"})
    assert response.headers["content-type"] == "video/webm"
    assert response.content == b"\x1a\x45\xdf\xa3"  # the EBML magic every WebM starts with


@pytest.mark.parametrize(
    "header, lo, hi",
    [("bytes=0-99", 0, 99), ("bytes=100-", 100, None), ("bytes=-50", -50, None), ("bytes=10-10", 10, 10)],
)
def test_range_requests_get_206(
    client: TestClient, served: ServedLibrary, header: str, lo: int, hi: int | None
) -> None:
    data = served.paths["red"].read_bytes()
    response = client.get(f"/api/videos/{served.ids['red']}/stream", headers={"Range": header})
    assert response.status_code == 206
    expected = data[lo:] if hi is None else data[lo : hi + 1]
    assert response.content == expected
    first = lo if lo >= 0 else len(data) + lo
    assert response.headers["content-range"] == f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
    assert response.headers["content-length"] == str(len(expected))


def test_unsatisfiable_range_is_416(client: TestClient, served: ServedLibrary) -> None:
    size = served.paths["red"].stat().st_size
    response = client.get(f"/api/videos/{served.ids['red']}/stream", headers={"Range": f"bytes={size + 10}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"


@pytest.mark.parametrize(
    "url",
    [
        "/api/videos/..%2F..%2Fetc%2Fpasswd/stream",
        "/api/videos/%2Fetc%2Fpasswd/stream",
        "/api/videos/1%2F..%2F2/stream",
        "/static/../vidseek/db.py",
        "/static/..%2Fvidseek%2Fdb.py",
        "/static/%2e%2e/%2e%2e/vidseek/db.py",
        "/static/..%2F..%2Fvidseek%2Fdb.py",
        "/api/videos/1/stream/../../../../etc/passwd",
    ],
)
def test_paths_from_the_request_reach_no_file(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (404, 422), (url, response.status_code)
    assert b"root:" not in response.content and b"sqlalchemy" not in response.content


def test_thumbnail_is_a_jpeg_of_the_frame_at_t(client: TestClient, served: ServedLibrary) -> None:
    response = client.get(f"/api/videos/{served.ids['red']}/thumbnail", params={"t": 3.0})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "JPEG" and image.size == (64, 48)
    mean = image.convert("RGB").resize((1, 1)).getpixel((0, 0))
    assert sum(abs(a - b) for a, b in zip(mean, COLOURS["red"])) < 40, mean
    blue = Image.open(io.BytesIO(client.get(f"/api/videos/{served.ids['red']}/thumbnail?t=8").content))
    assert blue.convert("RGB").resize((1, 1)).getpixel((0, 0))[2] > 150


def test_thumbnail_is_decoded_once_and_cached(
    client: TestClient, served: ServedLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = thumbnails.frame_image
    monkeypatch.setattr(thumbnails, "frame_image", lambda path, t: calls.append(t) or real(path, t))
    url = f"/api/videos/{served.ids['green']}/thumbnail?t=7.04"  # 25 fps: frame 176, shown 7.04-7.08 s
    first = client.get(url)
    cached = list((served.settings.data_dir / "thumbnails").glob(f"{served.ids['green']}-*-f176.jpg"))
    assert first.status_code == 200 and len(cached) == 1 and calls == [pytest.approx(7.06)]
    mtime = cached[0].stat().st_mtime_ns
    os.utime(cached[0], ns=(mtime - 10**9, mtime - 10**9))
    second = client.get(url)
    assert second.content == first.content and calls == [pytest.approx(7.06)]
    by_frame = client.get(f"/api/videos/{served.ids['green']}/thumbnail?frame=176")
    assert by_frame.content == first.content and len(calls) == 1  # the same frame, the same file
    assert cached[0].stat().st_mtime_ns == mtime - 10**9


@pytest.mark.parametrize("t", ["-1", "20.5", "nan", "soon"])
def test_thumbnail_time_outside_the_video_is_422(client: TestClient, served: ServedLibrary, t: str) -> None:
    response = client.get(f"/api/videos/{served.ids['red']}/thumbnail", params={"t": t})
    assert response.status_code == 422 and response.json()["detail"].startswith("t: ")


@pytest.mark.parametrize("query", ["frame=-1", "frame=501", "frame=1.5", "frame=2&t=0.1"])
def test_thumbnail_frame_outside_the_video_is_422(client: TestClient, served: ServedLibrary, query: str) -> None:
    response = client.get(f"/api/videos/{served.ids['red']}/thumbnail?{query}")  # 20 s at 25 fps: frames 0-500
    assert response.status_code == 422 and response.json()["detail"].startswith("frame: "), response.text
    assert client.get(f"/api/videos/{served.ids['red']}/thumbnail?frame=500").status_code == 200


def test_thumbnail_at_the_very_end(client: TestClient, served: ServedLibrary) -> None:
    response = client.get(f"/api/videos/{served.ids['red']}/thumbnail", params={"t": 20.0})
    assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"


def test_head_of_a_stream(client: TestClient, served: ServedLibrary) -> None:
    response = client.head(f"/api/videos/{served.ids['red']}/stream")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-length"] == str(served.paths["red"].stat().st_size)
