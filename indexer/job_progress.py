"""What a running job reports: its progress (written to its row now and then), its outcome, and its error
in one line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

ERROR_CHARS = 200
"""The longest error a transcribe job records (one line)."""


def one_line(text: str, limit: int = ERROR_CHARS) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class JobProgress:
    """The ``indexer.progress.Progress`` interface, reporting the fraction done to a callback."""

    def __init__(self, report: Callable[[float], None]) -> None:
        self._report = report
        self._total = 0.0
        self._done = 0.0

    def start(self, total_seconds: float, n_files: int) -> None:
        self._total = max(total_seconds, 1e-9)

    def frame(self, name: str, t: float, duration: float) -> None:
        self._report(min(0.99, (self._done + t) / self._total))

    def file_done(self, duration: float, failed: bool = False) -> None:
        self._done += duration
        self._report(min(0.99, self._done / self._total))

    def close(self) -> None:
        pass


@dataclass
class Outcome:
    error: str | None = None
    permanent: bool = False
    video_id: int | None = None
    """The video a done index job's file became, recorded on the job."""
