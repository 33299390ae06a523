"""The most bytes a request body may carry, by route, checked as the body arrives (413 over it).

A declared ``Content-Length`` over the limit is refused before anything is read; a body without one
(chunked) is counted as it streams and refused at the first byte past the limit, so no request makes
the server hold more than its limit in memory. Uploads (``POST /api/videos``) stream to disk under
their own limit (``search_api.http.uploads``) and are not counted here.
"""

from __future__ import annotations

from typing import Callable

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search_api.http.error_model import http_error_response

IMAGE_SEARCH_PATH = "/api/search/image"
UPLOAD_PATH = "/api/videos"
MULTIPART_OVERHEAD = 64 * 1024
"""Room for a multipart envelope (boundaries, part headers) around an image's bytes."""


def body_limit(method: str, path: str, *, max_body_bytes: int, max_image_bytes: int) -> int | None:
    """The most body bytes ``method path`` may send; None: not limited here (uploads)."""
    route = path.rstrip("/") or "/"
    if method == "POST" and route == UPLOAD_PATH:
        return None
    if route == IMAGE_SEARCH_PATH:
        return max_image_bytes + MULTIPART_OVERHEAD
    return max_body_bytes


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"request body: larger than {limit:,} bytes")


class BodyLimit:
    """ASGI middleware applying ``limit_of(method, path)`` to every HTTP request body."""

    def __init__(self, app: ASGIApp, limit_of: Callable[[str, str], int | None]) -> None:
        self.app = app
        self.limit_of = limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["method"], scope["path"])
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await http_error_response(too_large(limit))(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)  # FastAPI re-raises it from body parsing; answered 413
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await http_error_response(exc)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
