"""JPEG thumbnails of single frames, decoded once with PyAV and kept on disk."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import av
from PIL import Image

from vidseek.errors import DecodeError
from vidseek.models import Video

THUMBNAIL_WIDTH = 320


def frame_image(path: Path, t: float) -> Image.Image:
    """The frame shown at ``t`` seconds from the start of the video stream: seek, then decode forward to t."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            origin = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
            target = origin + t
            container.seek(int(target / stream.time_base), stream=stream, backward=True, any_frame=False)
            shown = None
            for frame in container.decode(stream):
                if shown is not None and frame.time is not None and frame.time > target + 1e-6:
                    break
                shown = frame
            if shown is None:
                raise DecodeError(f"no frame at {t:.3f} s")
            return shown.to_image()
    except (av.error.FFmpegError, IndexError) as exc:
        raise DecodeError(f"cannot decode a frame at {t:.3f} s of {path} ({exc})") from None


class ThumbnailCache:
    """Files ``<root>/<video id>-<fingerprint>-<t in 1/10 s>.jpg``; a changed file gets new names."""

    def __init__(self, root: Path, width: int = THUMBNAIL_WIDTH) -> None:
        self.root = root
        self.width = width

    def path_for(self, video: Video, t: float) -> Path:
        return self.root / f"{video.id}-{video.fingerprint[:16]}-{round(t * 10)}.jpg"

    def get(self, video: Video, t: float) -> Path:
        """The thumbnail's file, made first when it is not on disk yet."""
        path = self.path_for(video, t)
        if not path.exists():
            self._write(frame_image(Path(video.path), round(t * 10) / 10), path)
        return path

    def _write(self, image: Image.Image, path: Path) -> None:
        if image.width > self.width:
            image = image.resize((self.width, max(1, round(image.height * self.width / image.width))),
                                 Image.Resampling.BILINEAR)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".thumb-", suffix=".jpg", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                image.convert("RGB").save(f, "JPEG", quality=85)
            os.replace(tmp, path)  # whole files only: a concurrent reader never sees half a JPEG
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
