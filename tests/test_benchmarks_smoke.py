"""A short smoke run of the benchmark harness: it runs and reports sane fields (no timing asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import search  # noqa: E402


def test_search_benchmark_reports_recall_and_latency_fields() -> None:
    rows = search.measure(3000, n_queries=20, requested="ivf")
    assert [r["index"].split()[0] for r in rows] == ["flat", "ivf"]
    exact, ivf = rows
    assert exact["recall_at_10"] == 1.0 and ivf["recall_at_10"] >= 0.9
    assert all(r["p50_ms"] > 0 and r["bytes_per_clip"] > 2000 and r["build_s"] >= 0 for r in rows)
