"""POST /api/videos: streamed multipart uploads into the media folder, probed, de-duplicated, queued."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from search_api.http.uploads import UploadProblem, receive_upload, safe_name

if TYPE_CHECKING:
    from tests.live.conftest import Live


def upload(live: Live, path: Path, name: str | None = None, key: str | None = None, **kwargs):  # noqa: ANN201
    key = key or live.make_key()
    with path.open("rb") as f:
        return live.client.post(
            "/api/videos", files={"file": (name or path.name, f, "video/mp4")}, headers=live.auth(key), **kwargs
        )


def media_files(live: Live) -> list[Path]:
    media = Path(live.settings.media_dir)
    return sorted(media.iterdir()) if media.exists() else []


def test_a_video_uploads_into_the_media_folder_and_queues_an_index_job(live: Live, clips) -> None:  # noqa: ANN001
    response = upload(live, clips["green"], name="Grüne Wiese.mp4")
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["kind"] == "index" and job["status"] == "queued"
    assert response.headers["location"] == f"/api/jobs/{job['id']}"
    stored = Path(job["path"])
    assert stored.parent == Path(live.settings.media_dir).resolve()
    assert stored.name == "Grüne Wiese.mp4"  # unicode kept
    assert stored.read_bytes() == clips["green"].read_bytes()
    assert media_files(live) == [stored]  # and no temp file left
    assert job["payload"]["original_name"] == "Grüne Wiese.mp4"
    assert job["payload"]["size"] == clips["green"].stat().st_size
    # the job is listed and can be fetched
    assert live.client.get(response.headers["location"]).json()["id"] == job["id"]


def test_a_name_that_exists_gets_a_suffix(live: Live, clips) -> None:  # noqa: ANN001
    key = live.make_key()
    first = upload(live, clips["green"], name="clip.mp4", key=key)
    second = upload(live, clips["magenta"], name="clip.mp4", key=key)
    assert first.status_code == second.status_code == 202, second.text
    assert Path(first.json()["path"]).name == "clip.mp4"
    assert Path(second.json()["path"]).name == "clip (2).mp4"
    assert Path(second.json()["path"]).read_bytes() == clips["magenta"].read_bytes()


def test_a_traversal_file_name_is_sanitised(live: Live, clips) -> None:  # noqa: ANN001
    response = upload(live, clips["cyan"], name="../../evil.mp4")
    assert response.status_code == 202, response.text
    stored = Path(response.json()["path"])
    assert stored == Path(live.settings.media_dir).resolve() / "evil.mp4"
    assert not (Path(live.settings.media_dir).parent / "evil.mp4").exists()
    assert not (Path(live.settings.media_dir).parent.parent / "evil.mp4").exists()


def test_safe_names() -> None:
    assert safe_name("../../evil.mp4") == "evil.mp4"
    assert safe_name("..\\..\\windows\\evil.mp4") == "evil.mp4"
    assert safe_name("/etc/passwd") == "passwd"
    assert safe_name("..") == "upload"
    assert safe_name(".hidden.mp4") == "hidden.mp4"
    assert safe_name("") == "upload"
    assert safe_name("a\x00b\nc.mp4") == "abc.mp4"
    assert safe_name("夏の海 🌊.mov") == "夏の海 🌊.mov"
    assert safe_name(".mp4") == "mp4"
    long = safe_name("ü" * 300 + ".mp4")
    assert long.endswith(".mp4") and len(long.encode()) <= 200


def test_a_video_with_a_wrong_or_missing_suffix_is_named_by_its_content(live: Live, clips) -> None:  # noqa: ANN001
    response = upload(live, clips["green"], name="holiday")
    assert response.status_code == 202, response.text
    assert Path(response.json()["path"]).name == "holiday.mp4"


def test_a_text_file_named_mp4_is_refused_by_probing(live: Live, tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are my notes, not a video\n" * 50)
    response = upload(live, fake)
    assert response.status_code == 415
    assert "not a video" in response.json()["detail"] and "not a readable video" in response.json()["detail"]
    assert media_files(live) == []


@pytest.mark.parametrize("kind", ["png", "jpeg named mp4"])
def test_a_picture_is_refused_whatever_its_name(live: Live, tmp_path: Path, kind: str) -> None:
    from still_images import write_jpeg, write_png

    picture = write_png(tmp_path / "still.png") if kind == "png" else write_jpeg(tmp_path / "photo.mp4")
    response = upload(live, picture)
    assert response.status_code == 415, response.text
    assert "is an image" in response.json()["detail"]
    assert media_files(live) == []


def test_an_oversized_upload_is_refused_and_leaves_no_temp_file(live_factory, clips) -> None:  # noqa: ANN001
    live = live_factory(max_upload_bytes=4096)
    assert clips["green"].stat().st_size > 4096
    response = upload(live, clips["green"])
    assert response.status_code == 413
    assert "upload limit" in response.json()["detail"] and "4 KiB" in response.json()["detail"]
    assert media_files(live) == []
    # the same when the client declares a huge Content-Length up front: refused before reading
    key = live.make_key()
    response = live.client.post(
        "/api/videos",
        content=b"x" * 10,
        headers={
            **live.auth(key),
            "Content-Type": "multipart/form-data; boundary=abc",
            "Content-Length": str(50 * 1024 * 1024),
        },
    )
    assert response.status_code == 413
    assert media_files(live) == []


def test_a_duplicate_by_content_is_reported_not_queued_again(live: Live, clips) -> None:  # noqa: ANN001
    key = live.make_key()
    # the red clip is already indexed: same bytes under another name
    response = upload(live, clips["red"], name="copy of red.mp4", key=key)
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["duplicate_of"] == live.red_id
    assert body["video"]["id"] == live.red_id and body["video"]["captions"] == []  # as GET /api/videos/{id}
    assert response.headers["location"] == f"/api/videos/{live.red_id}"
    assert media_files(live) == []
    # uploaded twice before a worker indexed it: the second points at the first's job
    first = upload(live, clips["green"], key=key)
    again = upload(live, clips["green"], name="green again.mp4", key=key)
    assert first.status_code == 202 and again.status_code == 409
    assert again.json()["duplicate_of_job"] == first.json()["id"]
    assert len(media_files(live)) == 1
    assert live.client.get("/api/jobs").json()["total"] == 1


def test_simultaneous_uploads_of_one_file_queue_it_once(live: Live, clips) -> None:  # noqa: ANN001
    import threading

    key = live.make_key()
    start = threading.Barrier(4)
    answers: list[int] = []

    def send() -> None:
        start.wait()
        answers.append(upload(live, clips["cyan"], key=key).status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers) == [202, 409, 409, 409]
    assert len(media_files(live)) == 1 and live.client.get("/api/jobs").json()["total"] == 1


def test_bad_requests(live: Live, clips) -> None:  # noqa: ANN001
    key = live.make_key()
    no_file = live.client.post(
        "/api/videos", data={"title": "x"}, files={"other": ("a.mp4", b"123")}, headers=live.auth(key)
    )
    assert no_file.status_code == 422 and no_file.json()["detail"].startswith("file:")
    not_multipart = live.client.post(
        "/api/videos", content=clips["green"].read_bytes(), headers={**live.auth(key), "Content-Type": "video/mp4"}
    )
    assert not_multipart.status_code == 415 and "multipart/form-data" in not_multipart.json()["detail"]
    assert media_files(live) == []


def test_upload_needs_a_key(live: Live, clips) -> None:  # noqa: ANN001
    with clips["green"].open("rb") as f:
        response = live.client.post("/api/videos", files={"file": ("g.mp4", f, "video/mp4")})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "vidseek keys create" in response.json()["detail"]
    assert media_files(live) == []


class _StreamedRequest:
    """Just enough of a Starlette request: headers and a body that counts the chunks it hands out."""

    def __init__(self, chunks: int, chunk_size: int = 64 * 1024) -> None:
        self.headers = {"content-type": "multipart/form-data; boundary=XyZ"}
        self.chunks, self.chunk_size, self.sent = chunks, chunk_size, 0

    async def stream(self):  # noqa: ANN201
        head = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n'
        yield head
        for _ in range(self.chunks):
            self.sent += 1
            yield b"\0" * self.chunk_size
        yield b"\r\n--XyZ--\r\n"


def test_the_body_is_streamed_and_reading_stops_at_the_limit(tmp_path: Path) -> None:
    request = _StreamedRequest(chunks=1000)  # 64 MiB, never held whole
    with pytest.raises(UploadProblem) as refused:
        asyncio.run(receive_upload(request, tmp_path, max_bytes=256 * 1024))
    assert refused.value.status == 413
    assert request.sent == 5  # stopped at the first chunk past 256 KiB, not at the end of the body
    assert list(tmp_path.iterdir()) == []
    # under the limit the file lands in a hidden temp file in the folder, chunk by chunk
    request = _StreamedRequest(chunks=8)
    received = asyncio.run(receive_upload(request, tmp_path, max_bytes=1024 * 1024))
    assert received.size == 8 * 64 * 1024 and received.filename == "big.mp4"
    assert received.temp_path.parent == tmp_path and received.temp_path.name.startswith(".upload-")
    assert received.temp_path.stat().st_size == received.size


def test_stale_temp_files_are_swept(tmp_path: Path) -> None:
    import os
    import time

    from search_api.http.uploads import sweep_stale_temp_files

    old, fresh, video = tmp_path / ".upload-old.part", tmp_path / ".upload-new.part", tmp_path / "keep.mp4"
    for f in (old, fresh, video):
        f.write_bytes(b"x")
    long_ago = time.time() - 7 * 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(video, (long_ago, long_ago))
    assert sweep_stale_temp_files(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".upload-new.part", "keep.mp4"]


@pytest.mark.parametrize("links", [True, False])
def test_place_never_overwrites(tmp_path: Path, monkeypatch, links: bool) -> None:  # noqa: ANN001
    import os

    from search_api.http.uploads import place

    if not links:

        def no_links(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise OSError(1, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_links)
    (tmp_path / "a.mp4").write_bytes(b"first")
    placed = []
    for content in (b"second", b"third"):
        temp = tmp_path / ".upload-x.part"
        temp.write_bytes(content)
        placed.append(place(temp, tmp_path, "a.mp4"))
        assert not temp.exists()
    assert [p.name for p in placed] == ["a (2).mp4", "a (3).mp4"]
    assert [p.read_bytes() for p in placed] == [b"second", b"third"]
    assert (tmp_path / "a.mp4").read_bytes() == b"first"


# ------------------------------------------------------------- temp files that killed uploads left

_HOLDER = r"""
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)  # like a live upload on another server sharing the media folder
print("held", flush=True)
sys.stdin.read()
"""


def _aged(path: Path, seconds: float = 600) -> Path:
    import os
    import time

    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)
    return path


def test_server_start_removes_only_what_killed_uploads_left(live_factory, tmp_path: Path) -> None:  # noqa: ANN001
    import subprocess
    import sys

    media = tmp_path / "media"
    media.mkdir()
    dead = media / ".upload-dead1234.part"
    dead.write_bytes(b"half a video")
    _aged(dead)
    for name in (".upload-live.part", ".upload-fresh.part", "holiday.part", ".upload-x.mp4"):
        (media / name).write_bytes(b"x")
    for name in (".upload-live.part", "holiday.part", ".upload-x.mp4"):
        _aged(media / name)
    (media / ".upload-folder.part").mkdir()
    _aged(media / ".upload-folder.part")
    (media / "sub").mkdir()
    nested = media / "sub" / ".upload-nested.part"
    nested.write_bytes(b"x")
    _aged(nested)
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"x")
    _aged(outside)
    (media / ".upload-link.part").symlink_to(outside)
    _aged(media / ".upload-link.part")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(media / ".upload-live.part")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        live_factory()  # the app starts: the sweep runs once, before any upload
        left = sorted(str(p.relative_to(media)) for p in media.rglob("*"))
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert ".upload-dead1234.part" not in left  # untouched for 10 minutes and held by nobody
    assert left == sorted(
        [
            ".upload-live.part",
            ".upload-fresh.part",
            "holiday.part",
            ".upload-x.mp4",
            ".upload-folder.part",
            "sub",
            "sub/.upload-nested.part",
            ".upload-link.part",
        ]
    )
    assert outside.exists()


class _SweepingRequest(_StreamedRequest):
    """A body during which the sweep runs, as another server starting would, treating every file as old."""

    def __init__(self, directory: Path) -> None:
        super().__init__(chunks=4)
        self.directory, self.swept = directory, []

    async def stream(self):  # noqa: ANN201
        from search_api.http.uploads import sweep_stale_temp_files

        async for chunk in super().stream():
            if self.sent == 2:
                self.swept.append(sweep_stale_temp_files(self.directory, older_than=-1))
            yield chunk


def test_an_upload_in_progress_holds_its_temp_file_until_its_request_ends(tmp_path: Path) -> None:
    import gc

    from search_api.http.uploads import sweep_stale_temp_files

    request = _SweepingRequest(tmp_path)
    received = asyncio.run(receive_upload(request, tmp_path, max_bytes=1024 * 1024))
    assert request.swept == [0] and received.temp_path.stat().st_size == received.size  # mid-body: kept
    _aged(received.temp_path)
    assert sweep_stale_temp_files(tmp_path) == 0  # written, being probed and moved: still held
    temp = received.temp_path
    del received
    gc.collect()
    assert sweep_stale_temp_files(tmp_path) == 1 and not temp.exists()  # its request is over: left over


_UPLOAD_UNTIL_KILLED = r"""
import asyncio, sys, time
from pathlib import Path
from search_api.http.uploads import receive_upload

