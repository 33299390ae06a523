"""Workers run beside the server (threads of ``vidseek serve``) or as a process of their own
(``vidseek worker``)."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Callable

from indexer.worker import Worker, log
from vidseek.config import Settings
from vidseek.models.encoder_follower import EncoderFollower
from vidseek.storage.library import Library


class WorkerThreads:
    """Workers running on threads of this process (``vidseek serve``), sharing its library and model."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers
        self.threads = [
            threading.Thread(target=w.run, name=f"vidseek-worker-{i}", daemon=True) for i, w in enumerate(workers)
        ]

    def start(self) -> "WorkerThreads":
        for t in self.threads:
            t.start()
        return self

    def stop(self, grace: float = 10.0) -> None:
        """Ask every worker to stop; jobs still running after ``grace`` seconds go back to the queue."""
        for w in self.workers:
            w.stop()
        deadline = time.monotonic() + grace
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        for w, t in zip(self.workers, self.threads):
            if t.is_alive() and w.release_current():
                log.warning("worker %s: released job at shutdown", w.worker_id)


def start_worker_threads(
    settings: Settings, library: Library, encoders: EncoderFollower, count: int | None = None
) -> WorkerThreads:
    count = settings.serve_workers if count is None else count
    return WorkerThreads([Worker(settings, library=library, encoders=encoders) for _ in range(count)]).start()


def run_worker_process(
    settings: Settings,
    *,
    library: Library | None = None,
    lease_seconds: float | None = None,
    poll_seconds: float | None = None,
    until_idle: bool = False,
    grace: float = 30.0,
    echo: Callable[[str], None] = lambda m: None,
) -> int:
    """``vidseek worker``: run until SIGTERM/SIGINT. The first signal stops taking jobs and lets the
    current one finish (for up to ``grace`` seconds, then it is released to the queue); a second
    releases it at once. Returns the number of jobs run."""
    worker = Worker(settings, library=library, lease_seconds=lease_seconds, poll_seconds=poll_seconds)

    def leave_now() -> None:
        # Leaving mid-job is as safe as a crash (each video is one transaction; the FAISS file is a
        # checkpoint repaired on open); releasing just lets another worker start at once.
        try:
            if worker.release_current():
                echo(f"worker {worker.worker_id}: released job back to the queue")
        finally:
            os._exit(0)

    def on_signal(signum, _frame) -> None:  # noqa: ANN001
        if worker.stop_event.is_set():
            leave_now()
        worker.stop()
        echo(f"worker {worker.worker_id}: stopping after the current job (signal {signum})")
        timer = threading.Timer(grace, leave_now)
        timer.daemon = True
        timer.start()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    echo(f"worker {worker.worker_id} waiting for jobs (lease {worker.lease_seconds:g} s)")
    try:
        return worker.run(until_idle=until_idle)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
