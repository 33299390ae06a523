"""Indexing as background work: `vidseek index` and `vidseek worker` lower their own CPU priority
(``VIDSEEK_INDEX_NICE``) before they start any thread, so a `vidseek serve` on the same cores keeps
its latency while they run (benchmarks/ingest_load.py: on two cores an indexer at normal priority
took half the CPU from every search). With nothing else running, indexing is as fast as before:
niceness only matters when processes compete for a core."""

from __future__ import annotations

import os


def increment(current: int, wanted: int) -> int:
    """How much to add to niceness ``current`` to reach ``wanted`` (never negative: a process may
    lower its priority, not raise it back)."""
    return max(0, wanted - current)


def lower_priority(wanted: int) -> int:
    """Run this process (and the threads it starts from now on) at niceness ``wanted`` or lower
    priority; returns the niceness it runs at. Where niceness cannot be changed, nothing happens."""
    if not hasattr(os, "nice"):
        return 0
    current = os.nice(0)
    step = increment(current, wanted)
    return os.nice(step) if step else current
