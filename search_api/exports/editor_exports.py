"""One function makes every export's bytes, for the API (``routes/exports``) and ``vidseek export`` alike,
so both give the same file for the same search: :func:`export_file`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from search_api.exports import cuts, edl
from search_api.exports import formats as exports
from search_api.exports.fcpxml import to_fcpxml
from search_api.exports.resolve_markers import to_resolve_markers
from search_api.exports.shot_snap import stored_cuts, to_shots
from search_api.exports.whole_lines import stored_lines, to_whole_lines
from search_api.exports.xmeml import to_xmeml
from search_api.http.response_models import MomentSpan
from search_api.http.schemas import TextSearch
from search_api.search.engine import QuerySource, SearchEngine
from search_api.search.results import moment_spans

FORMATS = ("otio", "edl", "csv", "fcpxml", "xmeml", "resolve-markers")
"""What ``vidseek export --format`` writes; ``fcpxml``, ``xmeml`` and ``resolve-markers`` are timelines
laid out by ``search_api.exports.cuts`` (handles, timeline rate, start timecode)."""

MAX_HANDLES = 60.0
"""Most seconds of handles either side of a cut."""


@dataclass(frozen=True)
class TimelineOptions:
    """How the timeline formats cut and lay out the moments: ``handles`` seconds either side of each
    moment (clamped to its video), at ``rate`` frames per second (None: the first moment's) from timecode
    ``start`` (None: 01:00:00:00)."""

    handles: float = 0.0
    rate: float | None = None
    start: str | None = None


PLAIN = TimelineOptions()
"""No handles, the first moment's rate, 01:00:00:00."""


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    media_type: str
    body: bytes


def find_moments(
    engine: SearchEngine,
    query: QuerySource,
    params: TextSearch,
    *,
    whole_lines: bool = False,
    snap_to_shots: bool = False,
) -> list[MomentSpan]:
    """The moments an export of ``params`` writes (for the API and the CLI alike): the search's page,
    each widened to the whole lines said over it when ``whole_lines`` (``search_api.exports.whole_lines``),
    then its edges snapped to the cuts near them when ``snap_to_shots`` (``search_api.exports.shot_snap``)."""
    page = engine.page(query, params)
    signals = page.signals
    moments = moment_spans(page, params, signals=signals)
    if whole_lines:
        moments = to_whole_lines(moments, stored_lines(engine.library, moments))
    if snap_to_shots:
        moments = to_shots(moments, stored_cuts(engine.library, moments))
    return moments


def stem(q: str) -> str:
    """The name of a query's export files, without the extension: ``vidseek-red-car``."""
    return "vidseek-" + (re.sub(r"[^A-Za-z0-9]+", "-", q).strip("-")[:60] or "moments")


def _placed(moments: list[MomentSpan], options: TimelineOptions) -> cuts.Timeline:
    if not 0 <= options.handles <= MAX_HANDLES:
        raise exports.ExportProblem(f"handles: between 0 and {MAX_HANDLES:g} seconds, not {options.handles:g}")
    if options.rate is not None and not edl.is_smpte_rate(float(cuts.exact_rate(options.rate))):
        raise exports.ExportProblem(
            f"rate: a timeline rate is one of 23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60, not {options.rate:g}"
        )
    return cuts.place(moments, handles=options.handles, fps=options.rate, start=options.start)


def export_file(fmt: str, moments: list[MomentSpan], q: str, options: TimelineOptions = PLAIN) -> ExportFile:
    """The file of ``moments`` (a search for ``q``) in format ``fmt`` (one of :data:`FORMATS`): its name,
    media type and bytes. Moments the format cannot hold are an :class:`exports.ExportProblem`."""
    name = stem(q)
    if fmt == "otio":
        return ExportFile(f"{name}.otio", "application/json", exports.to_otio(moments, q).encode())
    if fmt == "csv":
        return ExportFile(f"{name}.csv", "text/csv; charset=utf-8", exports.to_csv(moments).encode())
    if fmt == "edl":
        files = edl.edl_files(moments, q, name)
        if len(files) == 1:
            return ExportFile(f"{name}.edl", "text/plain; charset=utf-8", next(iter(files.values())).encode())
        return ExportFile(f"{name}.zip", "application/zip", edl.edl_zip(files))
    if fmt == "fcpxml":
        return ExportFile(f"{name}.fcpxml", "text/xml; charset=utf-8", to_fcpxml(_placed(moments, options), q))
    if fmt == "xmeml":
        return ExportFile(f"{name}.xml", "text/xml; charset=utf-8", to_xmeml(_placed(moments, options), q))
    if fmt == "resolve-markers":
        placed = _placed(moments, options)
        if not edl.is_smpte_rate(float(placed.rate)):
            raise exports.ExportProblem(
                f"Resolve marker EDLs need a SMPTE timeline rate, and the first moment's video runs at "
                f"{float(placed.rate):g} fps: ask for one with rate (25, 29.97, ...)"
            )
        return ExportFile(f"{name}-markers.edl", "text/plain; charset=utf-8", to_resolve_markers(placed, q))
    raise ValueError(f"unknown export format {fmt!r}: one of {', '.join(FORMATS)}")
