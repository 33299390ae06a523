"""On-screen text (OCR, PP-OCRv4 on ONNX Runtime) on videos with text rendered at known times
(``benchmarks/text_media.py``, Debian's DejaVu and Noto CJK fonts), side by side in one run:

- **quality**: six 720p videos (a sign in a moving shot entering and crossing the picture, a lower
  third, two slides, small text, a news ticker, Chinese) indexed with ``VIDSEEK_OCR`` on, then one
  search by words per query (``modality=shown``, meaning matches off: words only). R@1: the first
  moment is in the right video and both its ends lie within 1 s of the truth (when the query's word
  is wholly on screen). Beside the shipped sparse reading: ``dense``, the naive way (every sampled
  frame read). Frames read and the share that showed text for each.
- **cost** (``--cost``): whole ``vidseek index`` processes with and without ``VIDSEEK_OCR=1``,
  alternating, on 120 s of 720p Big Buck Bunny frames and on 120 s of 720p slides (25 fps,
  ``benchmarks/media.py``, ``text_media.py``), the default model's compute (ViT-B-32, random
  weights): the ratio of medians of paired runs, and frames read / with text.

    python -m benchmarks.ocr [--cost] [--runs 3] [--seconds 120] [--before-tree /tmp/base]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import ImageFont

from benchmarks.text_media import DEJAVU_PLAIN, Shown, cjk_font, text_video

RESULTS = Path(__file__).parent / "results" / "ocr"
MEDIA = RESULTS / "media"
TOLERANCE_S = 1.0


@dataclass(frozen=True)
class Scene:
    name: str
    shown: list[Shown]
    seconds: float
    moving: bool = True


@dataclass(frozen=True)
class Query:
    text: str
    video: str
    start: float
    end: float


def scenes(width: int = 1280) -> list[Scene]:
    ticker = (
        "BREAKING Old bridge closed for repairs +++ Storm warning for the coast tonight +++ "
        "Markets rally on strong jobs data +++ Museum reopens on Sunday"
    )
    out = [
        Scene("sign", [Shown("EXIT 25 Harbor Road", 3.0, 13.0, (1.0, 0.3), 44, pan=-150.0)], 16.0),
        Scene(
            "lower_third",
            [
                Shown("Maria Lopez", 5.0, 11.0, (0.06, 0.78), 40, band=True),
                Shown("City Council Chair", 5.0, 11.0, (0.06, 0.86), 28, font=DEJAVU_PLAIN),
            ],
            15.0,
        ),
        Scene(
            "slides",
            [
                Shown("Q3 Revenue Growth", 0.0, 10.0, (0.08, 0.1), 56, colour=(250, 250, 210)),
                Shown("Churn fell to 4 percent", 0.0, 10.0, (0.1, 0.4), 32, font=DEJAVU_PLAIN),
                Shown("Roadmap for 2027", 10.0, 20.0, (0.08, 0.1), 56, colour=(250, 250, 210)),
                Shown("Launch in Lisbon", 10.0, 20.0, (0.1, 0.4), 32, font=DEJAVU_PLAIN),
            ],
            20.0,
            moving=False,
        ),
        Scene("small_text", [Shown("Batch 4471 best before March", 3.0, 9.0, (0.68, 0.93), 16)], 12.0),
        Scene("ticker", [Shown(ticker, 0.0, 40.0, (1.0, 0.9), 30, pan=-160.0, band=True)], 40.0),
    ]
    cjk = cjk_font()
    if cjk is not None:
        out.append(
            Scene(
                "chinese",
                [
                    Shown("北京南站 出口", 4.0, 10.0, (0.3, 0.2), 48, font=cjk),
                    Shown("欢迎光临", 12.0, 17.0, (0.35, 0.6), 48, font=cjk),
                ],
                20.0,
            )
        )
    return out


def visible(shown: Shown, word: str, width: int) -> tuple[float, float]:
    """When ``word`` of ``shown`` is wholly inside a ``width``-pixel picture (seconds)."""
    font = ImageFont.truetype(str(shown.font), shown.size)
    offset = font.getlength(shown.text[: shown.text.index(word)])
    size = font.getlength(word)
    x0 = shown.at[0] * width + offset
    if shown.pan == 0:
        return shown.start, shown.end
    # x0 + pan * (t - start) in [0, width - size]
    a = (width - size - x0) / shown.pan
    b = -x0 / shown.pan
    lo, hi = sorted((a, b))
    return max(shown.start, shown.start + lo), min(shown.end, shown.start + hi)


QUERIES = {
    "sign": [("Harbor", 0), ("EXIT 25", 0)],
    "lower_third": [("Lopez", 0), ("Council Chair", 1)],
    "slides": [("Revenue", 0), ("Churn", 1), ("Roadmap", 2), ("Lisbon", 3)],
    "small_text": [("4471", 0)],
    "ticker": [("bridge", 0), ("Storm", 0), ("Markets", 0), ("Museum", 0)],
    "chinese": [("北京南站", 0), ("欢迎光临", 1)],
}


def queries(made: list[Scene], width: int) -> list[Query]:
    out = []
    for scene in made:
        for word, which in QUERIES[scene.name]:
            start, end = visible(scene.shown[which], word, width)
            out.append(Query(word, scene.name, round(start, 2), round(min(end, scene.seconds), 2)))
    return out


def media(width: int = 1280, height: int = 720, only: tuple[str, ...] | None = None) -> tuple[list[Path], list[Query]]:
    made = [s for s in scenes(width) if only is None or s.name in only]
    paths = []
    for scene in made:
        path = MEDIA / f"{scene.name}_{height}p.mp4"
        if not path.exists():
            text_video(
                path.with_suffix(".part.mp4"),
                scene.shown,
                seconds=scene.seconds,
                width=width,
                height=height,
                moving=scene.moving,
            ).rename(path)
        paths.append(path)
    return paths, queries(made, width)


class FlatEncoder:
    """A tiny stand-in for the picture model (the search by words under test never uses it)."""

    name = "bench:flat"
    dim = 8
    input_size = (32, 32)

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        mean = frames.reshape(len(frames), -1, 3).astype(np.float32).mean(axis=1) / 255.0
        out = np.concatenate([mean, np.ones((len(frames), 5), np.float32)], axis=1)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_text(self, texts: list[str]) -> np.ndarray:
        out = np.ones((len(texts), self.dim), np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@contextmanager
def _dense(on: bool) -> Iterator[None]:
    """Every sampled frame read (the naive way) while ``on``."""
    from indexer.shown import text_reading
    from indexer.shown.read_plan import ReadPlan

    if not on:
        yield
        return
    kept = text_reading.ReadPlan
    text_reading.ReadPlan = lambda **k: ReadPlan(**{**k, "still": -1.0, "idle_seconds": 0.0})
    try:
        yield
    finally:
        text_reading.ReadPlan = kept


@contextmanager
def _upscaled(on: bool) -> Iterator[None]:
    """While ``on``, detection as before the fix in ``ocr_engine.keep_detection_size``: rapidocr's default
    resize, which blew the 640 px copy up to a 736 px short side (1312x736 for 720p)."""
    from vidseek.shown.ocr_engine import DETECT_SIDE, keep_detection_size, shared_engine

    if not on:
        yield
        return
    detector = shared_engine()._ocr.text_det
    detector.limit_type, detector.limit_side_len = "min", 736
    try:
        yield
    finally:
        keep_detection_size(detector, DETECT_SIDE)


@contextmanager
def _words_only() -> Iterator[None]:
    from search_api.search import lines

    kept = lines.meaning_matches
    lines.meaning_matches = lambda *a, **k: []  # noqa: ARG005
    try:
        yield
    finally:
        lines.meaning_matches = kept


def quality(paths: list[Path], truth: list[Query], *, dense: bool, upscaled: bool = False) -> dict:
    from indexer.runner import Indexer
    from search_api.http.schemas import TextSearch
    from search_api.search.engine import SearchEngine
    from vidseek.config import Settings
    from vidseek.storage import store
    from vidseek.storage.library import Library

    with tempfile.TemporaryDirectory() as tmp, _dense(dense), _upscaled(upscaled):
        settings = Settings(data_dir=Path(tmp), model=FlatEncoder.name, ocr=True)
        library = Library(settings, notify=lambda m: None)
        encoder = FlatEncoder()
        started = time.perf_counter()
        report = Indexer(settings, library, encoder).index(paths)
        wall = time.perf_counter() - started
        engine = SearchEngine(library, encoder)
        with library.sessions() as session:
            names = {v.id: Path(v.path).stem.rsplit("_", 1)[0] for v in store.list_videos(session=session)}
        rows = []
        with _words_only():
            for q in truth:
                page = engine.page(q.text, TextSearch(q=q.text, modality="shown", limit=1))
                top = page.hits[0] if page.hits else None
                hit = (
                    top is not None
                    and names[top.video.id] == q.video
                    and abs(top.moment.start - q.start) <= TOLERANCE_S
                    and abs(top.moment.end - q.end) <= TOLERANCE_S
                )
                rows.append(
                    {
                        "query": q.text,
                        "video": q.video,
                        "truth": [q.start, q.end],
                        "top": None if top is None else [names[top.video.id], top.moment.start, top.moment.end],
                        "hit": hit,
                    }
                )
    return {
        "r1": sum(r["hit"] for r in rows) / len(rows),
        "queries": len(rows),
        "frames": report.frames_seen,
        "frames_read": report.frames_read,
        "read_share": report.frames_read / max(1, report.frames_seen),
        "with_text_share": report.frames_with_text / max(1, report.frames_read),
        "lines": report.shown_lines,
        "index_wall_s": round(wall, 2),
        "rows": rows,
    }


def slides_video(seconds: int = 120) -> Path:
    """``seconds`` of 720p, 25 fps slides: a title and three bullets each, a new slide every 10 s."""
    words = ["Budget", "Hiring", "Roadmap", "Security", "Pricing", "Support", "Design", "Sales", "Legal", "Travel"]
    shown = []
    for i in range(0, seconds, 10):
        topic = words[(i // 10) % len(words)]
        shown.append(Shown(f"{topic} review {2026 + i // 10}", i, i + 10, (0.08, 0.1), 56, colour=(250, 250, 210)))
        for j in range(3):
            shown.append(
                Shown(f"{topic} item {j + 1}: owner team {i + j}", i, i + 10, (0.1, 0.35 + 0.12 * j), 30, DEJAVU_PLAIN)
            )
    path = MEDIA / f"slides_720p_{seconds}s.mp4"
    if not path.exists():
        text_video(
            path.with_suffix(".part.mp4"), shown, seconds=seconds, width=1280, height=720, fps=25, moving=False
        ).rename(path)
    return path


_SUMMARY = re.compile(r"(\d+) of (\d+) frames read, (\d+) with text")


def cost(video: Path, seconds: int, runs: int, before_tree: Path | None = None) -> dict:
    """`vidseek index` with VIDSEEK_OCR=1 against without, paired, alternating; frames read from its summary.
    With ``before_tree`` (a checkout of the code before a change), each round also runs that tree's
    ``vidseek index`` with OCR, between the two: ``before_over_plain`` beside ``ocr_over_plain``."""
    from benchmarks.whole_process import MODEL, VIDSEEK, _fresh, paired, run_once

    data = RESULTS / "cost-lib"
    env = {"VIDSEEK_DATA_DIR": str(data), "VIDSEEK_MODEL": MODEL}
    _fresh(data)
    run_once([*VIDSEEK, "index", str(video)], env)  # the model's export, not timed
    cmd = [*VIDSEEK, "index", str(video)]
    if before_tree is None:
        # a: with OCR, b: without (alternating, a first)
        out = paired((cmd, {**env, "VIDSEEK_OCR": "1"}), (cmd, env), runs, reset=lambda: _fresh(data))
        out["ocr_over_plain"] = 1.0 / out.pop("b_over_a")
    else:
        out = _three_way(cmd, env, before_tree, runs, reset=lambda: _fresh(data))
    _fresh(data)
    done = subprocess.run(cmd, env={**os.environ, **env, "VIDSEEK_OCR": "1"}, capture_output=True, text=True)
    found = _SUMMARY.search(done.stdout + done.stderr)
    if found:
        read, seen, with_text = (int(x) for x in found.groups())
        out.update(frames=seen, frames_read=read, read_share=read / seen, with_text_share=with_text / max(1, read))
    out["video_s"] = seconds
    return out


def _three_way(cmd: list[str], env: dict, before_tree: Path, runs: int, reset) -> dict:  # noqa: ANN001
    """Rounds of: with OCR (this tree), with OCR (``before_tree``), without OCR; medians of the ratios."""
    import statistics

    from benchmarks.whole_process import run_once

    variants = {
        "ocr": {**env, "VIDSEEK_OCR": "1"},
        "before": {**env, "VIDSEEK_OCR": "1", "PYTHONPATH": str(before_tree)},
        "plain": env,
    }
    walls: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, variant in variants.items():
            reset()
            walls[name].append(run_once(cmd, variant)[0])
    out: dict = {f"{name}_wall_s": statistics.median(w) for name, w in walls.items()}
    plain = walls["plain"]
    out["ocr_over_plain"] = statistics.median(a / b for a, b in zip(walls["ocr"], plain))
    out["before_over_plain"] = statistics.median(a / b for a, b in zip(walls["before"], plain))
    out["runs"] = runs
    return out


def measure(
    *,
    width: int = 1280,
    height: int = 720,
    only: tuple[str, ...] | None = None,
    variants: tuple[str, ...] = ("sparse", "upscaled", "dense"),
) -> dict:
    """Sparse (shipped) and dense reading of the scenes (``only`` these), R@1 and frames read; ``upscaled``:
    sparse reading with detection as before ``keep_detection_size`` (on a copy blown up to 1312x736)."""
    paths, truth = media(width, height, only)
    return {name: quality(paths, truth, dense=name == "dense", upscaled=name == "upscaled") for name in variants}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cost", action="store_true", help="also the whole-process indexing cost")
    parser.add_argument("--only-cost", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--before-tree", type=Path, help="cost: also the OCR of this checkout (before a change)")
    args = parser.parse_args()
    results: dict = {}
    if not args.only_cost:
        results["quality"] = measure()
        for name, row in results["quality"].items():
            print(name, {k: v for k, v in row.items() if k != "rows"})
            for r in row["rows"]:
                if not r["hit"]:
                    print("  miss", r)
    if args.cost or args.only_cost:
        from benchmarks.media import bbb_video

        results["cost"] = {
            "bbb": cost(bbb_video(args.seconds), args.seconds, args.runs, args.before_tree),
            "slides": cost(slides_video(args.seconds), args.seconds, args.runs, args.before_tree),
        }
        print(json.dumps(results["cost"], indent=1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    kept = json.loads((RESULTS / "results.json").read_text()) if (RESULTS / "results.json").exists() else {}
    (RESULTS / "results.json").write_text(json.dumps({**kept, **results}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
