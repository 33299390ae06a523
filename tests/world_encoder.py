"""``python:`` encoders for the synthetic moment world (``benchmarks/moment_world.py``).

A library loaded with ``benchmarks.moment_world.load_into`` records the world encoder's name, so the
CLI or the API can search it with ``VIDSEEK_MODEL=python:world_encoder:WorldEncoder`` (the
benchmark's default world) or ``python:world_encoder:TinyWorldEncoder`` (``WorldParams.tiny()``),
with ``tests/`` on ``PYTHONPATH``. Texts are the world's query texts (``world.queries[i].text``).
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from benchmarks import moment_world  # noqa: E402


class WorldEncoder(moment_world.WorldEncoder):
    """The encoder of the default world (``WorldParams()``)."""

    def __init__(self) -> None:
        super().__init__(moment_world.WorldParams())


class TinyWorldEncoder(moment_world.WorldEncoder):
    """The encoder of the smoke-test world (``WorldParams.tiny()``)."""

    def __init__(self) -> None:
        super().__init__(moment_world.WorldParams.tiny())
