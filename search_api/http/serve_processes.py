"""How `vidseek serve` runs: one process, or several on one port (``VIDSEEK_SERVE_PROCESSES``).

A request's search is mostly Python (grounding, paging), so one process answers requests one core at
a time whatever its threads: several processes answer them on as many cores. Each process is a
replica as `vidseek serve` processes behind a load balancer are (README, "Several replicas"): its own
model, index and worker threads on the shared database and data directory. uvicorn starts them from
an import string, so the settings the command resolved travel to them in one environment variable
(``CHILD_SETTINGS``) and each builds the app from those (``app_of_a_process``)."""

from __future__ import annotations

import json
import os

from fastapi import FastAPI

from vidseek.config import Settings

CHILD_SETTINGS = "VIDSEEK_SERVE_PROCESS_SETTINGS"
"""The settings `vidseek serve` resolved (options over environment) and the address it binds, as JSON,
for its processes."""


def one_thread_per_request() -> None:
    """A query's products are small: a second BLAS, FAISS or text-tower thread per request costs more than
    it saves (each request runs on its own thread, and one encodes while another searches)."""
    from vidseek.models import onnx_encoder
    from vidseek.vectors import vector_index
    from vidseek.vectors.blas_threads import limit_numpy_blas

    limit_numpy_blas(1)
    vector_index.SEARCH_THREADS = 1
    onnx_encoder.TEXT_THREADS = 1


def for_processes(settings: Settings, serve_host: str) -> str:
    """What ``app_of_a_process`` builds its app from: the settings' values given (options, environment)
    and the address served, as JSON."""
    return json.dumps({"settings": settings.model_dump(mode="json", exclude_unset=True), "host": serve_host})


def app_of_a_process() -> FastAPI:
    """The app of one of several serving processes, from what the command passed down (``for_processes``)."""
    from search_api.http.app import create_app

    one_thread_per_request()
    given = json.loads(os.environ[CHILD_SETTINGS])
    return create_app(Settings(**given["settings"]), serve_host=given["host"])
