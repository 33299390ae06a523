"""indexer.decode is the one package that opens video files: its public functions (probe, frame_at,
frames_in_chunk), and an AST check that no module outside it imports PyAV or decord."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from media import COLOURS, Segment, make_video
from optional import HAVE_DECORD
from rotated_media import assert_upright, make_rotated_video

from indexer import chunked, decode
from vidseek.errors import DecodeError

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("vidseek", "indexer", "search_api", "migrations")
OWNER = ROOT / "indexer" / "decode"
DECODING_LIBRARIES = {"av", "decord"}


def decoding_imports(source: str) -> list[str]:
    """The PyAV/decord imports in ``source`` (anywhere: top level or inside functions)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in DECODING_LIBRARIES]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in DECODING_LIBRARIES:
                found.append(node.module)
    return found


def test_the_check_sees_imports_at_any_depth() -> None:
    assert decoding_imports(
        "import av\ndef f():\n    import decord.bridge\n    from av.error import FFmpegError\n"
    ) == ["av", "decord.bridge", "av.error"]
    assert decoding_imports("import avocado\nfrom . import av\nfrom indexer.decode import probe\n") == []


def test_only_the_decoding_module_imports_pyav_or_decord() -> None:
    offenders = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.is_relative_to(OWNER):
                continue
            found = decoding_imports(path.read_text(encoding="utf-8"))
            if found:
                offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}, f"decode through indexer.decode instead: {offenders}"
    assert any(decoding_imports(p.read_text(encoding="utf-8")) for p in OWNER.rglob("*.py")), (
        "the owner itself opens files with them"
    )


def test_chunked_offers_the_owners_chunk_decode() -> None:
    assert chunked.frames_in_chunk is decode.frames_in_chunk and chunked.Unchunkable is decode.Unchunkable


@pytest.fixture(scope="module")
def colours(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(
        tmp_path_factory.mktemp("frame_at") / "colours.mp4",
        [Segment("red", 1.0), Segment("green", 1.0), Segment("blue", 1.0)],
        fps=10,
        width=64,
        height=48,
    )


def mean_colour(image: np.ndarray) -> np.ndarray:
    return image.reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize(("t", "colour"), [(0.0, "red"), (0.5, "red"), (1.45, "green"), (2.9, "blue")])
def test_frame_at_is_the_picture_shown_at_that_time(colours: Path, t: float, colour: str) -> None:
    image = decode.frame_at(colours, t)
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8 and image.flags.c_contiguous
    assert np.abs(mean_colour(image) - COLOURS[colour]).max() < 30


@pytest.mark.parametrize("turn", [90, 270])
def test_frame_at_is_upright_at_the_displayed_size(tmp_path: Path, turn: int) -> None:
    path = make_rotated_video(tmp_path / f"turned {turn}.mp4", turn, seconds=2.0, width=128, height=64)
    image = decode.frame_at(path, 1.0)
    assert image.shape[:2] == (128, 64)
    assert_upright(image, turn)


def test_frame_at_says_which_time_and_file_it_could_not_decode(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00not a video" * 100)
    with pytest.raises(DecodeError, match=r"cannot decode a frame at 1\.000 s of .*garbage\.mp4"):
        decode.frame_at(garbage, 1.0)
    with pytest.raises(DecodeError, match="cannot decode a frame at 0.000 s"):
        decode.frame_at(tmp_path, 0.0)  # a folder
    with pytest.raises(DecodeError, match="cannot decode a frame"):
        decode.frame_at(tmp_path / "gone.mp4", 0.0)


def test_probe_names_the_container(colours: Path, tmp_path: Path) -> None:
    info = decode.probe(colours)
    assert "mp4" in info.container.split(",") and info.codec == "h264"
    assert (info.width, info.height, info.rotation) == (64, 48, 0)
    mkv = make_video(tmp_path / "clip.mkv", [Segment("red", 1.0)])
    assert "matroska" in decode.probe(mkv).container.split(",")
    if HAVE_DECORD:
        assert decode.get_decoder("decord").probe(colours) == info
