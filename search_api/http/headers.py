"""Security headers on every response: no MIME sniffing, no framing, a Content-Security-Policy.

The page (``web/static``) is plain ES modules and CSS from ``/static`` with no inline script or style
and no CDN, so it runs under ``default-src 'self'``: thumbnails and streams come from ``/api`` (same
origin), images may also be ``data:``/``blob:`` URLs. FastAPI's ``/docs`` and ``/redoc`` load Swagger UI
and ReDoc from a CDN with an inline bootstrap script, so they get a policy that allows exactly that.
Every policy forbids framing (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for old browsers).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' data: https://fonts.gstatic.com; "
    "img-src 'self' data: blob: https://fastapi.tiangolo.com https://cdn.redoc.ly; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Content-Security-Policy": PAGE_CSP}
"""What every response carries (the docs pages get ``DOCS_CSP`` instead)."""


def security_headers(path: str) -> dict[str, str]:
    docs = any(path == p or path.startswith(p + "/") for p in DOCS_PATHS)
    return {**SECURITY_HEADERS, "Content-Security-Policy": DOCS_CSP} if docs else dict(SECURITY_HEADERS)


class SecurityHeaders:
    """ASGI middleware: adds ``security_headers(path)`` to every HTTP response (a route's own value wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app) -> None:  # noqa: ANN001
    """Outermost of the app's own middleware, so CORS preflights and early 413s get the headers too
    (answers of Starlette's ServerErrorMiddleware, outside it, add them in ``search_api.http.errors``)."""
    app.add_middleware(SecurityHeaders)
