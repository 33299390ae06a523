"""The one FastAPI process of ``vidseek serve``: JSON API under /api, docs at /docs, the page at /."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from search_api.http.error_model import install_error_model
from search_api.http.errors import install_error_handlers
from search_api.http.file_parts import install_binary_parts
from search_api.http.headers import install_security_headers
from search_api.http.routes import ROUTERS
from search_api.http.security import api_guard, install_security
from search_api.http.services import load_services
from vidseek.config import Settings
from vidseek.errors import VidseekError
from vidseek.models.encoders import Encoder

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[2] / "web" / "static"


def operation_id(route: APIRoute) -> str:
    """An operation's id in the OpenAPI document: its route function's name (``search_text``), which a
    generated client names its call after (FastAPI's default adds the path and method)."""
    return route.name


def create_app(
    settings: Settings,
    *,
    encoder: Encoder | None = None,
    static_dir: Path | None = None,
    query_cache_size: int | None = None,
    serve_host: str | None = None,
) -> FastAPI:
    """The app. The model and index load in its lifespan, once, before the first request.

    ``encoder`` replaces the one VIDSEEK_MODEL names (tests). ``query_cache_size`` is how many text
    queries keep their embedding (0: none); by default ``settings.query_cache_size``. ``serve_host``
    is the address `vidseek serve` binds: off loopback, writes need a key to exist (see ``search_api.http.security``).
    """
    cache_size = query_cache_size if query_cache_size is not None else settings.query_cache_size

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Blocking on purpose: nothing is served until the model and index are loaded.
        try:
            app.state.services = load_services(settings, encoder, query_cache_size=cache_size)
        except VidseekError as exc:
            log.error("vidseek cannot start: %s", exc)
            raise
        from indexer.worker_threads import start_worker_threads

        services = app.state.services
        app.state.workers = (
            start_worker_threads(settings, services.library, services.engine.encoders)
            if settings.serve_workers
            else None
        )
        gc.freeze()  # what was loaded lives as long as the app: full collections need not walk it again
        yield
        gc.unfreeze()
        if app.state.workers is not None:
            app.state.workers.stop()
        app.state.services = None

    app = FastAPI(
        title="vidseek",
        summary="Find the moments in your own videos, by what happens in them.",
        lifespan=lifespan,
        dependencies=[Depends(api_guard)],
        generate_unique_id_function=operation_id,
    )
    app.state.services = None
    app.state.static_dir = static_dir or STATIC_DIR
    install_error_handlers(app)
    install_security(app, settings, serve_host=serve_host)
    install_security_headers(app)  # after install_security: outside CORS and the body limit
    for router in ROUTERS:
        app.include_router(router)
    install_error_model(app)
    install_binary_parts(app)
    if app.state.static_dir.is_dir():
        app.mount("/static", StaticFiles(directory=app.state.static_dir), name="static")
    return app
