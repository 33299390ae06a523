"""The decord backend: decord decodes (and turns) the frames; PyAV probes."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from indexer.decode.base import Frame, FrameWatcher, VideoInfo, describe
from indexer.decode.geometry import centre_crop, scaled_size
from indexer.decode.pyav import PyAVDecoder
from indexer.sample import sample_indices
from vidseek.errors import DecodeError, MissingExtra

NO_DECORD = (
    "VIDSEEK_DECODER=decord needs the decord package, an optional extra: pip install 'vidseek[decord]' "
    "(or leave VIDSEEK_DECODER unset for PyAV)"
)


def require_decord() -> None:
    """MissingExtra (one line naming the extra) when decord is not installed."""
    from importlib.util import find_spec

    if find_spec("decord") is None:
        raise MissingExtra(NO_DECORD)


class DecordDecoder:
    """decord applies the display matrix itself (``transpose`` in its filter graph, FFmpeg's clockwise
    convention), and its ``width``/``height`` are the displayed size; so its frames need no turn here, and the
    size of its first frame is the displayed one. (Turning them again would show them sideways.)"""

    name = "decord"
    _chunk = 32

    def _reader(self, path: Path, size: tuple[int, int] | None = None):  # noqa: ANN202
        import decord

        try:
            if size is None:
                return decord.VideoReader(str(path), num_threads=1)
            probe = decord.VideoReader(str(path), num_threads=1)
            h, w = probe[0].shape[:2] if len(probe) else (size[0], size[1])
            del probe
            tw, th = scaled_size(w, h, size)
            return decord.VideoReader(str(path), width=tw, height=th, num_threads=1)
        except (decord.DECORDError, RuntimeError) as exc:
            raise DecodeError(f"not a readable video ({describe(exc)})") from None

    def probe(self, path: Path) -> VideoInfo:
        # decord has no codec or audio-only probe; PyAV gives the metadata, decord decodes.
        return PyAVDecoder().probe(path)

    def frames(
        self,
        path: Path,
        *,
        fps: float,
        size: tuple[int, int],
        keyframes_only: bool = False,
        shots: FrameWatcher | None = None,
    ) -> Iterator[Frame]:
        """Sampled frames; ``shots`` sees only those (decord seeks to them: cuts are then found to within a
        sampling step)."""
        import decord

        reader = self._reader(path, size)
        n = len(reader)
        if n == 0:
            return
        stamps = reader.get_frame_timestamp(range(n))[:, 0]
        origin = float(stamps[0])
        if keyframes_only:
            keys = np.asarray(reader.get_key_indices(), dtype=np.int64)
            keep = [int(keys[i]) for i in sample_indices(stamps[keys] - origin, fps)]
        else:
            keep = sample_indices(stamps - origin, fps)
        for lo in range(0, len(keep), self._chunk):
            chunk = keep[lo : lo + self._chunk]
            try:
                batch = reader.get_batch(chunk).asnumpy()
            except decord.DECORDError as exc:
                raise DecodeError(f"decoding failed ({describe(exc)}); file truncated or corrupt?") from None
            for i, image in zip(chunk, batch):
                t = max(0.0, float(stamps[i]) - origin)
                if shots is not None:
                    shots.see(t, image)
                yield Frame(t, np.ascontiguousarray(centre_crop(image, size)))
