"""How many searches one process runs at once (``VIDSEEK_SERVE_SEARCHES``); the rest wait their turn.

A search is CPU work, mostly Python under one interpreter lock, with small numpy, FAISS and ONNX
Runtime calls between: searches running together in one process slow each other more than they
overlap (8 clients at once got 8 requests a second where one client alone got 11, at 5,000 clips on
two cores; BENCHMARKS.md). Run one at a time and they go at the speed of one; use more processes
(``vidseek serve --processes``) for more cores. A thread already inside a search may search again
(an export that pages) without waiting for itself."""

from __future__ import annotations

import threading
from types import TracebackType


class SearchGate:
    """At most ``limit`` threads inside at once (re-entrant per thread)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"searches at once must be at least 1, not {limit}")
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)
        self._depth = threading.local()

    def __enter__(self) -> SearchGate:
        depth = getattr(self._depth, "n", 0)
        if depth == 0:
            self._slots.acquire()
        self._depth.n = depth + 1
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._depth.n -= 1
        if self._depth.n == 0:
            self._slots.release()
