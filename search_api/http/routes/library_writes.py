"""Changing the library over HTTP: upload a video, re-index one, transcribe one, read its text, delete one.
Each queues a job (202).

All of them need an API key (``search_api.http.security``). The work itself is done by a worker
(``vidseek worker``, or the one inside ``vidseek serve``); ``GET /api/jobs/{id}`` follows it.

A duplicate upload, by content fingerprint (the indexer's own, ``indexer.discover.fingerprint``),
is answered **409 Conflict** with ``duplicate_of`` (the video id it duplicates) and ``Location`` of
that video, or ``duplicate_of_job`` when the same content is already queued; nothing is stored or
queued again.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from indexer.decode import probe
from indexer.discover import fingerprint
from search_api.http.captions import caption_sources
from search_api.http.deps import ServicesDep, VideoDep
from search_api.http.job_models import JobInfo
from search_api.http.jobs_results import accepted, job_info
from search_api.http.security import WriteKeyDep
from search_api.http.uploads import FIELD, UploadProblem, final_name, place, receive_upload
from search_api.search.results import video_detail_json
from vidseek.errors import DecodeError, ModelError
from vidseek.said import transcripts
from vidseek.shown import reading_jobs
from vidseek.storage import cue_store, jobs, store
from vidseek.storage.tables import Video

router = APIRouter(prefix="/api/videos", tags=["library"])

_WRITE_RESPONSES = {
    401: {"description": "No valid API key (`Authorization: Bearer KEY`)."},
    403: {"description": "Served to other machines with no API key at all: create one first."},
}


def _duplicate(session, digest: str) -> JSONResponse | None:  # noqa: ANN001
    """409 when this content is indexed (and its file still there) or already queued from an upload."""
    for video in store.videos_with_fingerprint(digest, session=session):
        if Path(video.path).is_file():
            clips = len(store.clip_ids_of([video.id], session=session))
            captions = caption_sources(cue_store.cue_source_counts([video.id], session=session).get(video.id, []))
            return JSONResponse(
                {
                    "detail": f"this file is already indexed as video {video.id} ({video.title}); "
                    f"it was not stored or queued again",
                    "duplicate_of": video.id,
                    "video": video_detail_json(video, clips, captions=captions),
                },
                status_code=409,
                headers={"Location": f"/api/videos/{video.id}"},
            )
    for job in jobs.active_jobs_of_kind("index", session=session):
        if jobs.payload_of(job).get("fingerprint") == digest:
            return JSONResponse(
                {
                    "detail": f"this file was already uploaded and is waiting to be indexed (job {job.id}); "
                    f"it was not stored or queued again",
                    "duplicate_of_job": job.id,
                    "job": job_info(job).model_dump(mode="json"),
                },
                status_code=409,
                headers={"Location": f"/api/jobs/{job.id}"},
            )
    return None


def _store_and_queue(services, temp: Path, client_name: str, size: int, caller) -> JobInfo | JSONResponse:  # noqa: ANN001
    """Probe, check for duplicates, move into the media folder, queue the index job. Blocking."""
    try:
        probed = probe(temp)
    except DecodeError as exc:
        raise UploadProblem(415, f"{FIELD}: not a video this server can index: {exc}") from None
    digest = fingerprint(temp, size)
    name = final_name(client_name, probed)
    with services.library.sessions() as session:
        # Check, store and queue as one step under the uploads lock: of two uploads of the same
        # content at the same moment (on any replica) the second sees the first's job.
        store.take_uploads_lock(session=session)
        duplicate = _duplicate(session, digest)
        if duplicate is not None:
            return duplicate
        path = place(temp, Path(services.settings.media_dir), name)
        try:
            job = jobs.enqueue(
                "index",
                session=session,
                path=str(path),
                payload={
                    "source": "upload",
                    "original_name": client_name,
                    "size": size,
                    "fingerprint": digest,
                    "key": caller.key_prefix,
                },
            )
            session.commit()
            body = job_info(job)
        except BaseException:
            path.unlink(missing_ok=True)  # not queued: do not leave an orphan in the media folder
            raise
    return body


@router.post(
    "",
    status_code=202,
    response_model=JobInfo,
    summary="Upload a video (multipart field `file`); queues an index job",
    responses={
        **_WRITE_RESPONSES,
        409: {"description": "The same content is already indexed or queued: `duplicate_of`."},
        413: {"description": "Larger than VIDSEEK_MAX_UPLOAD_BYTES."},
        415: {"description": "Not multipart, or the file is not a readable video."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [FIELD],
                        "properties": {FIELD: {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def upload_video(
    request: Request, response: Response, caller: WriteKeyDep, services: ServicesDep
) -> JobInfo | JSONResponse:
    settings = services.settings
    try:
        received = await receive_upload(request, Path(settings.media_dir), settings.max_upload_bytes)
        try:
            answer = await run_in_threadpool(
                _store_and_queue, services, received.temp_path, received.filename, received.size, caller
            )
            return answer if isinstance(answer, JSONResponse) else accepted(answer, response)
        finally:
            received.temp_path.unlink(missing_ok=True)  # moved away on success; anything else goes
    except UploadProblem as exc:
        raise HTTPException(exc.status, exc.detail) from None


def _queue_for_video(services, kind: str, video: Video, caller) -> JobInfo:  # noqa: ANN001
    with services.library.sessions() as session:  # the same request, not yet started: answered with that job
        payload = {"source": "api", "title": video.title, "key": caller.key_prefix}
        job = jobs.enqueue_for_video(kind, video.id, video.path, payload, session=session)
        session.commit()
        return job_info(job)


@router.post(
    "/{video_id}/reindex",
    status_code=202,
    response_model=JobInfo,
    summary="Re-index a video from its file; queues a job",
    responses={**_WRITE_RESPONSES, 404: {"description": "No indexed video has this id."}},
)
def reindex_video(caller: WriteKeyDep, video: VideoDep, services: ServicesDep, response: Response) -> JobInfo:
    return accepted(_queue_for_video(services, "reindex", video, caller), response)


@router.delete(
    "/{video_id}",
    status_code=202,
    response_model=JobInfo,
    summary="Remove a video from the index; queues a job",
    responses={**_WRITE_RESPONSES, 404: {"description": "No indexed video has this id."}},
)
def delete_video(caller: WriteKeyDep, video: VideoDep, services: ServicesDep, response: Response) -> JobInfo:
    return accepted(_queue_for_video(services, "delete", video, caller), response)


def _speech_model(services) -> str:  # noqa: ANN001
    """The canonical spec of the server's speech model, or 409 saying why there is none to use."""
    from vidseek.said.speech_spec import check_speech_spec

    spec = services.settings.speech_model
    if not spec:
        raise HTTPException(
            409, "this server has no speech model: set VIDSEEK_SPEECH_MODEL (see the README, Speech transcription)"
        )
    try:  # a python: module is imported in a child process, given VIDSEEK_SPEECH_IMPORT_TIMEOUT seconds
        return check_speech_spec(spec, import_timeout=services.settings.speech_import_timeout).spec
    except ModelError as exc:
        raise HTTPException(409, f"this server's speech model (VIDSEEK_SPEECH_MODEL) cannot be used: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a broken faster-whisper install, say: the reason, not a 500
        from vidseek.models.model_spec import cause_of

        raise HTTPException(
            409, f"this server's speech model (VIDSEEK_SPEECH_MODEL) cannot be used: {cause_of(exc)}"
        ) from None


@router.post(
    "/{video_id}/transcribe",
    status_code=202,
    response_model=JobInfo,
    summary="Transcribe what is said in a video (searchable with modality=speech); queues a job",
    responses={
        **_WRITE_RESPONSES,
        404: {"description": "No indexed video has this id."},
        409: {"description": "The server has no speech model, or cannot use the one set (VIDSEEK_SPEECH_MODEL)."},
    },
)
def transcribe_video(caller: WriteKeyDep, video: VideoDep, services: ServicesDep, response: Response) -> JobInfo:
    spec = _speech_model(services)  # blocking (a few seconds at most): sync routes run in the thread pool
    with services.library.sessions() as session:
        job = transcripts.queue_transcription(video, spec, session=session, source="api", key=caller.key_prefix)
        session.commit()
        return accepted(job_info(job), response)


@router.post(
    "/{video_id}/read-text",
    status_code=202,
    response_model=JobInfo,
    summary="Read the text shown in a video's picture (searchable with modality=shown); queues a job",
    responses={
        **_WRITE_RESPONSES,
        404: {"description": "No indexed video has this id."},
        409: {"description": "The server cannot read text: the ocr extra (vidseek[ocr]) is not installed."},
    },
)
def read_video_text(caller: WriteKeyDep, video: VideoDep, services: ServicesDep, response: Response) -> JobInfo:
    from vidseek.shown.ocr_engine import require_ocr

    try:
        require_ocr()
    except ModelError as exc:
        raise HTTPException(409, f"this server cannot read on-screen text: {exc}") from None
    with services.library.sessions() as session:
        job = reading_jobs.queue_reading(video, session=session, source="api")
        session.commit()
        return accepted(job_info(job), response)
