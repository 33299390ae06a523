"""``vidseek search``: the moments that match a query, as a table or as the API's result JSON."""

from __future__ import annotations

import json

import click
from pydantic import ValidationError

from cli.shared import UsageProblem, guard, print_table, search_engine, settings_from
from vidseek.config import Settings
from vidseek.timecode import clock


@click.command(name="search")
@click.argument("query")
@click.option(
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Moments per page (videos, with --group-by video).",
)
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@click.option(
    "--min-relevance",
    type=click.Choice(["high", "medium", "low"]),
    default="medium",
    show_default=True,
    help="Weakest relevance band shown; 'low' shows everything.",
)
@click.option(
    "--group-by",
    type=click.Choice(["none", "video"]),
    default="none",
    show_default=True,
    help="'video': videos ranked by their best moment, each with its moments.",
)
@click.option(
    "--sort",
    type=click.Choice(["score", "count", "date"]),
    default="score",
    show_default=True,
    help="'count': videos with most moments first (with --group-by video); 'date': newest video first.",
)
@click.option(
    "--modality",
    type=click.Choice(["visual", "speech", "shown", "all"]),
    default="all",
    show_default=True,
    help="'visual': what is seen; 'speech': what is said or written (subtitles: words, \"phrases\", prefix*); "
    "'shown': the text shown on screen (read by OCR: VIDSEEK_OCR, vidseek read-text); 'all': all, fused.",
)
@click.option(
    "--json", "as_json", is_flag=True, help='Print the result JSON (README, "Search"; the same as GET /api/search).'
)
@click.pass_context
@guard
def search(ctx: click.Context, query: str, as_json: bool, **page: object) -> None:
    """Find the moments that match QUERY, best first."""
    if not query.strip():
        raise UsageProblem('QUERY is empty: say what to look for, e.g. vidseek search "a dog on a beach"')
    from search_api.http.schemas import TextSearch

    try:
        params = TextSearch(q=query, **page)
    except ValidationError as exc:
        raise UsageProblem("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    run_search(settings_from(ctx), query, params, as_json=as_json)


def run_search(settings: Settings, query: str, params, *, as_json: bool) -> None:  # noqa: ANN001
    """Search and print the page ``params`` (``search_api.http.schemas.MomentFilters``) asks for."""
    from search_api.search.moments import moments_json

    engine = search_engine(settings)
    body = moments_json(engine, query, query, params)  # re-encoded by the current model if a re-embed switches it
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
            click.echo(
                f"{group['rank']}. {group['video']['title']}  {group['count']} moment(s), best "
                f"{group['score']:.3f} ({group['relevance']})  {group['video']['path']}"
            )
        rows = [
            (
                str(r["rank"]),
                f"{r['score']:.3f}",
                r["relevance"],
                f"{clock(r['start'])}-{clock(r['end'])}",
                clock(r["peak"]),
                r["video"]["title"],
                r["video"]["path"],
            )
            for r in results
        ]
        print_table(("#", "score", "relevance", "moment", "peak", "title", "path"), rows)
        for r in results:
            if r.get("quote"):
                click.echo(f'  {r["rank"]}. {" + ".join(r["matched"])}: "{r["quote"]}"')
    click.echo(f"{len(body['results'])} moments in {body['took_ms']:.0f} ms{hidden}")
