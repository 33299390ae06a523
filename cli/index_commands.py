"""Getting videos into the library: ``vidseek index`` (now, here or on Ray), ``vidseek watch``
(queue jobs as folders change) and ``vidseek worker`` (run the queued jobs)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.shared import UsageProblem, guard, open_library, settings_from
from vidseek.config import Settings


@click.command(name="index")
@click.argument("paths", nargs=-1, metavar="PATHS...", type=click.Path(path_type=Path))  # required: checked in index()
@click.option("--decoder", type=click.Choice(["pyav", "decord"]), help="Decoding backend [VIDSEEK_DECODER].")
@click.option("--sample-fps", type=float, help="Frames sampled per second [VIDSEEK_SAMPLE_FPS, default 1].")
@click.option("--clip-seconds", type=float, help="Clip length in seconds [VIDSEEK_CLIP_SECONDS, default 4].")
@click.option("--clip-stride", type=float, help="Seconds between clip starts [VIDSEEK_CLIP_STRIDE, default 2].")
@click.option("--batch-size", type=int, help="Frames per model call [VIDSEEK_BATCH_SIZE, default 32].")
@click.option(
    "--keyframes-only",
    is_flag=True,
    default=None,
    help="Fast first index: decode keyframes only (coarser moments; a later full run refines them).",
)
@click.option("--prune", is_flag=True, help="Also drop indexed videos under these folders whose files are gone.")
@click.option("--progress/--no-progress", default=None, help="Progress bars (default: when stderr is a terminal).")
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Decode and embed on a Ray cluster: alone (or 'local') Ray on this machine, started if needed; "
    "'auto' the running cluster; or its address, as --ray=ADDRESS [VIDSEEK_RAY_ADDRESS]. "
    "Needs pip install 'vidseek[ray]'.",
)
@click.pass_context
@guard
def index(
    ctx: click.Context,
    paths: tuple[Path, ...],
    progress: bool | None,
    prune: bool,
    ray_address: str | None,
    **options: object,
) -> None:
    """Index video files and folders (recursively). Unchanged files are skipped."""
    if ray_address is not None and _is_path_not_address(ray_address):  # `--ray FOLDER`: FOLDER is a path
        paths, ray_address = (Path(ray_address), *paths), "local"
    if not paths:
        raise click.MissingParameter(ctx=ctx, param=next(p for p in ctx.command.params if p.name == "paths"))
    ctx.exit(
        run_index(settings_from(ctx, ray_address=ray_address, **options), list(paths), progress=progress, prune=prune)
    )


def _is_path_not_address(value: str) -> bool:
    return value not in ("local", "auto") and "://" not in value and Path(value).expanduser().exists()


def run_index(settings: Settings, paths: list[Path], *, progress: bool | None, prune: bool) -> int:
    """Index ``paths``, print the failures, removals and summary; the exit code (1 when a file failed)."""
    from indexer.priority import lower_priority
    from indexer.progress import Progress
    from indexer.runner import Indexer
    from vidseek.models.encoders import library_encoder
    from vidseek.models.model_spec import canonical_spec

    lower_priority(settings.index_nice)  # before any thread starts: threads take their niceness from their maker
    library = open_library(settings)
    if settings.ray_address:
        from indexer.distributed import RayIndexer
        from indexer.ray_tasks import RayUnavailable

        spec = library.model_to_use()  # the actors load it by spec
        try:
            ray_indexer = RayIndexer(
                settings.model_copy(update={"model": spec}), library, progress=lambda: Progress(progress)
            )
        except RayUnavailable as exc:
            raise UsageProblem(str(exc)) from None
        with ray_indexer:
            library.remember_spec(ray_indexer.embedding.model_name, canonical_spec(spec))
            report = ray_indexer.index(paths, prune=prune)
    else:
        encoder = library_encoder(settings, library)
        report = Indexer(settings, library, encoder, progress=lambda: Progress(progress)).index(paths, prune=prune)
    for path, reason in report.failed:
        click.echo(f"error: {path}: {reason}", err=True)
    for path, note in report.notes:
        click.echo(f"note: {path}: {note}", err=True)  # each note says what it is about (subtitles:, transcript:)
    for path in report.removed:
        click.echo(f"removed: {path}", err=True)
    click.echo(report.summary())
    return report.exit_code


@click.command(name="watch")
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.05), help="Seconds between scans."
)
@click.option(
    "--settle",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Leave files modified in the last S seconds for the next scan (still copying).",
)
@click.option("--once", is_flag=True, help="Scan once and exit.")
@click.pass_context
@guard
def watch_(ctx: click.Context, folders: tuple[Path, ...], interval: float, settle: float, once: bool) -> None:
    """Follow FOLDERS: queue index jobs for new or changed videos and delete jobs for removed ones.

    `vidseek worker` (or `vidseek serve`) runs the jobs."""
    import signal
    import threading

    from indexer.watch import scan_once, watch

    settings = settings_from(ctx)
    library = open_library(settings)
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
        watch(
            roots,
            sessions=library.sessions,
            settings=settings,
            interval=interval,
            settle=settle,
            stop=stop,
            on_scan=report,
        )
    except KeyboardInterrupt:
        pass


@click.command(name="worker")
@click.option(
    "--lease",
    type=click.FloatRange(min=0.1),
    help="Seconds without a heartbeat before a running job counts as abandoned [VIDSEEK_JOB_LEASE, default 60].",
)
@click.option(
    "--poll",
    type=click.FloatRange(min=0.01),
    help="Seconds between queue checks while idle [VIDSEEK_WORKER_POLL, default 1].",
)
@click.option("--until-idle", is_flag=True, help="Exit once no job is runnable instead of waiting for more.")
@click.pass_context
@guard
def worker(ctx: click.Context, lease: float | None, poll: float | None, until_idle: bool) -> None:
    """Run queued jobs (index, reindex, delete, reembed, transcribe, read-text) until SIGTERM or Ctrl+C; the current
    job finishes first."""
    import logging

    from indexer.priority import lower_priority
    from indexer.worker_threads import run_worker_process
    from vidseek.storage.library import WORKER_SAVE_INTERVAL

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("indexer.worker").setLevel(logging.INFO)
    settings = settings_from(ctx)
    lower_priority(settings.index_nice)
    library = open_library(settings, save_interval=WORKER_SAVE_INTERVAL)
    ran = run_worker_process(
        settings,
        library=library,
        lease_seconds=lease,
        poll_seconds=poll,
        until_idle=until_idle,
        echo=lambda m: click.echo(m, err=True),
    )
    click.echo(f"{ran} job(s) run", err=True)
