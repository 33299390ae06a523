"""Thumbnails of files that went bad answer a sentence, never a 500 or the host path; rotated videos
get upright thumbnails; the on-disk cache stays under its cap, with any number of writers."""

from __future__ import annotations

import io
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from media import Segment, make_video
from PIL import Image
from rotated_media import assert_upright, make_rotated_video

from api.conftest import colour_settings, index_videos
from search_api.http import thumbnails
from search_api.http.app import create_app
from search_api.http.thumbnails import ThumbnailCache
from vidseek.config import Settings

NAMES = ["truncated", "garbage", "locked", "directory", "raced", "full disk", "chmod", "removed"]


@dataclass(frozen=True)
class Library:
    client: TestClient
    paths: dict[str, Path]
    ids: dict[str, int]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """One indexed copy of a short video per way of going bad, plus a portrait phone video; each test
    spoils its own copy."""
    root = tmp_path_factory.mktemp("thumb-videos")
    source = make_video(root / "source.mp4", [Segment("red", 3), Segment("blue", 3)], fps=10)
    paths = {}
    for name in NAMES:
        paths[name] = root / f"{name}.mp4"
        shutil.copyfile(source, paths[name])
    paths["phone"] = make_rotated_video(root / "phone.mp4", 90, seconds=3.0, width=128, height=64)
    settings = colour_settings(tmp_path_factory.mktemp("thumb-data"))
    index_videos(settings, list(paths.values()))
    with TestClient(create_app(settings)) as client:
        listing = client.get("/api/videos").json()["videos"]
        ids = {
            name: next(v["id"] for v in listing if Path(v["path"]) == path.resolve()) for name, path in paths.items()
        }
        yield Library(client, {k: p.resolve() for k, p in paths.items()}, ids)


def assert_unreadable_answer(response, library: Library, name: str, status: int = 410) -> None:
    vid = library.ids[name]
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert detail.startswith(f"the file of video {vid} ") and "re-index" in detail
    assert str(library.paths[name].parent) not in response.text and "Errno" not in response.text


def test_a_truncated_file_is_410_in_plain_words(library: Library, caplog: pytest.LogCaptureFixture) -> None:
    path = library.paths["truncated"]
    path.write_bytes(path.read_bytes()[:2000])
    with caplog.at_level(logging.WARNING):
        response = library.client.get(f"/api/videos/{library.ids['truncated']}/thumbnail", params={"t": 1})
    assert_unreadable_answer(response, library, "truncated")
    assert response.json()["detail"] == (
        f"the file of video {library.ids['truncated']} can no longer be read; re-index it or restore the file"
    )
    assert str(path) in caplog.text, "the server log says which file"


def test_a_file_overwritten_with_garbage_is_410(library: Library) -> None:
    path = library.paths["garbage"]
    path.write_bytes(np.random.default_rng(0).integers(0, 256, path.stat().st_size, dtype=np.uint8).tobytes())
    response = library.client.get(f"/api/videos/{library.ids['garbage']}/thumbnail", params={"t": 2})
    assert_unreadable_answer(response, library, "garbage")


