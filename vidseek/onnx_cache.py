"""Where exported ONNX models live and whether an export is complete (no torch imported here).

An export sits in ``CACHE/onnx/NAME-DIGEST/`` (``export_folder``), keyed by the model's recorded
name and the export format, written by ``vidseek.onnx_export`` and read by ``vidseek.onnx_encoder``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

EXPORT_FORMAT = 2
"""Bumped when the files or ``export.json`` change meaning: older exports are made again."""


def export_folder(cache_dir: Path, spec: str) -> Path:
    """The folder of the export of model spec ``spec`` (a readable slug and a digest of its key),
    found from the spec alone, so a process with an export never needs open_clip to find it."""
    digest = hashlib.sha256(f"{_spec_key(spec)}|{EXPORT_FORMAT}".encode()).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", spec)[-60:].strip("._")
    return Path(cache_dir) / "onnx" / f"{slug}-{digest}"


def _spec_key(spec: str) -> str:
    """The spec, and for a local weights file or folder its size and modification time, so a
    replaced file is exported again (the recorded name, a digest of its bytes, is in export.json)."""
    _, _, weights = spec.partition(":")
    path = Path(weights).expanduser()
    if weights.startswith(("/", ".", "~")) and path.exists():
        stat = path.stat()
        return f"{spec}|{stat.st_size}|{stat.st_mtime_ns}"
    return spec


def read_export(folder: Path) -> dict[str, Any] | None:
    """``export.json`` of a complete export of this format, else None."""
    try:
        meta = json.loads((folder / "export.json").read_text())
    except (OSError, ValueError):
        return None
    if meta.get("format") != EXPORT_FORMAT or not all((folder / f).is_file() for f in meta.get("files", [])):
        return None
    return meta
