"""``vidseek serve``: the search page at / and the JSON API under /api, checked before uvicorn starts."""

from __future__ import annotations

import os

import click

from cli.shared import guard, open_library, settings_from
from vidseek.config import Settings
from vidseek.storage import store


@click.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes answering requests on the port (default VIDSEEK_SERVE_PROCESSES, 1); each loads the "
    "model and index: more answer more requests at once on more cores.",
)
@click.pass_context
@guard
def serve(ctx: click.Context, host: str, port: int, processes: int | None) -> None:
    """Serve the search page at / and the JSON API under /api."""
    run_serve(settings_from(ctx, serve_processes=processes), host, port)


def run_serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from search_api.http.app import create_app
    from search_api.http.serve_processes import CHILD_SETTINGS, for_processes, one_thread_per_request
    from vidseek.models.encoders import library_encoder

    one_thread_per_request()
    # Check what would stop the app before uvicorn starts, so a problem is one line, not a traceback.
    library = open_library(settings)
    encoder = library_encoder(settings, library)
    with library.sessions() as session:
        store.check_model(encoder.name, session=session)
    warn_if_writes_refused(library, host)
    if settings.serve_processes == 1:
        uvicorn.run(create_app(settings, encoder=encoder, serve_host=host), host=host, port=port, log_level="info")
        return
    del library, encoder  # each process loads its own; this one only watches them
    os.environ[CHILD_SETTINGS] = for_processes(settings, host)
    uvicorn.run(
        "search_api.http.serve_processes:app_of_a_process",
        factory=True,
        workers=settings.serve_processes,
        host=host,
        port=port,
        log_level="info",
    )


def warn_if_writes_refused(library, host: str) -> None:  # noqa: ANN001
    """One warning line when the API will refuse every write (``search_api.http.security.writes_locked``)."""
    from search_api.http.security import writes_locked
    from vidseek.storage.keys import active_key_count

    with library.sessions() as session:
        keys = active_key_count(session=session)
    if writes_locked(host, any_key=keys > 0):
        click.echo(
            f"warning: serving on {host}, which other machines can reach, with no API key: uploads, "
            "deletes and re-indexing are refused until you create one with `vidseek keys create NAME`",
            err=True,
        )
