"""Where exported ONNX models live and whether an export is complete (no torch imported here).

An export sits in ``CACHE/onnx/NAME-DIGEST/`` (``export_folder``), keyed by the model's recorded
name and the export format, written by ``vidseek.models.onnx_export`` and read by ``vidseek.models.onnx_encoder``.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
import shutil
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


def export_lock(folder: Path) -> Path:
    """The lock file every export into ``folder`` is made under (beside it)."""
    return folder.parent / f".{folder.name}.lock"


def staging_prefix(folder: Path) -> str:
    """The start of the names of the staging folders an export into ``folder`` writes in, beside it."""
    return f".{folder.name}."


def remove_left_over_staging(folder: Path) -> list[Path]:
    """Remove the staging folders of exports into ``folder`` that were killed before their rename (a full
    copy of the towers each), and return them; only while nobody holds the export's lock (when it is held,
    nothing is done: the next process tidies). Never raises: a cache this user cannot write stays as it is."""
    from vidseek.storage.filelock import try_locked

    try:
        if not _staging_folders(folder):
            return []
        with try_locked(export_lock(folder)) as held:
            return remove_staging_folders(folder) if held else []
    except OSError:
        return []


def remove_staging_folders(folder: Path) -> list[Path]:
    """Remove the staging folders of exports into ``folder``. The caller holds ``export_lock(folder)``:
    every export stages under it, so none of them is being written; each was left by a dead process."""
    left = _staging_folders(folder)
    for path in left:
        shutil.rmtree(path, ignore_errors=True)
    return [p for p in left if not p.exists()]


def _staging_folders(folder: Path) -> list[Path]:
    found = folder.parent.glob(f"{glob.escape(staging_prefix(folder))}*")
    return [p for p in found if p.is_dir() and not p.is_symlink()]  # not the lock file beside them


def read_export(folder: Path) -> dict[str, Any] | None:
    """``export.json`` of a complete, undamaged export of this format, else None (``check_export`` says why)."""
    return check_export(folder)[0]


def check_export(folder: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``(export.json's contents, None)`` for an export that can be used; ``(None, None)`` when there is
    none; ``(None, why)`` for a damaged one: ``export.json`` unreadable or missing a field the runtime
    needs, or a file missing, of another size, or (when it changed since the export) of other contents
    than the size and SHA-256 recorded with it (``stamps``). Exporting again in place repairs it."""
    path = folder / "export.json"
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        return None, None if not folder.exists() or not any(folder.iterdir()) else "export.json is missing"
    except (OSError, ValueError) as exc:
        return None, f"export.json cannot be read ({type(exc).__name__})"
    if not isinstance(meta, dict):
        return None, "export.json is not an object"
    if meta.get("format") != EXPORT_FORMAT:
        return None, f"it is of another export format ({meta.get('format')!r}, this version reads {EXPORT_FORMAT})"
    problem = _meta_problem(meta) or _files_problem(folder, meta["files"], meta["checksums"])
    return (None, problem) if problem else (meta, None)


_PROBES = ("torch_fp32", "onnx_fp32", "onnx_int8")


def _meta_problem(meta: dict[str, Any]) -> str | None:
    """What export.json lacks that loading or choosing a runtime reads, or None."""
    fields = {"name": str, "spec": str, "dim": int, "input_size": list, "tokenizer": dict, "files": list}
    if "checksums" not in meta:
        return "it was made by an earlier vidseek, without the checksums of its files"
    for name, kind in {**fields, "probe": dict, "checksums": dict}.items():
        if not isinstance(meta.get(name), kind):
            return f"export.json has no valid {name!r}"
    if len(meta["input_size"]) != 2 or not all(isinstance(n, int) and n > 0 for n in meta["input_size"]):
        return "export.json has no valid 'input_size'"
    if meta["tokenizer"].get("kind") not in ("clip_bpe", "hf_tokenizers", "open_clip"):
        return "export.json has no valid 'tokenizer'"
    for name in _PROBES:
        entry = meta["probe"].get(name)
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), (int, float)) for k in ("cosine", "seconds")
        ):
            return f"export.json's probe has no valid {name!r}"
    if not all(isinstance(f, str) and "/" not in f and f in meta["checksums"] for f in meta["files"]):
        return "export.json's files and checksums do not match"
    return None


def _files_problem(folder: Path, files: list[str], stamps: dict[str, Any]) -> str | None:
    for name in files:
        stamp = stamps[name]
        try:
            stat = (folder / name).stat()
        except OSError:
            return f"{name} is missing"
        if not isinstance(stamp, dict) or stat.st_size != stamp.get("size"):
            return f"{name} has {stat.st_size} bytes, the export wrote {stamp.get('size')}"
        if stat.st_mtime_ns != stamp.get("mtime_ns") and sha256_of(folder / name) != stamp.get("sha256"):
            return f"{name} has other contents than the export wrote (SHA-256 differs)"
    return None


def stamps(folder: Path, files: list[str]) -> dict[str, dict[str, Any]]:
    """Size, SHA-256 and modification time of each of ``files`` in ``folder``, for export.json: a file whose
    time is unchanged is checked by its size alone; one touched since is read through and hashed."""
    out = {}
    for name in files:
        stat = (folder / name).stat()
        out[name] = {"size": stat.st_size, "sha256": sha256_of(folder / name), "mtime_ns": stat.st_mtime_ns}
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
