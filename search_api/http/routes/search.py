"""Search routes: by phrase, by phrases with negatives, by example image, by a moment's clip."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool

from search_api.http.deps import MomentFiltersDep, PhraseSearchDep, ServicesDep, SimilarSearchDep, TextSearchDep
from search_api.http.response_models import SearchResponse
from search_api.http.schemas import MAX_IMAGE_BYTES
from search_api.search.moments import answer
from search_api.search.query_vectors import QueryProblem, clip_vector, image_vector, phrases_vector

router = APIRouter(prefix="/api/search", tags=["search"])
ANSWER = {"response_model": SearchResponse, "response_model_exclude_unset": True}
"""Every search answers a SearchResponse without the fields its search did not set (``matched``, ``quote``,
``fused`` and ``modality`` are set only when speech was searched: see ``search_api.search.results``)."""

# Encoding a query (torch), the FAISS search and the SQL reads all block: every search runs in a
# worker thread so the event loop keeps serving other requests (video streams, thumbnails) meanwhile.


@router.get("", **ANSWER, summary="Moments that match a phrase")
async def search_text(params: TextSearchDep, services: ServicesDep) -> SearchResponse:
    make_query = partial(services.queries.vector, params.q)
    return await run_in_threadpool(answer, services.engine, params.q, make_query, params)


@router.post("", **ANSWER, summary="Moments that match phrases and avoid others")
async def search_phrases(body: PhraseSearchDep, services: ServicesDep) -> SearchResponse:
    make_query = partial(phrases_vector, services.queries, body.phrases, body.negative, body.negative_weight)
    try:
        return await run_in_threadpool(answer, services.engine, body.label, make_query, body)
    except QueryProblem as exc:
        raise HTTPException(422, f"negative: {exc}") from None


@router.post("/image", **ANSWER, summary="Moments that look like an uploaded image")
async def search_image(
    params: MomentFiltersDep,
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="A JPEG, PNG or WebP image.")],
) -> SearchResponse:
    data = await file.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise HTTPException(413, f"file: larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB")

    def make_query():  # noqa: ANN202 - the engine's current encoder: a retry after a model switch uses the new one
        return image_vector(services.engine.encoder, data)

    try:
        return await run_in_threadpool(
            answer, services.engine, f"image:{file.filename or 'upload'}", make_query, params
        )
    except QueryProblem as exc:
        raise HTTPException(422, f"file: {exc}") from None


@router.get("/similar", **ANSWER, summary="More moments like the one a clip_id names")
async def search_similar(params: SimilarSearchDep, services: ServicesDep) -> SearchResponse:
    vector = await run_in_threadpool(clip_vector, services.library, params.clip_id)
    if vector is None:
        raise HTTPException(404, f"clip_id: no clip has id {params.clip_id}")
    return await run_in_threadpool(answer, services.engine, f"similar:{params.clip_id}", vector, params)
