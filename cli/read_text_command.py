"""``vidseek read-text``: queue read-text jobs, so the workers read the text shown in indexed videos
(slides, signs, lower thirds, tickers) and make it searchable (``--modality shown``), without
indexing them again."""

from __future__ import annotations

import click

from cli.shared import UsageProblem, guard, open_library, settings_from
from cli.transcribe_command import pick_videos
from vidseek.shown import reading_jobs
from vidseek.storage import cue_store, store


@click.command(name="read-text")
@click.argument("videos", nargs=-1, metavar="[PATHS]...")
@click.option("--all", "all_", is_flag=True, help="Every indexed video.")
@click.option("--force", is_flag=True, help="Also videos whose text was read already.")
@click.pass_context
@guard
def read_text(ctx: click.Context, videos: tuple[str, ...], all_: bool, force: bool) -> None:
    """Queue read-text jobs for indexed videos (files, folders or video ids; or --all), for the workers
    (`vidseek worker`, `vidseek serve`) to run. By default only videos with no shown text yet; --force
    reads them again. Needs the ocr extra: pip install 'vidseek[ocr]'."""
    if bool(videos) == all_:
        raise UsageProblem("name the videos to read (files, folders or ids), or give --all, not both")
    settings = settings_from(ctx)
    from vidseek.shown.ocr_engine import require_ocr

    require_ocr()  # ModelError: exit 2, one sentence saying what to install
    library = open_library(settings)
    queued, skipped, busy = [], 0, 0
    with library.sessions() as session:
        listed = store.list_videos(session=session)
        chosen, unknown = (listed, []) if all_ else pick_videos(listed, videos)
        counts = cue_store.shown_counts(None if all_ else [v.id for v in chosen], session=session)
        active = reading_jobs.being_read(session=session)
        read = reading_jobs.read_contents(session=session)
        for video in chosen:
            if video.id in active:
                busy += 1
            elif not reading_jobs.wants_reading(
                counts.get(video.id, 0), force=force, read=(video.id, video.fingerprint) in read
            ):
                skipped += 1
            else:
                job = reading_jobs.queue_reading(video, session=session, source="cli")
                queued.append((job.id, video.path))
        session.commit()
    for job_id, path in queued:
        click.echo(f"queued read-text job {job_id}: {path}")
    if busy:
        click.echo(f"{busy} video(s) already queued or being read")
    if skipped:
        click.echo(f"skipped {skipped} video(s) whose text was read already (--force reads them again)")
    click.echo(f"queued {len(queued)} read-text job(s); `vidseek worker` runs them")
    for ref in unknown:
        click.echo(f"error: {ref}: no indexed video has this id or path, and no folder holds one", err=True)
    ctx.exit(1 if unknown else 0)
