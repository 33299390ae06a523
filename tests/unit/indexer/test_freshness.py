"""When an indexed row is current (the file is skipped): one rule for every caller."""

from __future__ import annotations

import os
from pathlib import Path

from indexer.freshness import file_unchanged, is_current, settings_match
from vidseek.config import Settings
from vidseek.storage.tables import Video

MODEL = "test:colour-v1"


def _settings(tmp_path: Path, **kw) -> Settings:  # noqa: ANN003
    return Settings(
        data_dir=tmp_path,
        model="python:colour_encoder:ColourEncoder",
        sample_fps=1.0,
        clip_seconds=4.0,
        clip_stride=2.0,
        **kw,
    )


def _row(st: os.stat_result, **kw) -> Video:  # noqa: ANN003
    fields = {
        "model_name": MODEL,
        "sample_fps": 1.0,
        "clip_seconds": 4.0,
        "clip_stride": 2.0,
        "status": "indexed",
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
    }
    return Video(**{**fields, **kw})


def _stat(tmp_path: Path) -> os.stat_result:
    path = tmp_path / "a.mp4"
    path.write_bytes(b"x" * 10)
    return path.stat()


def test_a_row_indexed_as_this_run_would_for_the_same_file_is_current(tmp_path: Path) -> None:
    st = _stat(tmp_path)
    assert is_current(_row(st), st, _settings(tmp_path), MODEL, sidecars="")
    assert is_current(_row(st), st, _settings(tmp_path), None, sidecars="")  # no model recorded yet: any


def test_no_row_is_not_current(tmp_path: Path) -> None:
    assert not is_current(None, _stat(tmp_path), _settings(tmp_path), MODEL, sidecars="")


def test_a_keyframes_only_row_is_refined_by_a_full_run(tmp_path: Path) -> None:
    """The rule the runner had (and ``indexer.watch`` did not): a keyframes-only row is current
    only for a keyframes-only run, so a full run, or a watch under full settings, indexes it again."""
    st = _stat(tmp_path)
    row = _row(st, status="keyframes")
    assert not settings_match(row, _settings(tmp_path), MODEL)
    assert not is_current(row, st, _settings(tmp_path), MODEL, sidecars="")
    assert is_current(row, st, _settings(tmp_path, keyframes_only=True), MODEL, sidecars="")
    # a full row serves it too
    assert is_current(_row(st), st, _settings(tmp_path, keyframes_only=True), MODEL, sidecars="")


def test_other_model_or_sampling_is_not_current(tmp_path: Path) -> None:
    st = _stat(tmp_path)
    settings = _settings(tmp_path)
    assert not is_current(_row(st, model_name="other"), st, settings, MODEL, sidecars="")
    assert not is_current(_row(st, sample_fps=2.0), st, settings, MODEL, sidecars="")
    assert not is_current(_row(st, clip_seconds=8.0), st, settings, MODEL, sidecars="")
    assert not is_current(_row(st, clip_stride=4.0), st, settings, MODEL, sidecars="")


def test_a_file_of_another_size_or_mtime_has_changed(tmp_path: Path) -> None:
    st = _stat(tmp_path)
    assert file_unchanged(_row(st), st)
    assert not file_unchanged(_row(st, size=st.st_size + 1), st)
    assert not file_unchanged(_row(st, mtime_ns=st.st_mtime_ns - 1), st)
    assert not is_current(_row(st, mtime_ns=st.st_mtime_ns - 1), st, _settings(tmp_path), MODEL, sidecars="")


def test_a_changed_added_or_removed_sidecar_makes_the_row_stale(tmp_path: Path) -> None:
    st = _stat(tmp_path)
    row = _row(st, sidecars="a.en.srt:10:5")
    assert is_current(row, st, _settings(tmp_path), MODEL, sidecars="a.en.srt:10:5")
    assert not is_current(row, st, _settings(tmp_path), MODEL, sidecars="a.en.srt:11:5")  # edited
    assert not is_current(row, st, _settings(tmp_path), MODEL, sidecars="")  # removed
    assert not is_current(_row(st), st, _settings(tmp_path), MODEL, sidecars="a.srt:3:1")  # added
