"""Run every benchmark and write a results table: `python -m benchmarks.run [--short]`.

Not part of the test suite. Sizes are selectable so a short run fits in a few minutes:
  --short                 30 s videos, 10k/100k clips, API at 20k clips, no one-hour file
  --video-seconds N       length of the generated 720p and 1080p H.264 files (default 180)
  --sizes 10000,100000,1000000   engine-only search sizes
  --api-sizes 1000000     end-to-end API sizes
  --hour                  also index a one-hour 1080p file and report peak memory
  --large 4000000         also measure IVF-PQ at this many clips (issue 6; takes ~10 min at 4M)
  --scale 1000000         also flat, ivf and fastscan side by side with 10 % deleted (benchmarks/scale.py;
                          10M clips: `python -m benchmarks.scale --clips 10000000 --kinds fastscan`)
  --ingest 20000          also search while `vidseek index` writes 12 new videos, at this many clips
                          (benchmarks/ingest_load.py; SQLite, and PostgreSQL with --ingest-postgres)
  --moments-size default  world of the moment-retrieval benchmark: default (80 videos), short, large
  --only indexing,search,api,memory,large,mmap,scale,ingest,moments,shots,cuts,speech,words,ocr
                          (shots: grounding with shots on the moments world with neighbour scenes,
                          benchmarks/moment_shots.py; cuts: cut detection, benchmarks/cuts.py;
                          ocr: on-screen text quality; its indexing cost: python -m benchmarks.ocr --cost)
Results go to benchmarks/results/results.json and results.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _table(rows: list[dict]) -> str:
    if not rows:
        return "(none)\n"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_fmt(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _machine() -> dict:
    import os

    import torch

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.cuda.is_available(),
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--video-seconds", type=int, default=None)
    parser.add_argument("--sizes", default=None)
    parser.add_argument("--api-sizes", default=None)
    parser.add_argument("--hour", action="store_true")
    parser.add_argument("--large", type=int, default=0)
    parser.add_argument("--mmap", type=int, default=0, help="clips for the mapped-reader comparison (0: skip)")
    parser.add_argument(
        "--scale", type=int, default=0, help="clips for index types side by side with 10 %% deleted (0: skip)"
    )
    parser.add_argument("--ingest", type=int, default=0, help="clips for search while indexing (0: skip)")
    parser.add_argument("--ingest-postgres", action="store_true", help="search while indexing on PostgreSQL too")
    parser.add_argument(
        "--moments-size",
        default="default",
        choices=("default", "short", "large"),
        help="synthetic world of the moment-retrieval benchmark (benchmarks/moments.py)",
    )
    parser.add_argument(
        "--only", default="indexing,search,api,memory,large,mmap,scale,ingest,moments,shots,cuts,speech,words,ocr"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    seconds = args.video_seconds or (30 if args.short else 180)
    sizes = [int(s) for s in (args.sizes or ("10000,100000" if args.short else "10000,100000,1000000")).split(",")]
    api_sizes = [int(s) for s in (args.api_sizes or ("20000" if args.short else "1000000")).split(",")]
    only = set(args.only.split(","))
    results: dict = {
        "machine": _machine(),
        "settings": {"video_seconds": seconds, "sizes": sizes, "api_sizes": api_sizes},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        (RESULTS / "results.json").write_text(json.dumps(results, indent=2, default=str))
        md = [f"# vidseek benchmark results\n\nmachine: {results['machine']}\n"]
        for key in (
            "indexing",
            "precision",
            "search",
            "api",
            "memory",
            "large",
            "mmap",
            "scale",
            "ingest",
            "moments",
            "shots",
            "cuts",
            "speech",
            "words",
            "ocr",
        ):
            if key in results:
                md.append(f"\n## {key}\n\n" + _table(results[key]))
        (RESULTS / "results.md").write_text("".join(md))

    if "indexing" in only:
        from benchmarks import indexing
        from benchmarks.media import synthetic_video

        results["indexing"] = []
        for w, h in ((1280, 720), (1920, 1080)):
            path = synthetic_video(w, h, seconds)
            results["indexing"].append(indexing.measure(path, float(seconds), f"{h}p {seconds}s"))
            save()
        results["precision"] = [indexing.precision_row()]
        save()
    if "search" in only:
        from benchmarks import search

        results["search"] = []
        for n in sizes:
            results["search"].extend(search.measure(n))
            save()
    if "api" in only:
        from benchmarks import api_load

        results["api"] = []
        for n in api_sizes:
            with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
                row = api_load.measure(Path(tmp), n)
            single, eight = row.pop("single"), row.pop("eight")
            results["api"].append(
                {
                    **row,
                    "p50_ms": single["p50_ms"],
                    "p99_ms": single["p99_ms"],
                    "rps_1_client": single["throughput_rps"],
                    "p50_ms_8_clients": eight["p50_ms"],
                    "p99_ms_8_clients": eight["p99_ms"],
                    "rps_8_clients": eight["throughput_rps"],
                    "errors": single["errors"] + eight["errors"],
                }
            )
            save()
    if "memory" in only and args.hour:
        from benchmarks import memory
        from benchmarks.media import looped_video, synthetic_video

        results["memory"] = [memory.measure(looped_video(synthetic_video(1920, 1080, 60), 60))]
        save()
    if "large" in only and args.large:
        from benchmarks import large_index

        results["large"] = [large_index.measure(args.large)]
        save()
    if "mmap" in only and args.mmap:
        from benchmarks import mmap_reader

        results["mmap"] = [mmap_reader.measure(args.mmap)]
        save()
    if "scale" in only and args.scale:
        from benchmarks import scale

        results["scale"] = scale.measure(args.scale, ["flat", "ivf", "fastscan"])
        save()
    if "ingest" in only and args.ingest:
        from benchmarks import ingest_load

        results["ingest"] = []
        for postgres in (False, True) if args.ingest_postgres else (False,):
            with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
                row = ingest_load.measure(
                    Path(tmp),
                    [("now", Path(__file__).resolve().parents[1])],
                    clips=args.ingest,
                    postgres=postgres,
                    keep_template=False,
                )["now"]
            results["ingest"].append({"database": "postgresql" if postgres else "sqlite", **row})
            save()
    if "moments" in only:
        from benchmarks import moments

        results["moments"] = moments.measure(args.moments_size)
        save()
    if "shots" in only:
        from benchmarks import moment_shots

        results["shots"] = moment_shots.measure("short" if args.moments_size == "short" else "default")
        save()
    if "cuts" in only:
        from benchmarks import cuts

        results["cuts"] = cuts.measure(4, cost_seconds=30) if args.short else cuts.measure()
        save()
    if "speech" in only:
        from benchmarks import speech

        measured = speech.measure()
        results["speech"] = [{"variant": name, **row} for name, row in measured["variants"].items()]
        save()
    if "words" in only:
        from benchmarks import words

        results["words"] = [{"variant": name, **row} for name, row in words.measure()["r1"].items()]
        save()
    if "ocr" in only:
        from benchmarks import ocr

        measured = ocr.measure()
        results["ocr"] = [
            {"variant": name, **{k: v for k, v in row.items() if k != "rows"}} for name, row in measured.items()
        ]
        save()
    save()
    print((RESULTS / "results.md").read_text())


if __name__ == "__main__":
    main()
