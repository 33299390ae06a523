"""``vidseek read-text``: which videos it queues (files, ids, --all, --force), what it says, one clean
line for bad input, and one sentence without the ocr extra."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from media import Segment, make_video

from cli.main import main
from vidseek.config import Settings
from vidseek.shown import reading_jobs
from vidseek.storage import cue_store, jobs, store
from vidseek.storage.library import Library


@pytest.fixture
def indexed(tmp_path: Path, cli_env) -> dict[str, Path]:  # noqa: ANN001
    root = tmp_path / "videos"
    paths = {
        "a": make_video(root / "a.mp4", [Segment("red", 3)]),
        "b": make_video(root / "b.mp4", [Segment("blue", 3)]),
    }
    result = CliRunner().invoke(main, ["index", str(root)])
    assert result.exit_code == 0, result.output
    return paths


def _run(*args: str):  # noqa: ANN202
    result = CliRunner().invoke(main, ["read-text", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def _queued(output: str) -> list[str]:
    return [
        Path(line.split(": ", 1)[1]).name
        for line in output.splitlines()
        if re.match(r"queued read-text job \d+:", line)
    ]


def test_it_queues_videos_without_shown_text_and_skips_those_read(indexed, data_dir) -> None:  # noqa: ANN001
    result = _run(str(indexed["a"]))
    assert result.exit_code == 0 and _queued(result.output) == ["a.mp4"], result.output
    result = _run("--all")
    assert _queued(result.output) == ["b.mp4"] and "1 video(s) already queued or being read" in result.output

    library = Library(Settings(data_dir=data_dir), notify=lambda m: None)
    with library.sessions() as session:
        queued = [j for j in jobs.list_jobs(session=session) if j.kind == reading_jobs.KIND]
        assert sorted(j.path for j in queued) == sorted(str(p) for p in indexed.values())
        for job in queued:
            job.status = "done"
        a = store.video_by_path(str(indexed["a"]), session=session)
        cue_store.write_cues(
            a.id, [cue_store.CueRow(0.0, 1.0, "EXIT 25", "shown:PP-OCRv4")], replacing="shown", session=session
        )
        session.commit()
    result = _run("--all")  # a has shown lines, b was read and showed none
    assert _queued(result.output) == [] and "skipped 2 video(s) whose text was read already" in result.output
    assert _queued(_run("--force", str(indexed["a"])).output) == ["a.mp4"]


def test_bad_input_is_one_line(indexed, monkeypatch) -> None:  # noqa: ANN001
    result = _run()
    assert result.exit_code == 2 and "name the videos to read" in result.output
    result = _run("/nowhere/x.mp4")
    assert result.exit_code == 1 and "error: /nowhere/x.mp4: no indexed video has this id or path" in result.output
    monkeypatch.setattr(
        "importlib.util.find_spec", lambda name, *a: None if name == "rapidocr_onnxruntime" else object()
    )
    result = _run("--all")
    assert result.exit_code == 2 and "needs the ocr extra: pip install 'vidseek[ocr]'" in result.output
