"""Opening a library whose files are damaged: one sentence naming the file, exit code 2, nothing changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from vidseek.storage.db import open_database

COMMANDS = [
    ["info"],
    ["ls"],
    ["search", "red"],
    ["index", "."],
    ["worker", "--until-idle"],
    ["serve", "--port", "0"],
    ["rebuild-index"],
    ["keys", "list"],
]


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def _truncated(path: Path) -> None:
    """A real vidseek database (all pages in the main file), cut after its first two pages."""
    open_database(f"sqlite:///{path}").kw["bind"].dispose()  # the last connection checkpoints the WAL
    data = path.read_bytes()
    assert len(data) > 8192 and not Path(f"{path}-wal").exists()
    path.write_bytes(data[:8192])


@pytest.mark.parametrize("damage", [_random_bytes, _truncated], ids=["random-bytes", "truncated"])
def test_a_damaged_database_is_one_sentence_and_exit_2_for_every_command(damage, cli_env, data_dir: Path) -> None:  # noqa: ANN001
    data_dir.mkdir(parents=True)
    db = data_dir / "vidseek.db"
    damage(db)
    before = db.read_bytes()
    runner = CliRunner()
    for command in COMMANDS:
        result = runner.invoke(main, command)
        assert result.exit_code == 2, (command, result.output, result.exception)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.output, (command, result.output)
        assert f"database file {db.resolve()} is not a readable vidseek database" in lines[0]
        assert "restore it from a backup" in lines[0] and "move it away" in lines[0]
    assert db.read_bytes() == before  # nothing overwritten
    assert not (data_dir / "clips.faiss").exists()


# ------------------------------------------------------------------------------ the FAISS path


def test_a_folder_at_the_faiss_path_is_one_sentence_naming_it(cli_env, data_dir: Path, tmp_path: Path) -> None:
    from media import Segment, make_video

    video = make_video(tmp_path / "v" / "red.mp4", [Segment("blue", 2), Segment("red", 4)])
    runner = CliRunner()
    assert runner.invoke(main, ["index", str(video.parent)]).exit_code == 0
    index_file = data_dir / "clips.faiss"
    index_file.unlink()
    index_file.mkdir()
    (index_file / "keep.txt").write_text("the user's")
    for command in (["search", "red"], ["info"], ["index", str(video.parent)], ["rebuild-index"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 2, (command, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and f"FAISS index path {index_file} is a folder" in lines[0], (command, lines)
        assert "move it out of the way" in lines[0] and ".tmp" not in lines[0]  # no temp file named
    assert (index_file / "keep.txt").read_text() == "the user's"  # never deleted
    index_file.joinpath("keep.txt").unlink()
    index_file.rmdir()  # moved away: the index is rebuilt from the database
    result = runner.invoke(main, ["search", "red", "--json"])
    assert result.exit_code == 0, result.output
    assert index_file.is_file()
