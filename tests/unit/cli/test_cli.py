"""The ``vidseek`` command line: exit codes, one clear line per bad file, result JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from media import Segment, make_video

from cli.main import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "videos"
    make_video(root / "red twice.mp4", [Segment("blue", 2), Segment("red", 4), Segment("blue", 6), Segment("red", 4)])
    make_video(root / "nested" / "green.mp4", [Segment("yellow", 4), Segment("green", 4)])
    return root


def test_index_mixed_folder_exits_1_with_a_line_per_bad_file(folder: Path, cli_env, tmp_path: Path) -> None:
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    (folder / "empty.mkv").write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "index", str(folder)],
        env={**_base_env(), **cli_env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert any("broken.mp4" in e and "not a readable video" in e for e in errors)
    assert any("empty.mkv" in e and "empty file" in e for e in errors)
    assert "Traceback" not in proc.stderr
    assert "2 indexed" in proc.stdout and "2 failed" in proc.stdout


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("VIDSEEK_")}


def test_index_then_search_json_gives_distinct_moments(runner: CliRunner, folder: Path, cli_env) -> None:
    result = runner.invoke(main, ["index", str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["search", "red", "--json", "--limit", "5"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["query"] == "red" and isinstance(data["took_ms"], float)
    results = data["results"]
    assert [r["rank"] for r in results] == list(range(1, len(results) + 1))
    top = results[:2]
    assert {r["video"]["title"] for r in top} == {"red twice"}
    assert sorted((r["start"], r["end"]) for r in top) == [(2.0, 6.0), (12.0, 16.0)]
    for r in results:
        assert set(r) >= {"rank", "score", "video", "start", "end", "peak", "thumbnail_url", "video_url"}
        assert set(r["video"]) >= {"id", "path", "title", "duration"}
        assert r["start"] <= r["peak"] <= r["end"]
        assert r["video_url"].endswith(f"#t={r['start']},{r['end']}")
    for i, a in enumerate(results):
        for b in results[i + 1 :]:
            assert a["video"]["id"] != b["video"]["id"] or a["end"] <= b["start"] or b["end"] <= a["start"]


def test_search_table_ls_info_rm_sync_rebuild(runner: CliRunner, folder: Path, cli_env) -> None:
    assert runner.invoke(main, ["index", str(folder)]).exit_code == 0
    table = runner.invoke(main, ["search", "green"])
    assert table.exit_code == 0 and "green" in table.output.splitlines()[1] and "0:04.0-0:08.0" in table.output
    listing = json.loads(runner.invoke(main, ["ls", "--json"]).stdout)
    assert sorted(v["title"] for v in listing) == ["green", "red twice"]
    assert all(v["clips"] > 0 and v["codec"] == "h264" for v in listing)
    info = json.loads(runner.invoke(main, ["info", "--json"]).stdout)
    assert info["videos"] == 2 and info["model"] == "test:colour-v1" and info["index_type"].startswith("flat")
    assert info["index_setting"] == "auto" and info["index_tombstones"] == 0
    assert info["clips"] == sum(v["clips"] for v in listing) and info["hours"] > 0

    green = next(v for v in listing if v["title"] == "green")
    result = runner.invoke(main, ["rm", str(green["id"]), "no-such-video"])
    assert result.exit_code == 1 and "removed 1" in result.output and "no-such-video" in result.output
    assert [v["title"] for v in json.loads(runner.invoke(main, ["ls", "--json"]).stdout)] == ["red twice"]

    (folder / "red twice.mp4").unlink()
    result = runner.invoke(main, ["sync"])
    assert result.exit_code == 0 and "removed 1" in result.output
    assert json.loads(runner.invoke(main, ["info", "--json"]).stdout)["videos"] == 0
    result = runner.invoke(main, ["rebuild-index"])
    assert result.exit_code == 0 and "0 clips" in result.output


def test_usage_errors_exit_2_with_a_sentence(runner: CliRunner, folder: Path, cli_env, monkeypatch) -> None:
    assert runner.invoke(main, ["search", "x"]).exit_code == 1  # empty index: says to index first
    assert "vidseek index" in runner.invoke(main, ["search", "x"]).output
    assert runner.invoke(main, ["index"]).exit_code == 2
    result = runner.invoke(main, ["index", str(folder), "--sample-fps", "0"])
    assert result.exit_code == 2 and "VIDSEEK_SAMPLE_FPS" in result.output
    result = runner.invoke(main, ["--model", "nonsense", "index", str(folder)])
    assert result.exit_code == 2 and "ARCH:TAG" in result.output
    result = runner.invoke(main, ["--model", "python:no_such_module:X", "index", str(folder)])
    assert result.exit_code == 2 and "no_such_module" in result.output
    assert runner.invoke(main, ["search", "   "]).exit_code == 2


def test_missing_path_is_a_failure_not_a_crash(runner: CliRunner, tmp_path: Path, cli_env) -> None:
    result = runner.invoke(main, ["index", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "no such file or folder" in result.output


def test_index_built_with_another_model_is_refused(runner: CliRunner, folder: Path, cli_env, monkeypatch) -> None:
    assert runner.invoke(main, ["index", str(folder)]).exit_code == 0
    monkeypatch.setenv("VIDSEEK_MODEL", "python:colour_encoder:OtherColourEncoder")
    result = runner.invoke(main, ["search", "red"])
    assert result.exit_code == 2
    assert "built with model 'test:colour-v1'" in result.output and "VIDSEEK_MODEL" in result.output
    assert "vidseek reembed" in result.output
    assert runner.invoke(main, ["index", str(folder)]).exit_code == 2


def test_reembed_moves_the_library_to_the_new_model(runner: CliRunner, folder: Path, cli_env, monkeypatch) -> None:
    wide = "python:colour_encoder:WideColourEncoder"
    assert "nothing to re-embed" in runner.invoke(main, ["reembed", wide]).output  # empty index
    assert runner.invoke(main, ["index", str(folder)]).exit_code == 0
    before = json.loads(runner.invoke(main, ["search", "red", "--json"]).stdout)["results"]
    result = runner.invoke(main, ["reembed", wide])
    assert result.exit_code == 0, result.output
    assert "switched to test:colour-wide" in result.output and f"VIDSEEK_MODEL={wide}" in result.output
    assert runner.invoke(main, ["search", "red"]).exit_code == 2  # VIDSEEK_MODEL still names the old model
    monkeypatch.setenv("VIDSEEK_MODEL", wide)
    after = json.loads(runner.invoke(main, ["search", "red", "--json"]).stdout)["results"]
    assert [(r["video"]["title"], r["start"], r["end"]) for r in after] == [
        (r["video"]["title"], r["start"], r["end"]) for r in before
    ]
    assert "already uses test:colour-wide" in runner.invoke(main, ["reembed", wide]).output

    queued = runner.invoke(main, ["reembed", "--queue", "python:colour_encoder:ColourEncoder"])
    assert queued.exit_code == 0 and "queued re-embed job" in queued.output
    busy = runner.invoke(main, ["reembed", "python:colour_encoder:ColourEncoder"])
    assert busy.exit_code == 1 and "already queued or running" in busy.output


def test_demo_indexes_then_searches_with_the_given_query(runner: CliRunner, folder: Path, cli_env) -> None:
    result = runner.invoke(main, ["demo", str(folder), "--query", "red", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "2 indexed" in result.stdout and "search: red" in result.stdout
    table = result.stdout[result.stdout.index("search: red") :].splitlines()
    assert table[1].split() == ["#", "score", "relevance", "moment", "peak", "title", "path"]
    assert "red twice" in table[2] and table[-1].startswith(("1 moments in", "2 moments in"))


def test_unreachable_postgres_is_a_clear_error(runner: CliRunner, cli_env) -> None:
    result = runner.invoke(main, ["--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/x", "info"])
    assert result.exit_code == 2 and "cannot open database" in result.output and "Traceback" not in result.output


def test_search_relevance_and_grouping_options(runner: CliRunner, tmp_path: Path, cli_env) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[2]))
    from calibrated_library import build

    from vidseek.config import Settings
    from vidseek.storage.library import Library

    planted = build(
        Library(
            Settings(data_dir=Path(cli_env["VIDSEEK_DATA_DIR"]), model=cli_env["VIDSEEK_MODEL"]), notify=lambda m: None
        )
    )
    body = json.loads(
        runner.invoke(main, ["search", "red", "--json", "--limit", "50", "--min-relevance", "high"]).stdout
    )
    assert {r["relevance"] for r in body["results"]} == {"high"} and body["hidden"] >= 1
    table = runner.invoke(main, ["search", "red", "--min-relevance", "high"])
    assert table.exit_code == 0 and "weaker hidden: --min-relevance low shows them" in table.output
    grouped = json.loads(
        runner.invoke(
            main, ["search", "red", "--json", "--group-by", "video", "--sort", "count", "--limit", "50"]
        ).stdout
    )
    assert {g["video"]["title"] for g in grouped["groups"]} == {p.title for p in planted}
    assert grouped["groups"][0]["count"] == 2
    refused = runner.invoke(main, ["search", "red", "--sort", "count"])
    assert refused.exit_code == 2 and "group_by=video" in refused.output


def test_help_and_docstrings_point_only_at_documents_the_repository_has(runner: CliRunner) -> None:
    import re

    root = Path(__file__).resolve().parents[3]
    named = set()
    for package in ("cli", "vidseek", "indexer", "search_api"):
        for source in (root / package).rglob("*.py"):
            named |= {(m, source.name) for m in re.findall(r"\b[A-Z][A-Z_]+\.md\b", source.read_text())}
    assert {(doc, where) for doc, where in named if not (root / doc).is_file()} == set()
    for name in main.commands:
        shown = runner.invoke(main, [name, "--help"]).output
        for doc in re.findall(r"\b[A-Z][A-Z_]+\.md\b", shown):
            assert (root / doc).is_file(), (name, doc)
    assert "README" in runner.invoke(main, ["search", "--help"]).output