def test_permission_denied_is_410(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, where chmod does not stop reads: FFmpeg's own error, as it raises it.
    def denied(file, *args, **kwargs):
        raise av.error.PermissionError(13, "Permission denied", file)

    monkeypatch.setattr(av, "open", denied)  # the decoding module opens the file
    response = library.client.get(f"/api/videos/{library.ids['locked']}/thumbnail", params={"t": 1})
    assert_unreadable_answer(response, library, "locked")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_410(library: Library) -> None:
    path = library.paths["chmod"]
    path.chmod(0)
    try:
        response = library.client.get(f"/api/videos/{library.ids['chmod']}/thumbnail", params={"t": 1})
    finally:
        path.chmod(0o644)
    assert_unreadable_answer(response, library, "chmod")


def test_a_file_replaced_by_a_directory_is_404_without_the_path(library: Library) -> None:
    path = library.paths["directory"]
    path.unlink()
    path.mkdir()
    response = library.client.get(f"/api/videos/{library.ids['directory']}/thumbnail", params={"t": 1})
    assert_unreadable_answer(response, library, "directory", status=404)


def test_a_removed_file_is_404_without_the_path_for_stream_and_thumbnail(
    library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    path = library.paths["removed"]
    path.unlink()
    vid = library.ids["removed"]
    with caplog.at_level(logging.WARNING):
        for url in (f"/api/videos/{vid}/stream", f"/api/videos/{vid}/thumbnail?t=1"):
            response = library.client.get(url)
            assert_unreadable_answer(response, library, "removed", status=404)
            assert response.json()["detail"] == f"the file of video {vid} is gone; re-index it or restore the file"
    assert caplog.text.count(str(path)) == 2, "the server log says which file, each time"


def test_a_file_replaced_while_answering_is_410(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    from search_api.http.routes import videos

    path = library.paths["raced"]
    monkeypatch.setattr(videos, "indexed_file", lambda video: Path(video.path))  # checked before the swap
    path.unlink()
    path.mkdir()
    response = library.client.get(f"/api/videos/{library.ids['raced']}/thumbnail", params={"t": 1})
    assert_unreadable_answer(response, library, "raced")


def test_a_cache_that_cannot_be_written_is_503(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args, dir=None, **kwargs):
        raise OSError(28, "No space left on device", str(dir))

    monkeypatch.setattr(thumbnails.tempfile, "mkstemp", full)
    response = library.client.get(f"/api/videos/{library.ids['full disk']}/thumbnail", params={"t": 1})
    assert response.status_code == 503 and "try again later" in response.json()["detail"]
    assert "thumb-data" not in response.text and "Errno" not in response.text


def test_a_portrait_phone_video_has_an_upright_thumbnail(library: Library) -> None:
    response = library.client.get(f"/api/videos/{library.ids['phone']}/thumbnail", params={"t": 1})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (64, 128)
    assert_upright(np.asarray(image.convert("RGB")), 90)
    details = library.client.get(f"/api/videos/{library.ids['phone']}").json()
    assert (details["width"], details["height"]) == (64, 128)


# The cache itself: frames are made up (noise, so every JPEG is about the same size).


def fake_video(i: int) -> SimpleNamespace:
    return SimpleNamespace(id=i, fingerprint=f"{i:016x}", path=f"/nowhere/{i}.mp4", fps=10.0)


@pytest.fixture
def fake_frames(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    made: list[float] = []

    def frame_image(path: Path, t: float) -> Image.Image:
        made.append(t)
        rng = np.random.default_rng(round(t * 100))
        return Image.fromarray(rng.integers(0, 256, (90, 160, 3), dtype=np.uint8))

    monkeypatch.setattr(thumbnails, "frame_image", frame_image)
    return made


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.glob("*.jpg"))


def one_size(tmp_path: Path) -> int:
    probe = ThumbnailCache(tmp_path / "probe", max_bytes=0)
    return len(probe.jpeg(fake_video(0), 0))


def test_the_cache_stays_under_its_cap_and_keeps_what_was_served_lately(tmp_path: Path, fake_frames) -> None:
    size = one_size(tmp_path)
    cache = ThumbnailCache(tmp_path / "thumbs", max_bytes=int(size * 5.5))
    video = fake_video(7)
    for i in range(4):
        cache.jpeg(video, i)
    made, base = 10**18, 10**18 + 10**9
    for i, served in {0: 4, 1: 1, 2: 3, 3: 2}.items():  # made together, last served: 1, then 3, 2, 0
        os.utime(cache.path_for(video, i), ns=(base + served * 10**9, made))
    count = len(fake_frames)
    assert cache.jpeg(video, 1) and len(fake_frames) == count  # a hit: 1 is now the latest served
    for i in (4, 5):  # past the cap at 6 files: down to 4, the least recently served (3, then 2) go first
        cache.jpeg(video, i)
    kept = {int(p.stem.rsplit("-f", 1)[1]) for p in cache.root.glob("*.jpg")}
    assert {0, 1, 4, 5} <= kept and 3 not in kept and len(kept) <= 5, kept
    for i in range(6, 30):
        cache.jpeg(video, i)
        assert folder_bytes(cache.root) <= cache.max_bytes
    assert 3 <= len(list(cache.root.glob("*.jpg"))) <= 5


def test_a_hit_keeps_the_time_the_thumbnail_was_made(tmp_path: Path, fake_frames) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs", max_bytes=10**6)
    cache.jpeg(fake_video(1), 2)
    path = cache.path_for(fake_video(1), 2)
    os.utime(path, ns=(10**18, 10**18))
    cache.jpeg(fake_video(1), 2)
    assert path.stat().st_mtime_ns == 10**18 and path.stat().st_atime_ns > 10**18


def test_an_evicted_thumbnail_is_made_again(tmp_path: Path, fake_frames) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs", max_bytes=10**6)
    first = cache.jpeg(fake_video(1), 2)
    cache.path_for(fake_video(1), 2).unlink()  # another process evicted it
    assert cache.jpeg(fake_video(1), 2) == first and fake_frames == [0.25, 0.25]  # frame 2 at 10 fps, half way


def test_eviction_tolerates_files_vanishing(tmp_path: Path, fake_frames, monkeypatch: pytest.MonkeyPatch) -> None:
    size = one_size(tmp_path)
    cache = ThumbnailCache(tmp_path / "thumbs", max_bytes=0)
    for i in range(10):
        cache.jpeg(fake_video(1), i)
    real_scandir, real_unlink = os.scandir, os.unlink

    class Listed:
        """The folder as listed, then half of it removed by another process before anything is looked at."""

        def __init__(self, root) -> None:
            with real_scandir(root) as entries:
                self.entries = list(entries)
            for entry in self.entries[::2]:
                real_unlink(entry.path)

        def __enter__(self):
            return iter(self.entries)

        def __exit__(self, *exc) -> None:
            pass

    def unlink_lost_race(path) -> None:
        real_unlink(path)
        raise FileNotFoundError(2, "No such file or directory", path)

    monkeypatch.setattr(os, "scandir", Listed)
    monkeypatch.setattr(os, "unlink", unlink_lost_race)
    cache.max_bytes = size * 2
    left = cache.evict()
    monkeypatch.undo()
    assert left <= size * 2 and folder_bytes(cache.root) <= size * 2
    shutil.rmtree(cache.root)
    assert cache.evict() == 0  # the whole folder gone: nothing to do


def test_temporary_files_being_written_are_left_alone(tmp_path: Path, fake_frames) -> None:
    size = one_size(tmp_path)
    cache = ThumbnailCache(tmp_path / "thumbs", max_bytes=size * 3)
    cache.root.mkdir(parents=True)
    writing = cache.root / ".thumb-abc.jpg"
    writing.write_bytes(b"\xff" * size * 4)
    stale = cache.root / ".thumb-old.jpg"
    stale.write_bytes(b"\xff" * size)
    os.utime(stale, (1, 1))
    for i in range(5):
        cache.jpeg(fake_video(1), i)
    assert writing.exists() and not stale.exists()


def test_concurrent_requests_and_processes_share_one_capped_folder(tmp_path: Path, fake_frames) -> None:
    size = one_size(tmp_path)
    root = tmp_path / "thumbs"
    caches = [ThumbnailCache(root, max_bytes=size * 8) for _ in range(2)]  # two API processes
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        cache = caches[k % 2]
        try:
            for i in range(60):
                data = cache.jpeg(fake_video(k % 3), (i * 7 + k) % 40)
                assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    caches[0].evict()
    assert folder_bytes(root) <= size * 8
    assert not list(root.glob(".thumb-*")), "no temporary file is left behind"


def test_the_default_cap_is_the_setting(tmp_path: Path) -> None:
    assert ThumbnailCache(tmp_path).max_bytes == Settings().thumbnail_cache_bytes > 0
    assert Settings(thumbnail_cache_bytes=0).thumbnail_cache_bytes == 0


CUT_FRAME = {Fraction(24000, 1001): 96, Fraction(30000, 1001): 120, Fraction(60000, 1001): 240}
"""Per NTSC rate, the frame of a hard cut from black to red: 4.004 s in, between two milliseconds."""


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[Fraction, int]]]:
    """A video per NTSC rate, black until CUT_FRAME and red from it, indexed: (client, rate -> video id)."""
    root = tmp_path_factory.mktemp("cut-videos")
    paths = {
        fps: make_video(root / f"cut-{float(fps):.3f}.mp4", [Segment("black", cut / fps), Segment("red", 4)], fps=fps)
        for fps, cut in CUT_FRAME.items()
    }
    settings = colour_settings(tmp_path_factory.mktemp("cut-data"))
    index_videos(settings, list(paths.values()))
    with TestClient(create_app(settings)) as client:
        listing = client.get("/api/videos").json()["videos"]
        by_path = {Path(v["path"]): v["id"] for v in listing}
        yield client, {fps: by_path[path.resolve()] for fps, path in paths.items()}


def _colour(data: bytes) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(data)).convert("RGB").resize((1, 1)).getpixel((0, 0))


