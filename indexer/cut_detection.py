"""Cut detection, pure logic, fed the frames the decoder decodes anyway (not only the sampled ones).

PySceneDetect's two classic detectors, re-done on 16x16 RGB thumbnails (so no OpenCV, and no second pass
over the file; the PyAV decoder scales each decoded frame to 16x16 in the video's own Y'CbCr and the
colours are converted here, a sixth of the cost of converting the whole frame to RGB first):

- **Hard cuts** (its ``AdaptiveDetector``): the content change of a frame is the mean absolute difference
  of its thumbnail and the previous decoded frame's, in RGB levels (0-255). A frame starts
  a new shot when its change is at least ``MIN_CHANGE`` and ``RATIO`` times the mean change of the
  ``WINDOW`` frames either side (each change per frame it spans: ``_per_frame``): camera motion and
  action change every frame a little, a cut changes one frame a lot. A flash (two spikes side by side)
  is no cut.
- **Fades** (its ``ThresholdDetector``): a run of frames darker than ``DARK`` (mean grey level) between lit
  frames is one cut, put in the middle of the dark run; black at the start or the end of a video is a
  shot of its own (cut where the picture begins or ends).

Cuts closer than ``MIN_SHOT`` seconds to the one before are dropped (a shot is at least that long).

The detector keeps three floats a frame (its time, change and brightness) and the last thumbnail, so a
feature film costs a few megabytes; cuts are decided when the video ends (``cuts``).
"""

from __future__ import annotations

import numpy as np

from vidseek.shots import Cut

THUMB_SIDE = 16
"""Thumbnail side, pixels (the PyAV decoder scales each decoded frame straight to it)."""
MIN_CHANGE = 12.0
"""Levels a frame must change by to start a shot."""
RATIO = 3.0
"""... and how many times its neighbours' change."""
WINDOW = 2
"""Neighbours each side the change is compared with."""
DARK = 16.0
"""Mean level under which a frame is dark (a fade through black)."""
MIN_SHOT = 0.5
"""Seconds: a cut closer than this to the previous one is dropped."""

_GREY = np.array([0.299, 0.587, 0.114], np.float32)
_TO_RGB = np.array([[1.0, 0.0, 1.402], [1.0, -0.344136, -0.714136], [1.0, 1.772, 0.0]], np.float32).T
"""Full-range Y'CbCr (BT.601, Cb and Cr centred on 0) to RGB."""
_VIDEO_SCALE = np.array([255 / 219, 255 / 224, 255 / 224], np.float32)
_VIDEO_CENTRE = np.array([16.0, 128.0, 128.0], np.float32)


def from_video_range(thumb: np.ndarray) -> np.ndarray:
    """A video-range (Y' 16-235, Cb/Cr 16-240) Y'CbCr thumbnail as RGB levels (0-255): the colour
    conversion done after the decoder scaled the frame down, where it costs nothing."""
    return np.clip(((np.asarray(thumb, np.float32) - _VIDEO_CENTRE) * _VIDEO_SCALE) @ _TO_RGB, 0.0, 255.0)


def thumbnail(image: np.ndarray) -> np.ndarray:
    """(16, 16, 3) float32 block means of an (H, W, 3) uint8 RGB frame (a smaller frame is used as it is)."""
    pic = np.asarray(image, np.float32)
    h, w = pic.shape[:2]
    if h > THUMB_SIDE or w > THUMB_SIDE:
        pic = _block_means(pic)
    return pic


def _block_means(pic: np.ndarray) -> np.ndarray:
    h, w = pic.shape[:2]
    rows = np.unique(np.linspace(0, h, THUMB_SIDE + 1).astype(np.int64)[:-1])
    cols = np.unique(np.linspace(0, w, THUMB_SIDE + 1).astype(np.int64)[:-1])
    sums = np.add.reduceat(np.add.reduceat(pic, rows, axis=0), cols, axis=1)
    counts = np.outer(np.diff(np.append(rows, h)), np.diff(np.append(cols, w)))
    return sums / counts[:, :, None]