class Hanging:
    headers = {"content-type": "multipart/form-data; boundary=XyZ"}

    async def stream(self):
        yield b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n'
        for _ in range(3):
            yield b"x" * 65536
        await asyncio.sleep(0.2)  # the chunks are written
        print("writing", flush=True)
        time.sleep(600)  # the rest of the body never comes

asyncio.run(receive_upload(Hanging(), Path(sys.argv[1]), max_bytes=1 << 30))
"""


def test_a_killed_upload_is_swept_at_once_and_a_live_one_never(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from search_api.http.uploads import sweep_stale_temp_files

    def upload_in_child() -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, "-c", _UPLOAD_UNTIL_KILLED, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout.readline().strip() == "writing"
        return child

    killed, live = upload_in_child(), upload_in_child()
    try:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(timeout=30)
        parts = {p.name.split("@")[0]: p for p in tmp_path.glob(".upload-*.part")}
        assert set(parts) == {f".upload-{killed.pid}", f".upload-{live.pid}"}
        assert parts[f".upload-{killed.pid}"].stat().st_size == 3 * 65536  # the partial body, seconds old
        assert sweep_stale_temp_files(tmp_path) == 1  # its writer is gone: no need to wait for it to age
        assert [p.name.split("@")[0] for p in tmp_path.glob(".upload-*.part")] == [f".upload-{live.pid}"]
        assert sweep_stale_temp_files(tmp_path, older_than=-1) == 0  # the live one is held, however old
    finally:
        live.kill()
        live.wait(timeout=30)