def _is_red(data: bytes) -> bool:
    r, g, b = _colour(data)
    return r > 150 and g < 80 and b < 80


@pytest.mark.parametrize("fps", list(CUT_FRAME), ids=["23.976", "29.97", "59.94"])
def test_a_moment_starting_at_a_cut_shows_its_own_first_frame(cuts, fps: Fraction) -> None:
    client, ids = cuts
    params = {"q": "red", "video_id": ids[fps], "min_relevance": "low"}
    [red] = client.get("/api/search", params=params).json()["results"]
    assert red["frames"]["start"] == red["frames"]["peak"] == CUT_FRAME[fps], red  # the moment starts at the cut
    assert red["thumbnail_url"] == f"/api/videos/{ids[fps]}/thumbnail?frame={CUT_FRAME[fps]}"
    assert _is_red(client.get(red["thumbnail_url"]).content), "the moment's card shows its first frame, red"
    by_time = client.get(f"/api/videos/{ids[fps]}/thumbnail", params={"t": red["start"]})
    assert _is_red(by_time.content), "its start in seconds names the same frame"
    before = client.get(f"/api/videos/{ids[fps]}/thumbnail", params={"frame": CUT_FRAME[fps] - 1})
    assert max(_colour(before.content)) < 60, "the frame before the cut is black"
