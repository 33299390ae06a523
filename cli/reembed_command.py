"""``vidseek reembed``: move the whole library to another model, here or as a queued job."""

from __future__ import annotations

import click

from cli.shared import guard, open_library, settings_from
from vidseek.config import Settings


@click.command(name="reembed")
@click.argument("spec", metavar="MODEL_SPEC")
@click.option(
    "--queue",
    is_flag=True,
    help="Queue it as a job for the workers (`vidseek worker`, `vidseek serve`) instead of running it here.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bars (default: when stderr is a terminal).")
@click.pass_context
@guard
def reembed(ctx: click.Context, spec: str, queue: bool, progress: bool | None) -> None:
    """Move the whole library to another model (MODEL_SPEC, as for --model).

    Every video is embedded again with the new model and a new index is built beside the old one;
    search keeps answering with the old model until it is complete, then switches (running
    `vidseek serve` and `vidseek worker` processes follow by themselves). Interrupted, it resumes
    where it stopped. Then it is the library's model: commands without VIDSEEK_MODEL use it.
    """
    from vidseek.storage import jobs

    settings = settings_from(ctx)
    library = open_library(settings)
    if library.model_name() is None:
        raise click.ClickException("the index is empty: nothing to re-embed (index with the new model directly)")
    with library.sessions() as session:
        jobs.refuse_if_reembed_active(session=session)  # Conflict: exit 1, through guard
        if queue:
            from vidseek.models.encoders import check_spec

            check_spec(spec)  # can the workers load it? (a few seconds at most; ModelError: exit 2)
            job = jobs.enqueue("reembed", session=session, payload={"model": spec})
            session.commit()
            click.echo(f"queued re-embed job {job.id} ({spec}); follow it with GET /api/jobs/{job.id}")
            return
    ctx.exit(_run_reembed(settings, library, spec, progress=progress))


def _run_reembed(settings: Settings, library, spec: str, *, progress: bool | None) -> int:  # noqa: ANN001
    from indexer.progress import Progress
    from indexer.reembed import Reembedder
    from vidseek.models.encoders import encoder_for

    encoder = encoder_for(settings, spec)
    report = Reembedder(settings, library, encoder, spec, progress=lambda: Progress(progress)).run()
    for path, reason in report.failed:
        click.echo(f"error: {path}: {reason}", err=True)
    click.echo(report.summary())
    if report.switched:
        click.echo(
            f"the library's model is now {spec}: commands without VIDSEEK_MODEL use it; "
            f"where VIDSEEK_MODEL is set, set VIDSEEK_MODEL={spec} or unset it"
        )
    return 1 if report.failed else 0
