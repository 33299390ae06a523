"""The video formats vidseek knows: one table, read by discovery, uploads and the file server.

Each row is a file suffix, the Content-Type a browser is sent for it, and (for one suffix per
container) the FFmpeg demuxer name that gives an upload without a usual suffix this one. Which
files are indexed (``VIDEO_EXTENSIONS``), what media type a served file gets (``media_type_of``)
and which suffix an upload is named with (``suffix_for_container``) all come from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoFormat:
    suffix: str
    """Lower case, with the dot."""
    media_type: str
    container: str | None = None
    """FFmpeg's demuxer name for which an upload gets this suffix; rows are tried in table order."""


FORMATS: tuple[VideoFormat, ...] = (
    # Rows with a container first, in the order they are tried: FFmpeg names an MP4 "mov,mp4,m4a,3gp,...",
    # so "mp4" must come before "mov".
    VideoFormat(".mp4", "video/mp4", "mp4"),
    VideoFormat(".mov", "video/quicktime", "mov"),
    VideoFormat(".webm", "video/webm", "webm"),
    VideoFormat(".mkv", "video/x-matroska", "matroska"),
    VideoFormat(".avi", "video/x-msvideo", "avi"),
    VideoFormat(".ts", "video/mp2t", "mpegts"),
    VideoFormat(".flv", "video/x-flv", "flv"),
    VideoFormat(".mpg", "video/mpeg", "mpeg"),
    VideoFormat(".ogv", "video/ogg", "ogg"),
    VideoFormat(".wmv", "video/x-ms-wmv", "asf"),
    VideoFormat(".mxf", "application/mxf", "mxf"),
    VideoFormat(".dv", "video/dv", "dv"),
    VideoFormat(".m4v", "video/mp4"),
    VideoFormat(".mpeg", "video/mpeg"),
    VideoFormat(".mts", "video/mp2t"),
    VideoFormat(".m2ts", "video/mp2t"),
    VideoFormat(".3gp", "video/3gpp"),
)

VIDEO_EXTENSIONS: frozenset[str] = frozenset(f.suffix for f in FORMATS)
"""Suffixes of the files a folder scan indexes (and an upload keeps as sent)."""

IMAGE_DEMUXERS: frozenset[str] = frozenset({"image2", "image2pipe", "gif", "apng", "webp", "ico", "jpegxl_anim"})
"""FFmpeg demuxers that read pictures, not videos (besides every ``*_pipe`` one: ``png_pipe``, ``jpeg_pipe``...).
Animated GIF, APNG and WebP are among them: they are images, and vidseek indexes videos."""

_MEDIA_TYPES = {f.suffix: f.media_type for f in FORMATS}
_WEBM_CODECS = ("vp8", "vp9", "av1")


def media_type_of(suffix: str) -> str | None:
    """The Content-Type of a video file with this suffix (any case), or None when it is not in the table."""
    return _MEDIA_TYPES.get(suffix.lower())


def is_image_container(container: str) -> bool:
    """Is ``container`` (FFmpeg's demuxer name, aliases comma-separated) one that reads still or animated
    pictures (PNG, JPEG, GIF, WebP...) rather than a video container? ``yuv4mpegpipe`` is a video."""
    return any(name.endswith("_pipe") or name in IMAGE_DEMUXERS for name in container.split(","))


def suffix_for_container(container: str, codec: str) -> str:
    """A file suffix for what FFmpeg found: ``container`` its demuxer's name (comma-separated aliases, as
    ``av.open(...).format.name`` gives it) and ``codec`` the video stream's codec; '' when none fits.

    FFmpeg reads WebM and Matroska with one demuxer ("matroska,webm"); a file is called .webm only when its
    video codec is one WebM allows.
    """
    names = set(container.split(","))
    if "webm" in names and codec not in _WEBM_CODECS:
        names.discard("webm")
    return next((f.suffix for f in FORMATS if f.container in names), "")
