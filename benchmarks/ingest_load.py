"""Search while indexing: `GET /api/search` p50/p99 with the library idle, then while `vidseek index`
writes a stream of new videos into the same library (SQLite or PostgreSQL), one client sending
queries back to back the whole time. A real `vidseek serve` (ViT-B-32 with random weights, text
encoding included, query cache off) and a real `vidseek index` (decode, embed with the same model,
write), both in their own processes, from the code tree(s) given; each tree runs on its own fresh
copy of one synthetic library (``benchmarks.api_load.build_library``), trees alternated per round.

    python -m benchmarks.ingest_load --work /tmp/ingest --clips 20000 --videos 16 --tree now=.
    git worktree add /tmp/vidseek-before a69996f   # the code before the indexer ran at lower priority
    python -m benchmarks.ingest_load --work /tmp/ingest --clips 20000 --videos 12 --postgres \\
        --tree before=/tmp/vidseek-before --tree now=. --rounds 2

The videos are distinct synthetic 320x240 H.264 files (moving boxes, another seed each), so every
one is embedded and written. The target (issue 29): p99 while indexing at most 3x the idle p99.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import httpx
import numpy as np

from benchmarks import api_load
from benchmarks.timing import percentile_ms

PG_ADMIN = os.environ.get("VIDSEEK_BENCH_PG", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
_PY_SPY = shutil.which("py-spy") or str(Path(sys.prefix) / "bin" / "py-spy")


def stream_videos(folder: Path, count: int, seconds: int, *, fps: int = 10) -> list[Path]:
    """``count`` distinct short H.264 files in ``folder`` (made once; reused when present)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for v in range(count):
        path = folder / f"stream_{v:03d}_{seconds}s.mp4"
        out.append(path)
        if path.exists():
            continue
        rng = np.random.default_rng(1000 + v)
        boxes = rng.uniform(0, 1, (5, 4))
        colours = rng.integers(0, 255, (5, 3), dtype=np.uint8)
        tmp = path.with_suffix(".part.mp4")
        with av.open(str(tmp), "w") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
            stream.options = {"preset": "veryfast", "crf": "28"}
            stream.time_base = Fraction(1, fps)
            backgrounds = rng.integers(0, 255, (seconds // 5 + 1, 3), dtype=np.uint8)  # a new shot every 5 s
            for i in range(seconds * fps):
                t = i / fps
                frame = np.empty((240, 320, 3), np.uint8)
                frame[:] = backgrounds[int(t // 5)]
                for (bx, by, vx, vy), colour in zip(boxes, colours):
                    x, y = int(((bx + 0.1 * vx * t) % 1) * 280), int(((by + 0.1 * vy * t) % 1) * 200)
                    frame[y : y + 40, x : x + 40] = colour
                vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
                vf.pts = i
                for packet in stream.encode(vf):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        tmp.rename(path)
    return out


def _pg_admin():  # noqa: ANN202
    import psycopg

    return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)


def _fresh_copy(template_dir: Path, template_db: str | None, name: str) -> tuple[Path, str | None]:
    """A copy of the template library (its folder, and on PostgreSQL its database) to run on."""
    data = template_dir.parent / name
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template_dir, data)
    if template_db is None:
        return data, None
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    return data, PG_URL.format(name=name)


def _drop(name: str | None) -> None:
    if name is not None:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(tree: Path, data: Path, url: str | None, model: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of both processes (``extra`` over it); the model's ONNX export is kept beside the
    template library (made once, by the first process to need it), not in each fresh copy."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tree), str(Path(__file__).resolve().parent)]),
        "VIDSEEK_DATA_DIR": str(data),
        "VIDSEEK_MODEL": model,
        "VIDSEEK_QUERY_CACHE_SIZE": "0",
        "VIDSEEK_SERVE_WORKERS": "0",
        "VIDSEEK_MODEL_CACHE": str(data.parent / "models"),
    }
    env.pop("VIDSEEK_DATABASE_URL", None)
    if url is not None:
        env["VIDSEEK_DATABASE_URL"] = url
    return {**env, **(extra or {})}


def _requests_until(base: str, stop: threading.Event, least: int, seed: int) -> tuple[list[float], int]:
    """Queries back to back (as ``api_load.load``'s one client) until ``stop`` is set and at least
    ``least`` were answered; (latencies, errors)."""
    latencies, errors = [], 0
    queries = api_load._queries(100_000, seed)
    with httpx.Client(base_url=base, timeout=120) as http:
        for q in queries:
            if stop.is_set() and len(latencies) >= least:
                break
            t = time.perf_counter()
            r = http.get("/api/search", params={"q": q, "limit": 10})
            dt = time.perf_counter() - t
            (latencies.append(dt) if r.status_code == 200 else None)
            errors += r.status_code != 200
    return latencies, errors


def _profiler(pid: int, out: Path | None) -> subprocess.Popen | None:
    """py-spy sampling ``pid`` (all threads, idle ones too: waiting on a lock counts) into ``out``."""
    if out is None:
        return None
    return subprocess.Popen(
        [
            _PY_SPY,
            "record",
            "--pid",
            str(pid),
            "--idle",
            "--threads",
            "--format",
            "raw",
            "--rate",
            "200",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _videos(data: Path, url: str | None) -> int:
    """Videos in the library (counted from the benchmark's own connection)."""
    from sqlalchemy import create_engine, func, select

    from vidseek.storage.tables import Video

    engine = create_engine(url or f"sqlite:///{data / 'vidseek.db'}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Video)).scalar_one())
    finally:
        engine.dispose()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stop(profiler: subprocess.Popen | None) -> None:
    if profiler is not None:
        profiler.send_signal(2)  # SIGINT: py-spy writes what it has and exits
        profiler.wait(60)


def run_tree(
    tree: Path,
    template: tuple[Path, str | None],
    videos: Path,
    *,
    requests: int,
    seed: int,
    profile: Path | None = None,
    model: str = api_load.MODEL,
    ingest_seconds: float | None = None,
    extra_env: dict[str, str] | None = None,
) -> dict:
    """Idle, then indexing: one fresh copy of the library, one `vidseek serve`, one `vidseek index`.
    ``profile``: a folder for py-spy profiles of the server, idle and while indexing. ``ingest_seconds``:
    stop the indexer after this long (what it wrote by then counts) instead of waiting for all videos."""
    name = f"vidseek_ingest_{os.getpid()}_{seed}"
    data, url = _fresh_copy(template[0], template[1], name)
    env = _env(tree, data, url, model, extra_env)
    port = api_load.free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        api_load.wait_ready(serve, base)
        for i in range(5):
            httpx.get(f"{base}/api/search", params={"q": f"warm up {i}"}, timeout=60)
        done = threading.Event()
        done.set()
        profiler = _profiler(serve.pid, profile and profile / f"serve_idle_{seed}.txt")
        cpu = _cpu_seconds(serve.pid)
        idle, idle_errors = _requests_until(base, done, requests, seed)
        idle_cpu = _cpu_seconds(serve.pid) - cpu
        _stop(profiler)
        profiler = _profiler(serve.pid, profile and profile / f"serve_indexing_{seed}.txt")
        before = _videos(data, url)
        started, cpu = time.perf_counter(), _cpu_seconds(serve.pid)
        indexer = subprocess.Popen(
            [sys.executable, "-m", "cli", "index", "--no-progress", str(videos)],
            cwd=tree,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        stop = threading.Event()
        busy: list = []
        client = threading.Thread(target=lambda: busy.append(_requests_until(base, stop, 1, seed + 1)))
        client.start()
        try:
            log = indexer.communicate(timeout=ingest_seconds)[0]
        except subprocess.TimeoutExpired:  # time's up: what it wrote so far is committed, the rest is not
            indexer.terminate()
            log = indexer.communicate()[0]
        index_s = time.perf_counter() - started
        stop.set()
        client.join()
        busy_cpu = _cpu_seconds(serve.pid) - cpu
        _stop(profiler)
        written = _videos(data, url) - before
        if indexer.returncode not in (0, -15):
            raise RuntimeError(f"vidseek index exited {indexer.returncode}: {log[-2000:]}")
        during, busy_errors = busy[0]
    finally:
        serve.terminate()
        serve.wait(30)
        if url is not None:
            _drop(name)
        shutil.rmtree(data, ignore_errors=True)
    idle_p99 = percentile_ms(idle, 99)
    return {
        "idle_p50_ms": percentile_ms(idle, 50),
        "idle_p99_ms": idle_p99,
        "indexing_p50_ms": percentile_ms(during, 50),
        "indexing_p99_ms": percentile_ms(during, 99),
        "p99_ratio": percentile_ms(during, 99) / idle_p99,
        "serve_cpu_ms_per_request_idle": 1000 * idle_cpu / max(1, len(idle)),
        "serve_cpu_ms_per_request_indexing": 1000 * busy_cpu / max(1, len(during)),
        "requests_idle": len(idle),
        "requests_indexing": len(during),
        "errors": idle_errors + busy_errors,
        "index_s": round(index_s, 1),
        "videos_written": written,
        "videos_per_minute": round(60 * written / index_s, 2),
        "indexer_summary": log.strip().splitlines()[-1] if log.strip() else "",
    }


def prepare(work: Path, clips: int, *, postgres: bool, dim: int = 512) -> tuple[Path, str | None]:
    """The template library (built once per database kind and size; reused when present)."""
    kind = "postgresql" if postgres else "sqlite"
    template = work / f"template_{kind}_{clips}_{dim}"
    db = f"vidseek_ingest_template_{clips}_{dim}" if postgres else None
    if (template / "clips.faiss").exists():
        return template, db
    shutil.rmtree(template, ignore_errors=True)
    template.mkdir(parents=True)
    url = None
    if db is not None:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{db}"')
        url = PG_URL.format(name=db)
    built = api_load.build_library(template, clips, database_url=url, dim=dim)
    if url is not None:  # no connection may stay open on a template database
        import gc

        gc.collect()
    print(json.dumps({"template": str(template), **{k: v for k, v in built.items() if k != "db_bytes"}}), flush=True)
    return template, db


def measure(
    work: Path,
    trees: list[tuple[str, Path]],
    *,
    clips: int = 20_000,
    videos: int = 16,
    video_seconds: int = 30,
    postgres: bool = False,
    rounds: int = 1,
    requests: int = 60,
    profile: Path | None = None,
    model: str = api_load.MODEL,
    dim: int = 512,
    ingest_seconds: float | None = None,
    keep_template: bool = True,
    tree_env: dict[str, dict[str, str]] | None = None,
) -> dict[str, dict]:
    """Per tree, the medians over ``rounds`` of ``run_tree`` (trees alternated within each round).
    ``model``/``dim``: the serving and indexing model, and the library's vector size (a smoke run
    passes ``ingest_stand_in``'s; the benchmark's own figures are with ViT-B-32, 512-d)."""
    template = prepare(work, clips, postgres=postgres, dim=dim)
    folder = stream_videos(work / "stream", videos, video_seconds)[0].parent
    rows: dict[str, list[dict]] = {name: [] for name, _ in trees}
    for r in range(rounds):
        for name, tree in trees:
            where = profile / name if profile is not None else None
            if where is not None:
                where.mkdir(parents=True, exist_ok=True)
            row = run_tree(
                tree,
                template,
                folder,
                requests=requests,
                seed=r,
                profile=where,
                model=model,
                ingest_seconds=ingest_seconds,
                extra_env=(tree_env or {}).get(name),
            )
            rows[name].append(row)
            print(json.dumps({"round": r + 1, "tree": name, **row}), file=sys.stderr, flush=True)
    if not keep_template:
        _drop(template[1])
    return {
        name: {
            k: (statistics.median(x[k] for x in got) if isinstance(got[0][k], (int, float)) else got[-1][k])
            for k in got[0]
        }
        for name, got in rows.items()
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, required=True, help="folder for the template library and the videos")
    parser.add_argument("--clips", type=int, default=20_000)
    parser.add_argument("--videos", type=int, default=16, help="new videos `vidseek index` writes")
    parser.add_argument("--video-seconds", type=int, default=30)
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL (127.0.0.1:5432) instead of SQLite")
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH of a vidseek checkout")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--requests", type=int, default=60, help="idle requests (and the least while indexing)")
    parser.add_argument(
        "--ingest-seconds", type=float, help="stop the indexer after this many seconds (default: when it is done)"
    )
    parser.add_argument("--profile", type=Path, help="folder for py-spy profiles of the server (raw stacks)")
    parser.add_argument(
        "--tree-env",
        action="append",
        default=[],
        help="NAME:KEY=VALUE, an environment variable for tree NAME's processes only "
        "(e.g. nice:VIDSEEK_INDEX_NICE=10 beside --tree nice=.); repeatable",
    )
    args = parser.parse_args(argv)
    tree_env = api_load.tree_env(args.tree_env)
    trees = [(name, Path(path).resolve()) for name, _, path in (t.partition("=") for t in args.tree)]
    out = measure(
        args.work,
        trees,
        clips=args.clips,
        videos=args.videos,
        video_seconds=args.video_seconds,
        postgres=args.postgres,
        rounds=args.rounds,
        requests=args.requests,
        profile=args.profile,
        ingest_seconds=args.ingest_seconds,
        tree_env=tree_env,
    )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
