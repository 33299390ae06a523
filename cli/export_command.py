"""``vidseek export``: a query's moments as a file an editor imports, without a server: the same bytes the
API's ``/api/export.*`` routes send for the same search (``search_api.exports.editor_exports.export_file``)."""

from __future__ import annotations

from pathlib import Path

import click
from pydantic import ValidationError

from cli.shared import UsageProblem, guard, search_engine, settings_from

FORMATS = ("otio", "edl", "csv", "fcpxml", "xmeml", "resolve-markers")
"""``search_api.exports.editor_exports.FORMATS`` (not imported here, so ``--help`` loads no search code)."""


@click.command(name="export")
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="The file to write.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it; '-' for standard output. Default: the name the API gives (vidseek-QUERY.EXT).",
)
@click.option(
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Moments (videos, with --group-by video).",
)
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@click.option("--min-relevance", type=click.Choice(["high", "medium", "low"]), default="medium", show_default=True)
@click.option("--group-by", type=click.Choice(["none", "video"]), default="none", show_default=True)
@click.option("--sort", type=click.Choice(["score", "count", "date"]), default="score", show_default=True)
@click.option("--modality", type=click.Choice(["visual", "speech", "shown", "all"]), default="all", show_default=True)
@click.option("--video-id", "video_id", type=click.IntRange(1), multiple=True, help="Only this video (repeat).")
@click.option("--path-prefix", help="Only videos whose path starts with this.")
@click.option("--min-score", type=click.FloatRange(-1, 1), help="No moment scoring below this.")
@click.option("--min-duration", type=click.FloatRange(0), help="Shortest video, seconds.")
@click.option("--max-duration", type=click.FloatRange(0), help="Longest video, seconds.")
@click.option(
    "--handles",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 60),
    help="Seconds of pre/post-roll either side of each moment, clamped to its video (fcpxml, xmeml, resolve-markers).",
)
@click.option(
    "--rate", type=click.FloatRange(min=0, min_open=True), help="Timeline frame rate (default: the first moment's)."
)
@click.option("--start", "start_tc", help="Timeline start timecode (default 01:00:00:00).")
@click.option(
    "--whole-lines",
    is_flag=True,
    help="Widen each moment to the whole subtitle lines said over it (fcpxml, xmeml, resolve-markers).",
)
@click.option(
    "--snap-to-shots",
    is_flag=True,
    help="Move each edge of a moment within a second of a cut between shots onto the cut.",
)
@click.pass_context
@guard
def export(
    ctx: click.Context,
    query: str,
    fmt: str,
    output: Path | None,
    handles: float,
    rate: float | None,
    start_tc: str | None,
    whole_lines: bool,
    snap_to_shots: bool,
    **page: object,
) -> None:
    """Write the moments that match QUERY as an editor's file: OTIO, EDL, CSV, FCPXML, FCP7 XML (xmeml) or
    a DaVinci Resolve marker EDL."""
    if not query.strip():
        raise UsageProblem('QUERY is empty: say what to look for, e.g. vidseek export "a dog" --format fcpxml')
    from search_api.exports.editor_exports import TimelineOptions, export_file, find_moments
    from search_api.exports.formats import ExportProblem
    from search_api.http.schemas import TextSearch

    page["video_id"] = list(page["video_id"])
    try:
        params = TextSearch(q=query, **page)
    except ValidationError as exc:
        raise UsageProblem("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    engine = search_engine(settings_from(ctx))
    moments = find_moments(engine, query, params, whole_lines=whole_lines, snap_to_shots=snap_to_shots)
    try:
        file = export_file(fmt, moments, query, TimelineOptions(handles, rate, start_tc))
    except ExportProblem as exc:
        raise UsageProblem(str(exc)) from None
    if output is not None and str(output) == "-":
        click.get_binary_stream("stdout").write(file.body)
        return
    target = output or Path(file.file_name)
    target.write_bytes(file.body)
    click.echo(f"wrote {target} ({len(moments)} moments)", err=True)
