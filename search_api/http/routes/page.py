"""The search page: ``web/static/index.html`` at ``/`` (the rest of ``web/static`` is mounted at /static)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from search_api.http.ranged_file import RangedFileResponse

router = APIRouter(include_in_schema=False)


@router.get("/")
async def search_page(request: Request) -> FileResponse:
    index = request.app.state.static_dir / "index.html"
    if not index.is_file():
        raise HTTPException(404, f"the search page is not installed ({index} is missing); the API is under /api")
    return RangedFileResponse(index, media_type="text/html")  # a Range in another unit is ignored, not 400
