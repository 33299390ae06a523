"""`vidseek index` and `vidseek worker` run at lower CPU priority (``VIDSEEK_INDEX_NICE``), so a search
served on the same cores keeps its latency while they index (issue 29, benchmarks/ingest_load.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from indexer import priority


def test_niceness_only_ever_goes_down_in_priority() -> None:
    assert priority.increment(0, 10) == 10
    assert priority.increment(4, 10) == 6
    assert priority.increment(12, 10) == 0  # already lower: never raised back (nor can it be)


def test_the_process_and_the_threads_it_starts_afterwards_run_at_the_niceness() -> None:
    code = (
        "import os, threading; from indexer.priority import lower_priority;"
        "first = lower_priority(5); again = lower_priority(3); seen = [];"
        "t = threading.Thread(target=lambda: seen.append(os.nice(0))); t.start(); t.join();"
        "print(first, again, os.nice(0), seen[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["5", "5", "5", "5"]


@pytest.mark.parametrize("command", [["index"], ["worker", "--until-idle", "--poll", "0.05"]])
def test_index_and_worker_lower_their_priority_as_configured(
    command: list[str], cli_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    asked: list[int] = []
    monkeypatch.setattr(priority, "lower_priority", asked.append)
    monkeypatch.setenv("VIDSEEK_INDEX_NICE", "7")
    empty = tmp_path / "nothing here"
    empty.mkdir()
    result = CliRunner().invoke(main, command + ([str(empty)] if command == ["index"] else []))
    assert result.exit_code == 0, result.output
    assert asked == [7]


def test_a_niceness_out_of_range_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from vidseek.config import Settings

    monkeypatch.setenv("VIDSEEK_INDEX_NICE", "25")
    with pytest.raises(ValueError, match="index_nice"):
        Settings()
