"""The one table of video formats, and the three readers that derive from it: discovery's extensions,
the media type a served file gets, the suffix an upload without a usual one is given."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import pytest
from media import Segment, make_video

from indexer import discover
from indexer.decode import probe
from search_api.http import uploads, video_files
from vidseek.video_formats import FORMATS, VIDEO_EXTENSIONS, media_type_of, suffix_for_container

# What the three tables held before they became one.
EXTENSIONS_BEFORE = {
    ".mp4",
    ".m4v",
    ".mov",
    ".mkv",
    ".webm",
    ".avi",
    ".wmv",
    ".flv",
    ".mpg",
    ".mpeg",
    ".ts",
    ".mts",
    ".m2ts",
    ".3gp",
    ".ogv",
    ".mxf",
    ".dv",
}
MEDIA_TYPES_BEFORE = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
    ".ts": "video/mp2t",
    ".mts": "video/mp2t",
    ".m2ts": "video/mp2t",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".ogv": "video/ogg",
    ".wmv": "video/x-ms-wmv",
    ".flv": "video/x-flv",
    ".3gp": "video/3gpp",
}
CONTAINERS_BEFORE = [
    ("mp4", ".mp4"),
    ("mov", ".mov"),
    ("webm", ".webm"),
    ("matroska", ".mkv"),
    ("avi", ".avi"),
    ("mpegts", ".ts"),
    ("flv", ".flv"),
    ("mpeg", ".mpg"),
    ("ogg", ".ogv"),
    ("asf", ".wmv"),
    ("mxf", ".mxf"),
    ("dv", ".dv"),
]


def test_one_row_per_suffix_lower_case_with_the_dot() -> None:
    suffixes = [f.suffix for f in FORMATS]
    assert len(suffixes) == len(set(suffixes))
    assert all(s.startswith(".") and s == s.lower() for s in suffixes)
    containers = [f.container for f in FORMATS if f.container]
    assert len(containers) == len(set(containers))


def test_the_same_extensions_are_indexed_as_before() -> None:
    assert VIDEO_EXTENSIONS == EXTENSIONS_BEFORE
    assert discover.VIDEO_EXTENSIONS is VIDEO_EXTENSIONS
    assert uploads.VIDEO_EXTENSIONS is VIDEO_EXTENSIONS


def test_discovery_finds_every_suffix_of_the_table_and_no_other(tmp_path: Path) -> None:
    for suffix in sorted(VIDEO_EXTENSIONS):
        (tmp_path / f"clip{suffix.upper()}").write_bytes(b"x")
    (tmp_path / "notes.txt").write_bytes(b"x")
    (tmp_path / "clip.mp3").write_bytes(b"x")
    found, problems = discover.find_videos([tmp_path])
    assert problems == [] and {p.suffix.lower() for p in found} == VIDEO_EXTENSIONS


@pytest.mark.parametrize(("suffix", "expected"), sorted(MEDIA_TYPES_BEFORE.items()))
def test_served_files_keep_their_media_types(suffix: str, expected: str) -> None:
    assert video_files.media_type(Path(f"/videos/a{suffix}")) == expected
    assert video_files.media_type(Path(f"/videos/A{suffix.upper()}")) == expected


def test_every_indexed_suffix_has_a_media_type_whatever_the_hosts_mime_types(monkeypatch: pytest.MonkeyPatch) -> None:
    # .mxf and .dv were indexed but missing from the served-types table: their type came from the host's
    # /etc/mime.types (application/mxf, video/dv here), octet-stream on a host without one. Now the table
    # says, with the types this host gave.
    monkeypatch.setattr(mimetypes, "guess_type", lambda *a, **k: (None, None))
    for suffix in VIDEO_EXTENSIONS:
        assert media_type_of(suffix) == video_files.media_type(Path(f"a{suffix}")) != "application/octet-stream"
    assert video_files.media_type(Path("a.mxf")) == "application/mxf"
    assert video_files.media_type(Path("a.dv")) == "video/dv"
    assert video_files.media_type(Path("a.bin")) == "application/octet-stream"


def test_a_suffix_outside_the_table_still_gets_the_systems_guess() -> None:
    assert media_type_of(".txt") is None
    assert video_files.media_type(Path("notes.txt")) == "text/plain"


@pytest.mark.parametrize(("container", "suffix"), CONTAINERS_BEFORE)
def test_each_container_gives_the_suffix_it_gave(container: str, suffix: str) -> None:
    assert suffix_for_container(container, "h264" if container != "webm" else "vp9") == suffix


def test_the_first_listed_container_wins_and_webm_needs_a_webm_codec() -> None:
    assert suffix_for_container("mov,mp4,m4a,3gp,3g2,mj2", "h264") == ".mp4"
    assert suffix_for_container("matroska,webm", "vp9") == ".webm"
    assert suffix_for_container("matroska,webm", "av1") == ".webm"
    assert suffix_for_container("matroska,webm", "h264") == ".mkv"
    assert suffix_for_container("gif", "gif") == ""
    assert suffix_for_container("", "") == ""


def test_an_upload_without_a_video_suffix_is_named_for_the_container_its_probe_found(tmp_path: Path) -> None:
    mp4 = make_video(tmp_path / "made.mp4", [Segment("red", 0.5)]).rename(tmp_path / ".upload-1.part")
    mkv = make_video(tmp_path / "made.mkv", [Segment("red", 0.5)]).rename(tmp_path / ".upload-2.part")
    assert uploads.final_name("holiday", probe(mp4)) == "holiday.mp4"
    assert uploads.final_name("holiday.bin", probe(mkv)) == "holiday.bin.mkv"
    assert uploads.final_name("Holiday.MOV", probe(mkv)) == "Holiday.MOV"  # a video suffix is kept as sent
