"""``vidseek eval``: how well the library's model finds the labelled moments of a query set."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.shared import UsageProblem, guard, print_table, search_engine, settings_from
from search_api.evaluation.annotations import FORMATS, LabelledSet
from search_api.evaluation.evaluate import DEFAULT_LIMIT, Evaluation, QueryResult
from search_api.evaluation.label_lines import AnnotationError, quoted
from search_api.evaluation.metrics import Span
from vidseek.timecode import clock

if TYPE_CHECKING:
    from search_api.search.engine import SearchEngine

SHOWN_NAMES = 5
"""Unmatched video names listed in a warning before '...'."""

METRICS: tuple[tuple[str, str, str], ...] = (
    ("r1_at_0.3", "R1@0.3", "the first moment overlaps a true moment with IoU >= 0.3"),
    ("r1_at_0.5", "R1@0.5", "the first moment overlaps a true moment with IoU >= 0.5"),
    ("r1_at_0.7", "R1@0.7", "the first moment overlaps a true moment with IoU >= 0.7"),
    ("miou", "mIoU", "mean IoU of the first moment with its best true moment (0 in a wrong video)"),
    ("r5_at_0.5", "R5@0.5", "one of the first 5 moments has IoU >= 0.5"),
    ("map", "mAP", "average precision of the first 10 moments, mean over IoU 0.5, 0.55, ..., 0.95"),
    ("map_at_0.5", "mAP@0.5", "average precision of the first 10 moments at IoU 0.5"),
    ("map_at_0.75", "mAP@0.75", "average precision of the first 10 moments at IoU 0.75"),
    ("video_r_at_1", "video R@1", "the first moment is in a video that holds a true moment"),
    ("video_r_at_5", "video R@5", "a true video is among the first 5 distinct videos of the results"),
    ("video_r_at_10", "video R@10", "a true video is among the first 10 distinct videos of the results"),
)
"""(summary key, label, meaning) of each number in the table, in order."""


@click.command(name="eval")
@click.argument("labels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Format of LABELS (default: detected): jsonl = vidseek lines {query, video, start, end}; "
    "qvhighlights = QVHighlights JSONL; charades = Charades-STA `VIDEOID START END##sentence`.",
)
@click.option(
    "--limit",
    default=DEFAULT_LIMIT,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Moments searched per query (R5 needs 5; video R@10 and mAP count up to 10).",
)
@click.option(
    "--min-relevance",
    type=click.Choice(["high", "medium", "low"]),
    default="low",
    show_default=True,
    help="Weakest relevance band counted; 'low' scores the whole ranked list, 'medium' what "
    "`vidseek search` shows by default.",
)
@click.option("--per-query", is_flag=True, help="Also print each query's first moment, IoU and video rank.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON (overall, per query, skipped).")
@click.pass_context
@guard
def eval_command(
    ctx: click.Context, labels: Path, fmt: str | None, limit: int, min_relevance: str, per_query: bool, as_json: bool
) -> None:
    """Score search on LABELS, a labelled query set, against the indexed library.

    Each query is searched, and its moments are compared with the true ones: R1@0.3, R1@0.5 and
    R1@0.7 (first moment's IoU), mIoU, R5@0.5, mAP (QVHighlights' moment-retrieval mAP) and video
    recall at 1, 5 and 10. Each Charades-STA line and each QVHighlights qid is one query. Labelled
    videos are matched to indexed ones by path, else by file name without extension; queries whose
    videos are not indexed are skipped (and reported).
    """
    _run_eval(ctx, labels, fmt, limit=limit, min_relevance=min_relevance, per_query=per_query, as_json=as_json)


def _run_eval(
    ctx: click.Context, labels: Path, fmt: str | None, *, limit: int, min_relevance: str, per_query: bool, as_json: bool
) -> None:
    """Read LABELS (format errors first, before any model loads), match, search, report."""
    from search_api.evaluation.annotations import match_labels, read_labels

    try:
        fmt, parsed = read_labels(labels, fmt)
    except AnnotationError as exc:
        raise UsageProblem(str(exc)) from None
    engine = search_engine(settings_from(ctx))
    labelled = match_labels(labels, fmt, parsed, _library_paths(engine.library))
    _warn_ambiguous(labelled)
    if not labelled.queries:
        raise UsageProblem(_nothing_matched(labelled))
    _warn_missing(labelled)
    started = time.perf_counter()
    evaluation = _evaluate_with_progress(engine, labelled, limit=limit, min_relevance=min_relevance)
    seconds = time.perf_counter() - started
    if as_json:
        body = _eval_json(labelled, evaluation, model=engine.encoder.name, limit=limit, min_relevance=min_relevance)
        click.echo(json.dumps(body, indent=2))
        return
    if per_query:
        _print_per_query(evaluation.queries)
    _print_summary(evaluation, skipped=len(labelled.skipped))
    click.echo(
        f"{_queries(len(evaluation.queries))} in {seconds:.1f} s, {limit} moments each, "
        f"min relevance {min_relevance}, model {engine.encoder.name}"
    )


def _library_paths(library) -> list[str]:  # noqa: ANN001
    from vidseek.storage import store

    with library.sessions() as session:
        return [video.path for video in store.list_videos(session=session)]


def _evaluate_with_progress(
    engine: SearchEngine,
    labelled: LabelledSet,
    *,
    limit: int,
    min_relevance: str,
) -> Evaluation:
    """``evaluate`` with a progress bar on stderr when it is a terminal."""
    from search_api.evaluation.evaluate import evaluate

    if not sys.stderr.isatty():
        return evaluate(engine, labelled.queries, limit=limit, min_relevance=min_relevance)
    with click.progressbar(length=len(labelled.queries), label="evaluating", file=sys.stderr) as bar:
        return evaluate(
            engine, labelled.queries, limit=limit, min_relevance=min_relevance, on_query=lambda _: bar.update(1)
        )


def _shown(names: list[str]) -> str:
    """The first ``SHOWN_NAMES`` names, each quoted and cut to ``annotations.ECHO_LIMIT`` characters."""
    more = f", ... ({len(names) - SHOWN_NAMES} more)" if len(names) > SHOWN_NAMES else ""
    return ", ".join(quoted(name) for name in names[:SHOWN_NAMES]) + more


def _queries(n: int) -> str:
    return f"{n} quer{'y' if n == 1 else 'ies'}"


def _warn_missing(labelled: LabelledSet) -> None:
    """One warning line for the labelled videos that are not in the library."""
    if labelled.missing:
        click.echo(
            f"warning: {labelled.path}: {len(labelled.missing)} labelled video(s) are not in the library "
            f"({_shown(labelled.missing)}); {_queries(len(labelled.skipped))} skipped. "
            "Index them with `vidseek index`, or check they are named by path or file name",
            err=True,
        )


def _warn_ambiguous(labelled: LabelledSet) -> None:
    """One warning line per labelled name whose file stem several indexed videos share."""
    for name, paths in labelled.ambiguous.items():
        click.echo(
            f"warning: {labelled.path}: video {quoted(name)} is ambiguous: its file name matches "
            f"{len(paths)} indexed videos ({_shown(paths)}); its moments are skipped. "
            "Name it by its full path (as `vidseek ls` shows it)",
            err=True,
        )


def _nothing_matched(labelled: LabelledSet) -> str:
    names = labelled.missing + list(labelled.ambiguous)
    return (
        f"{labelled.path}: none of its {len(names)} labelled video(s) is in the library "
        f"({_shown(names)}): index them first with `vidseek index FOLDER`, and name them in LABELS by "
        "path or by file name without extension (as `vidseek ls` shows them)"
    )


def _span_json(span: Span | None) -> dict | None:
    return None if span is None else {"video": span.video, "start": span.start, "end": span.end}


def _origin_json(lines: tuple[int, ...], qid: int | str | None) -> dict:
    """Where a query comes from: its lines in LABELS, and its QVHighlights qid."""
    return {"lines": list(lines), **({} if qid is None else {"qid": qid})}


def _query_json(result: QueryResult) -> dict:
    score = result.score
    return {
        "query": result.query,
        **_origin_json(result.labelled.lines, result.labelled.qid),
        "top": _span_json(result.top),
        "iou": round(score.top_iou, 4),
        "best_iou_top5": round(score.best_iou_top5, 4),
        "ap": round(score.mean_ap, 4),
        "ap_at_0.5": round(score.ap_at(0.5), 4),
        "ap_at_0.75": round(score.ap_at(0.75), 4),
        "video_rank": score.video_rank,
        "truths": [_span_json(t) for t in result.truths],
    }


def _eval_json(labelled: LabelledSet, evaluation: Evaluation, *, model: str, limit: int, min_relevance: str) -> dict:
    """The ``--json`` body: settings, overall numbers, every query, every skipped query."""
    return {
        "labels": str(labelled.path),
        "format": labelled.format,
        "model": model,
        "limit": limit,
        "min_relevance": min_relevance,
        "overall": {**evaluation.overall, "skipped": len(labelled.skipped)},
        "queries": [_query_json(r) for r in evaluation.queries],
        "skipped": [
            {"query": s.query, **_origin_json(s.lines, s.qid), "videos": s.videos, "reason": s.reason}
            for s in labelled.skipped
        ],
        "missing_videos": labelled.missing,
        "ambiguous_videos": labelled.ambiguous,
    }


def _print_summary(evaluation: Evaluation, *, skipped: int) -> None:
    overall = evaluation.overall
    rows = [(label, f"{overall[key]:.3f}", meaning) for key, label, meaning in METRICS]
    rows += [
        ("queries", str(overall["queries"]), "labelled queries searched"),
        ("skipped", str(skipped), "queries with no labelled video found in the library"),
    ]
    print_table(("metric", "value", "meaning"), rows)


def _moment_text(span: Span | None) -> str:
    return "-" if span is None else f"{Path(span.video).stem} {clock(span.start)}-{clock(span.end)}"


def _print_per_query(results: list[QueryResult]) -> None:
    rows = []
    for n, result in enumerate(results, start=1):
        truth = _moment_text(result.truths[0]) + (f" +{len(result.truths) - 1}" if len(result.truths) > 1 else "")
        rank = "-" if result.score.video_rank is None else str(result.score.video_rank)
        line = str(result.labelled.lines[0]) if result.labelled.lines else "-"
        row = (str(n), line, f"{result.score.top_iou:.2f}", rank, _moment_text(result.top), truth, result.query)
        rows.append(row)
    print_table(("#", "line", "IoU", "video rank", "first moment", "true moment", "query"), rows)
    click.echo()
