"""Who may call the API and how often: API keys, the rate limit, and the body-size middleware.

- Every ``/api`` request passes ``api_guard`` (an app-wide dependency): a presented bearer key is
  checked (and its ``last_used_at`` recorded), the request is counted against its key's (or, without
  a valid key, its client address's) token bucket (429 with ``Retry-After`` when empty), and reads need
  a key when ``require_key_for_reads`` is set. Limits on what a request asks for (query length, page
  size, result window) are the request schemas' own (``search_api.http.schemas``), not checked here.
- Routes that change the library add ``WriteKeyDep``: they always need a valid key (401 with
  ``WWW-Authenticate: Bearer``), and a server reachable from other machines with no key at all
  refuses them outright (403) with a message saying how to create one.

While reads are open, a wrong or revoked key on a read is ignored (the request is served as an
anonymous one) so a stale key saved in a browser cannot break searching; on a write it is a 401.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer

from search_api.http.body_limit import BodyLimit, body_limit
from search_api.http.schemas import MAX_IMAGE_BYTES
from vidseek.storage import keys
from vidseek.storage.tables import ApiKey

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
BEARER = 'Bearer realm="vidseek"'
CREATE_HINT = "create one on the server with `vidseek keys create NAME`"


def is_loopback(host: str | None) -> bool:
    """True when ``host`` (a bind address) is reachable only from this machine. None: not served by
    `vidseek serve` (tests, an app mounted elsewhere): treated as local."""
    if host is None:
        return True
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def writes_locked(host: str | None, *, any_key: bool) -> bool:
    """The off-loopback rule: a server bound to ``host`` that other machines can reach refuses every
    write while no API key exists. The API answers such writes 403 (``write_refusal``); ``vidseek
    serve`` warns at start."""
    return not any_key and not is_loopback(host)


class RateLimiter:
    """Token buckets in memory: ``per_minute`` requests a minute per identity, bursts up to that many."""

    MAX_BUCKETS = 10_000

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:  # noqa: ANN001
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, identity: str) -> float:
        """Spend one token of ``identity``'s bucket: 0.0 when allowed, else seconds until one is back."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.get(identity, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            if tokens >= 1.0:
                self._buckets[identity] = (tokens - 1.0, now)
                if len(self._buckets) > self.MAX_BUCKETS:
                    self._forget_full(now)
                return 0.0
            self._buckets[identity] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold no state a fresh bucket would not."""
        full = [k for k, (tokens, then) in self._buckets.items() if tokens + (now - then) * self.rate >= self.capacity]
        for k in full:
            del self._buckets[k]


@dataclass
class Caller:
    """Who is calling: the valid key they sent (or None), and whether they sent one at all."""

    key_id: int | None
    key_prefix: str | None
    presented: bool


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def _check_key(services, raw: str) -> ApiKey | None:  # noqa: ANN001
    with services.library.sessions() as session:
        row = keys.verify_key(raw, session=session)
        if row is None:
            return None
        if keys.touch(row, session=session):
            session.commit()
        session.expunge(row)
        return row


def _has_keys(services) -> bool:  # noqa: ANN001
    with services.library.sessions() as session:
        return keys.active_key_count(session=session) > 0


def _unauthorized(detail: str, *, invalid: bool = False) -> HTTPException:
    challenge = BEARER + (', error="invalid_token"' if invalid else "")
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


async def api_guard(request: Request) -> None:
    """The app-wide check on every ``/api`` request (see the module docstring)."""
    if not request.url.path.startswith("/api"):
        return
    services = getattr(request.app.state, "services", None)
    if services is None:
        return  # the route answers 503
    settings = services.settings
    token = _bearer(request)
    row = await run_in_threadpool(_check_key, services, token) if token else None
    request.state.caller = Caller(row.id if row else None, row.prefix if row else None, token is not None)

    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        client = request.client.host if request.client else "unknown"
        wait = limiter.take(f"key:{row.id}" if row else f"ip:{client}")
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise HTTPException(
                429,
                f"too many requests: at most {settings.rate_limit_per_minute} a minute "
                f"{'for this key' if row else 'from this address'}; retry in {retry} s",
                headers={"Retry-After": str(retry)},
            )

    if settings.require_key_for_reads and row is None:
        if token:
            raise _unauthorized("the API key is not valid (unknown or revoked)", invalid=True)
        raise _unauthorized(
            f"this server needs an API key for every request: send `Authorization: Bearer KEY`; {CREATE_HINT}"
        )


async def write_refusal(request: Request) -> HTTPException | None:
    """Why a write from this caller would be refused (401/403/503), or None when it would be allowed."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        return HTTPException(503, "the model and index are not loaded yet")
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is not None and caller.key_id is not None:
        return None
    any_key = await run_in_threadpool(_has_keys, services)
    host = getattr(request.app.state, "serve_host", None)
    if writes_locked(host, any_key=any_key):
        return HTTPException(
            403,
            f"uploads, deletes and re-indexing are turned off: this server listens on "
            f"{host}, which other machines can reach, and no API key exists yet; "
            f"{CREATE_HINT}, then send it as `Authorization: Bearer KEY`",
        )
    if caller is not None and caller.presented:
        return _unauthorized("the API key is not valid (unknown or revoked)", invalid=True)
    if not any_key:
        return _unauthorized(
            f"this needs an API key and none exists yet: {CREATE_HINT}, then send it as `Authorization: Bearer KEY`"
        )
    return _unauthorized(
        "this needs an API key: send `Authorization: Bearer KEY` (keys are made on the server "
        "with `vidseek keys create NAME`)"
    )


_BEARER_SCHEME = HTTPBearer(
    auto_error=False,
    scheme_name="APIKey",  # a component name: letters, digits, . _ - only (OpenAPI 3.1)
    description="`vidseek keys create NAME` makes one; send `Authorization: Bearer KEY`.",
)


async def require_write_key(request: Request, _scheme: Annotated[object, Depends(_BEARER_SCHEME)] = None) -> Caller:
    """Routes that change the library: a valid key, always (see the module docstring). (``_scheme`` only
    puts the bearer scheme in the OpenAPI document, so /docs can send a key; the key was checked by
    ``api_guard``.)"""
    refusal = await write_refusal(request)
    if refusal is not None:
        raise refusal
    return request.state.caller


WriteKeyDep = Annotated[Caller, Depends(require_write_key)]


def install_security(app, settings, *, serve_host: str | None) -> None:  # noqa: ANN001
    """The app-wide parts: where it is served (for the no-key rule), body sizes, the rate limiter, CORS.

    CORS is closed unless ``cors_origins`` names origins: then FastAPI's CORSMiddleware answers
    preflights and adds the headers for those origins only (``*`` for any).
    """
    app.state.serve_host = serve_host
    app.add_middleware(
        BodyLimit, limit_of=partial(body_limit, max_body_bytes=settings.max_body_bytes, max_image_bytes=MAX_IMAGE_BYTES)
    )
    per_minute = getattr(settings, "rate_limit_per_minute", 0)
    app.state.rate_limiter = RateLimiter(per_minute) if per_minute > 0 else None
    origins = list(getattr(settings, "cors_origins", []) or [])
    if origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=False,
            allow_methods=["GET", "HEAD", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Range"],
            expose_headers=["Location", "Retry-After", "Content-Range", "Content-Disposition"],
            max_age=600,
        )
