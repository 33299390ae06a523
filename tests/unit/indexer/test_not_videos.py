"""Pictures are not videos: a PNG, a JPEG named ``.mp4``, an animated GIF or WebP is refused by what its
content is (FFmpeg's demuxer), by ``vidseek index`` with one line each while the rest of the batch is
indexed, and by the probe every upload goes through."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from media import Segment, make_video
from still_images import write_animation, write_jpeg, write_png

from indexer.decode import probe
from vidseek.errors import DecodeError
from vidseek.video_formats import is_image_container


@pytest.fixture
def pictures(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "pictures"
    folder.mkdir()
    return {
        "png": write_png(folder / "still.png"),
        "jpeg named mp4": write_jpeg(folder / "photo.mp4"),
        "gif": write_animation(folder / "loop.gif", "GIF"),
        "webp named webm": write_animation(folder / "loop.webm", "WEBP"),
    }


def test_every_picture_is_refused_by_the_probe(pictures: dict[str, Path]) -> None:
    for kind, path in pictures.items():
        with pytest.raises(DecodeError, match=r"is an image \(\w+\), not a video"):
            probe(path)
        assert kind


def test_image_demuxers_are_told_from_video_ones() -> None:
    assert is_image_container("png_pipe") and is_image_container("jpeg_pipe") and is_image_container("gif")
    assert is_image_container("image2") and is_image_container("webp_pipe")
    assert not is_image_container("yuv4mpegpipe")  # raw video, despite the name
    assert not is_image_container("mov,mp4,m4a,3gp,3g2,mj2") and not is_image_container("matroska,webm")


def test_index_refuses_pictures_with_one_line_each_and_indexes_the_rest(pictures, cli_env, tmp_path: Path) -> None:  # noqa: ANN001
    folder = pictures["png"].parent
    make_video(folder / "real.mp4", [Segment("red", 2)])
    named = [str(p) for p in pictures.values() if p.suffix != ".png"]  # a .png is no video name: name it directly
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDSEEK_")} | cli_env
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "index", str(folder), str(pictures["png"]), *named],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, proc.stderr
    for path in pictures.values():
        assert any(line.startswith(f"error: {path}: ") and "is an image" in line for line in errors), path
    assert "1 indexed" in proc.stdout and "4 failed" in proc.stdout