class CutDetector:
    """Fed one video's decoded frames in presentation order (``see``); ``cuts`` when it has ended. A detector
    fed one time chunk of a video (``indexer.ray_tasks``) is told whether the chunk starts or ends the video:
    black at a chunk's edge inside the video is no cut (a fade through black across two chunks is missed)."""

    def __init__(self, *, starts_video: bool = True, ends_video: bool = True) -> None:
        self.starts_video, self.ends_video = starts_video, ends_video
        self.times: list[float] = []
        self.changes: list[float] = []
        self.levels: list[float] = []
        self._last: np.ndarray | None = None

    def see(self, t: float, image: np.ndarray) -> None:
        """An RGB frame (decord's sampled frames, tests)."""
        self._add(t, thumbnail(image))

    def see_video(self, t: float, thumb: np.ndarray) -> None:
        """A video-range Y'CbCr thumbnail from the decoder (``indexer.decode.pyav.shot_thumbnail``)."""
        self._add(t, from_video_range(thumb))

    def _add(self, t: float, thumb: np.ndarray) -> None:
        if self.times and t <= self.times[-1]:
            return  # a frame at or before the last one seen (a repeated timestamp) tells nothing new
        change = (
            0.0 if self._last is None or self._last.shape != thumb.shape else float(np.abs(thumb - self._last).mean())
        )
        self._last = thumb
        self.times.append(float(t))
        self.changes.append(change)
        self.levels.append(float(thumb.mean(axis=(0, 1)) @ _GREY))

    def cuts(self) -> list[Cut]:
        return find_cuts(
            self.times, self.changes, self.levels, starts_video=self.starts_video, ends_video=self.ends_video
        )


def find_cuts(
    times: list[float],
    changes: list[float],
    levels: list[float],
    *,
    starts_video: bool = True,
    ends_video: bool = True,
) -> list[Cut]:
    """The cuts of one video from each decoded frame's time (seconds from the video's start), change from the
    frame before, and brightness."""
    t = np.asarray(times, np.float64)
    change = np.asarray(changes, np.float64)
    dark = np.asarray(levels, np.float64) < DARK
    hard = [Cut(float(t[i]), "cut") for i in _hard_cuts(change, _per_frame(t, change), dark)]
    found = hard + _fades(t, dark, starts_video, ends_video)
    kept: list[Cut] = []
    for cut in sorted(found, key=lambda c: c.t):
        if (kept and cut.t - kept[-1].t < MIN_SHOT) or cut.t < MIN_SHOT:
            continue
        kept.append(cut)
    return kept


def _per_frame(t: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Each change divided by the frames it spans: the decoder skips frames nobody needs (B-frames before
    the next sampling time), so one change may span one frame and the next four; motion and fades change
    the picture in proportion, a cut does not."""
    if len(t) < 2:
        return change.copy()
    steps = np.diff(t)
    frame = max(float(np.percentile(steps, 5)), 1e-6)  # the file's frame interval
    spans = np.concatenate([[1.0], np.maximum(1.0, np.round(steps / frame))])
    return change / spans


def _hard_cuts(change: np.ndarray, rate: np.ndarray, dark: np.ndarray) -> list[int]:
    n = len(change)
    out = []
    for i in range(1, n):
        if change[i] < MIN_CHANGE or dark[i] or dark[i - 1]:
            continue  # into or out of black is a fade's business
        around = np.concatenate([rate[max(1, i - WINDOW) : i], rate[i + 1 : i + 1 + WINDOW]])
        if len(around) == 0:
            if change[i] >= 2 * MIN_CHANGE:
                out.append(i)
            continue
        if rate[i] >= RATIO * max(float(around.mean()), 1e-6):
            out.append(i)
    return out


def _fades(t: np.ndarray, dark: np.ndarray, starts_video: bool, ends_video: bool) -> list[Cut]:
    """A cut in the middle of each dark run with lit frames on both sides; where the picture begins after
    black at the start, and where it ends in black at the end (the black is not part of a shot's picture)."""
    out = []
    i, n = 0, len(dark)
    while i < n:
        if not dark[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and dark[j + 1]:
            j += 1
        if i > 0 and j < n - 1:
            out.append(Cut(float((t[i] + t[j]) / 2), "fade"))
        elif i == 0 and j < n - 1 and starts_video:
            out.append(Cut(float(t[j + 1]), "fade"))
        elif i > 0 and j == n - 1 and ends_video:
            out.append(Cut(float(t[i]), "fade"))
        i = j + 1
    return out
