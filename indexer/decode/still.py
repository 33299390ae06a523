"""The single picture shown at a time, full size and upright (for thumbnails)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer.decode.geometry import upright
from indexer.decode.pyav import frame_turn, rgb_picture
from vidseek.errors import DecodeError


def frame_at(path: Path, t: float) -> np.ndarray:
    """The picture shown at ``t`` seconds from the start of the video stream, at full size, upright as a
    player shows it (the display matrix applied): (H, W, 3) uint8 RGB. Seeks, then decodes forward to t.

    Raises DecodeError ("cannot decode a frame at ...") for any file that cannot give one: unreadable,
    not a video, a folder, gone.
    """
    import av

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
                raise DecodeError(f"no frame at {t:.3f} s of {path}")
            rgb = rgb_picture(shown)
            return np.ascontiguousarray(upright(rgb, frame_turn(shown)))
    except (av.error.FFmpegError, OSError, IndexError, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"cannot decode a frame at {t:.3f} s of {path} ({exc})") from None
