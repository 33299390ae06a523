"""Looking after what is indexed: ``vidseek ls``, ``info``, ``rm``, ``sync`` and ``rebuild-index``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.shared import guard, open_library, print_table, settings_from
from vidseek.said import cue_vectors
from vidseek.storage import cue_store, index_meta, store
from vidseek.timecode import clock


@click.command(name="ls")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@guard
def ls_(ctx: click.Context, as_json: bool) -> None:
    """List indexed videos."""
    library = open_library(settings_from(ctx))
    with library.sessions() as session:
        videos = store.list_videos(session=session)
        counts = store.clip_counts(session=session)
    from search_api.search.results import video_detail_json

    items = [video_detail_json(v, counts.get(v.id, 0)) for v in videos]  # the same shape as GET /api/videos
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    if not items:
        click.echo("no videos indexed")
        return
    print_table(
        ("id", "duration", "clips", "size", "path"),
        [
            (str(i["id"]), clock(i["duration"]), str(i["clips"]), f"{i['width']}x{i['height']}", i["path"])
            for i in items
        ],
    )


@click.command(name="info")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@guard
def info(ctx: click.Context, as_json: bool) -> None:
    """What is indexed: videos, clips, hours, model, index type (the type ``auto`` or the setting
    chose, and removed clips the index still stores until its next rebuild), and what is said:
    subtitle and transcript lines, and how many of them the model has embedded for search by meaning."""
    settings = settings_from(ctx)
    library = open_library(settings)
    with library.sessions() as session:
        totals = store.totals(session=session)
        facts = {
            "model": index_meta.get_meta("model", session=session),
            "dim": index_meta.get_meta("dim", session=session),
            "generation": store.generation(session=session),
        }
        counts = cue_store.cue_counts(session=session).values()
        said = {
            "subtitle_cues": sum(c[0] for c in counts),
            "transcript_cues": sum(c[1] for c in counts),
            "shown_lines": sum(cue_store.shown_counts(session=session).values()),
            "cues_embedded": cue_vectors.count(facts["model"], session=session) if facts["model"] else 0,
        }
    facts = {**facts, "model_spec": library.model_spec(facts["model"]) if facts["model"] else None}
    index = library.index()
    data = {
        **totals,
        "hours": round(totals["hours"], 4),
        **facts,
        "index_type": index.spec.describe() if index else None,
        "index_setting": settings.index_type,
        "index_tombstones": len(index.tombstones) if index else 0,
        **said,
        "index_file": str(settings.faiss_path),
        "database": _redacted(settings.sqlalchemy_url),
    }
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


@click.command(name="rm")
@click.argument("videos", nargs=-1, required=True)
@click.pass_context
@guard
def rm(ctx: click.Context, videos: tuple[str, ...]) -> None:
    """Remove videos from the index, by id or path. The files themselves are left alone."""
    library = open_library(settings_from(ctx))
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


@click.command(name="sync")
@click.pass_context
@guard
def sync(ctx: click.Context) -> None:
    """Drop indexed videos whose files no longer exist."""
    library = open_library(settings_from(ctx))
    removed = library.remove_missing()
    library.save_index()
    for path in removed:
        click.echo(f"removed: {path}")
    click.echo(f"removed {len(removed)} video(s) whose files are gone")


@click.command(name="rebuild-index")
@click.pass_context
@guard
def rebuild_index(ctx: click.Context) -> None:
    """Remake the FAISS index from the vectors stored in the database."""
    library = open_library(settings_from(ctx))
    index = library.rebuild_index()
    click.echo(f"rebuilt index: {index.count if index else 0} clips, {index.spec.describe() if index else 'empty'}")
