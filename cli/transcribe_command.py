"""``vidseek transcribe``: queue transcribe jobs, so the workers hear what is said in videos without
subtitles and make it searchable (``--modality speech``)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cli.shared import UsageProblem, guard, open_library, settings_from
from vidseek.said import transcripts
from vidseek.storage import cue_store, store
from vidseek.storage.tables import Video

NO_MODEL = (
    "no speech model: set VIDSEEK_SPEECH_MODEL (faster-whisper:small, or a faster-whisper model folder "
    "for an offline machine) or give --speech-model; see the README, Speech transcription"
)


def pick_videos(videos: list[Video], refs: tuple[str, ...]) -> tuple[list[Video], list[str]]:
    """The videos ``refs`` name (a video id, an indexed file, a folder: the videos under it), each once,
    in library order; and the refs that name none."""
    by_id = {str(v.id): v for v in videos}
    by_path = {v.path: v for v in videos}
    chosen: dict[int, Video] = {}
    unknown = []
    for ref in refs:
        path = Path(ref).expanduser()
        found = [by_id[ref]] if ref in by_id else []
        found += [by_path[p] for p in {ref, str(path.resolve()), os.path.realpath(path)} if p in by_path]
        if not found and path.is_dir():
            folder = Path(os.path.realpath(path))
            found = [v for v in videos if Path(v.path).is_relative_to(folder)]
        if not found:
            unknown.append(ref)
        chosen.update((v.id, v) for v in found)
    return sorted(chosen.values(), key=lambda v: v.id), unknown


@click.command(name="transcribe")
@click.argument("videos", nargs=-1, metavar="[PATHS]...")
@click.option("--all", "all_", is_flag=True, help="Every indexed video.")
@click.option("--force", is_flag=True, help="Also videos that have subtitles or a transcript already.")
@click.option("--speech-model", help="Speech model spec [VIDSEEK_SPEECH_MODEL].")
@click.pass_context
@guard
def transcribe(ctx: click.Context, videos: tuple[str, ...], all_: bool, force: bool, speech_model: str | None) -> None:
    """Queue transcribe jobs for indexed videos (files, folders or video ids; or --all), for the workers
    (`vidseek worker`, `vidseek serve`) to run. By default only videos with no subtitle cues and no
    transcript yet; --force transcribes them (again) too. Needs the speech extra for faster-whisper
    models: pip install 'vidseek[speech]'."""
    if bool(videos) == all_:
        raise UsageProblem("name the videos to transcribe (files, folders or ids), or give --all, not both")
    settings = settings_from(ctx, speech_model=speech_model)
    if not settings.speech_model:
        raise UsageProblem(NO_MODEL)
    from vidseek.said.speech_spec import check_speech_spec

    # can the workers load it? ModelError: exit 2 (a python: module is imported in a child process, given
    # VIDSEEK_SPEECH_IMPORT_TIMEOUT seconds)
    source = check_speech_spec(settings.speech_model, import_timeout=settings.speech_import_timeout)
    library = open_library(settings)
    queued, skipped, busy = [], 0, 0
    with library.sessions() as session:
        listed = store.list_videos(session=session)
        chosen, unknown = (listed, []) if all_ else pick_videos(listed, videos)
        counts = cue_store.cue_counts(None if all_ else [v.id for v in chosen], session=session)
        active = transcripts.being_transcribed(session=session)
        heard = transcripts.heard_contents(session=session)
        for video in chosen:
            if video.id in active:
                busy += 1
            elif not transcripts.wants_transcript(
                counts.get(video.id), force=force, heard=(video.id, video.fingerprint) in heard
            ):
                skipped += 1
            else:
                job = transcripts.queue_transcription(video, source.spec, session=session, source="cli")
                queued.append((job.id, video.path))
        session.commit()
    for job_id, path in queued:
        click.echo(f"queued transcribe job {job_id}: {path}")
    if busy:
        click.echo(f"{busy} video(s) already queued or being transcribed")
    if skipped:
        click.echo(f"skipped {skipped} video(s) with subtitles or already transcribed (--force transcribes them again)")
    click.echo(f"queued {len(queued)} transcribe job(s) with {source.name}; `vidseek worker` runs them")
    for ref in unknown:
        click.echo(f"error: {ref}: no indexed video has this id or path, and no folder holds one", err=True)
    ctx.exit(1 if unknown else 0)
