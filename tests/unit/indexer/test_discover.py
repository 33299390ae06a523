"""Finding videos in hostile or careless folders: symlink loops, broken links, FIFOs, sockets and
devices, unreadable folders, names that are not UTF-8. Each is one (path, reason) line; the rest
of the batch is found and indexed; nothing hangs, nothing raises."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from media import Segment, make_video

from indexer.discover import find_videos, printable
from indexer.progress import Progress
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage.library import Library

LATIN1_NAME = b"caf\xe9.mp4"  # what a Samba share or camera copy without a UTF-8 charset leaves


def _latin1_file(folder: Path) -> Path:
    """Create ``folder/caf\\xe9.mp4`` through the bytes API, as such a copy does; return its path."""
    fd = os.open(os.fsencode(folder) + b"/" + LATIN1_NAME, os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, b"not decoded by discovery")
    os.close(fd)
    return folder / os.fsdecode(LATIN1_NAME)


def _problems(paths: list[Path]) -> dict[str, str]:
    files, problems = find_videos(paths)
    return {printable(p): reason for p, reason in problems}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "v"
    root.mkdir()
    (root / "good.mp4").write_bytes(b"x")
    return root


def test_symlink_loop_in_a_folder_is_one_problem(folder: Path) -> None:
    (folder / "loop.mp4").symlink_to("loop.mp4")
    (folder / "ping.mkv").symlink_to("pong.mkv")
    (folder / "pong.mkv").symlink_to("ping.mkv")
    files, problems = find_videos([folder])
    assert files == [folder / "good.mp4"]
    assert sorted(problems) == [
        (folder / "loop.mp4", "symlink loop"),
        (folder / "ping.mkv", "symlink loop"),
        (folder / "pong.mkv", "symlink loop"),
    ]


def test_fifo_socket_and_device_are_never_opened(folder: Path) -> None:
    os.mkfifo(folder / "fifo.mp4")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(folder / "sock.mp4"))
        (folder / "null.mp4").symlink_to(os.devnull)
        files, problems = find_videos([folder])
    assert files == [folder / "good.mp4"]
    assert sorted(problems) == [
        (folder / "fifo.mp4", "not a regular file (a FIFO)"),
        (folder / "null.mp4", "not a regular file (a character device)"),
        (folder / "sock.mp4", "not a regular file (a socket)"),
    ]


def test_dangling_symlink_is_reported_under_its_own_path(folder: Path, tmp_path: Path) -> None:
    (folder / "dangling.mp4").symlink_to(tmp_path / "gone" / "target.mp4")
    (folder / "notes.txt").symlink_to(tmp_path / "gone.txt")  # not a video name: not looked at
    files, problems = find_videos([folder])
    assert files == [folder / "good.mp4"]
    assert problems == [
        (folder / "dangling.mp4", f"broken symlink (its target {tmp_path / 'gone' / 'target.mp4'} does not exist)")
    ]


def test_unreadable_subfolder_is_reported_even_as_root(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = folder / "locked"
    locked.mkdir()
    (locked / "hidden from us.mp4").write_bytes(b"x")
    real_scandir = os.scandir

    def scandir(path=".") -> object:  # noqa: ANN001 - chmod 000 does not stop root: refuse as the kernel would
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, problems = find_videos([folder])
    assert files == [folder / "good.mp4"]
    assert problems == [(locked, "cannot read folder (permission denied)")]


def test_named_path_in_an_unreadable_folder_is_permission_denied(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = folder / "locked" / "x.mp4"
    real_stat = os.stat

    def stat(path, *args, **kwargs) -> os.stat_result:  # noqa: ANN001, ANN002, ANN003 - as the kernel does without x
        if Path(path) == inside:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    assert find_videos([inside, folder / "good.mp4"]) == ([folder / "good.mp4"], [(inside, "permission denied")])


@pytest.mark.skipif(os.geteuid() == 0, reason="chmod 000 does not stop root")
def test_chmod_000_subfolder_is_reported(folder: Path) -> None:
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert _problems([folder]) == {str(locked): "cannot read folder (permission denied)"}
    finally:
        locked.chmod(0o755)


def test_paths_named_directly_get_their_real_reason(folder: Path, tmp_path: Path) -> None:
    (folder / "loop.mp4").symlink_to("loop.mp4")
    os.mkfifo(folder / "fifo.mp4")
    (folder / "dangling.mp4").symlink_to(tmp_path / "gone.mp4")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(folder / "sock"))
        named = [folder / n for n in ("loop.mp4", "fifo.mp4", "dangling.mp4", "sock", "absent.mp4")]
        files, problems = find_videos([*named, Path(os.devnull)])
    assert files == []
    assert problems == [
        (folder / "loop.mp4", "symlink loop"),
        (folder / "fifo.mp4", "not a regular file (a FIFO)"),
        (folder / "dangling.mp4", f"broken symlink (its target {tmp_path / 'gone.mp4'} does not exist)"),
        (folder / "sock", "not a regular file (a socket)"),
        (folder / "absent.mp4", "no such file or folder"),
        (Path(os.devnull), "not a regular file (a character device)"),
    ]


def test_links_to_real_videos_work_and_count_once(folder: Path, tmp_path: Path) -> None:
    (folder / "alias.mp4").symlink_to("good.mp4")
    (folder / "chain.mp4").symlink_to("alias.mp4")
    outside = tmp_path / "outside.mp4"
    outside.symlink_to(folder / "good.mp4")
    extra = make_video(tmp_path / "real.mkv", [Segment("red", 1)])
    (folder / "other.mkv").symlink_to(extra)
    files, problems = find_videos([folder, outside, folder / "alias.mp4"])
    assert problems == []
    assert files == [folder / "good.mp4", extra]


def test_name_that_is_not_utf8_is_refused_with_its_bytes_shown(folder: Path) -> None:
    bad = _latin1_file(folder)
    files, problems = find_videos([folder])
    assert files == [folder / "good.mp4"]
    [(path, reason)] = problems
    assert path == bad and "not valid UTF-8" in reason and "rename" in reason and "UTF-8 charset" in reason
    assert printable(path) == f"{folder}/caf\\xe9.mp4"
    assert find_videos([bad]) == ([], problems), "named directly: the same refusal"


def test_printable_keeps_good_names_and_escapes_only_bad_bytes() -> None:
    assert printable(Path("/v/café ☕.mp4")) == "/v/café ☕.mp4"
    assert printable(os.fsdecode(b"/v/caf\xe9 \xff.mp4")) == "/v/caf\\xe9 \\xff.mp4"


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    """One good video among a symlink loop, a broken link and a name that is not UTF-8 (no FIFO:
    before the fix it blocked forever; the CLI test has one, under a timeout)."""
    root = tmp_path / "hostile"
    make_video(root / "good.mp4", [Segment("red", 4)])
    (root / "loop.mp4").symlink_to("loop.mp4")
    (root / "dangling.mp4").symlink_to(tmp_path / "gone.mp4")
    _latin1_file(root)
    return root


def test_indexer_indexes_the_rest_of_the_batch(db_settings: Settings, hostile_folder: Path) -> None:
    library = Library(db_settings, notify=lambda m: None)
    indexer = Indexer(db_settings, library, load_encoder(db_settings.model), progress=lambda: Progress(False))
    report = indexer.index([hostile_folder])
    assert report.indexed == [str(hostile_folder / "good.mp4")]
    failed = dict(report.failed)
    latin1 = f"{hostile_folder}/caf\\xe9.mp4"
    assert "not valid UTF-8" in failed.pop(latin1, "")
    assert failed == {
        str(hostile_folder / "loop.mp4"): "symlink loop",
        str(hostile_folder / "dangling.mp4"): f"broken symlink (its target {hostile_folder.parent / 'gone.mp4'} "
        "does not exist)",
    }
    assert report.exit_code == 1
    for path, reason in report.failed:
        f"{path}: {reason}".encode("utf-8")  # printable on any terminal: no lone surrogates
    again = indexer.index([hostile_folder])
    assert again.skipped == [str(hostile_folder / "good.mp4")] and len(again.failed) == 3


def test_indexer_refuses_a_name_that_is_not_utf8_alone(db_settings: Settings, tmp_path: Path) -> None:
    """On its own (no loop to stop the walk first): the database cannot store it; the batch goes on."""
    good = make_video(tmp_path / "v" / "good.mp4", [Segment("red", 4)])
    _latin1_file(good.parent)
    library = Library(db_settings, notify=lambda m: None)
    indexer = Indexer(db_settings, library, load_encoder(db_settings.model), progress=lambda: Progress(False))
    report = indexer.index([good.parent])
    assert report.indexed == [str(good)]
    [(path, reason)] = report.failed
    assert path == f"{good.parent}/caf\\xe9.mp4" and "not valid UTF-8" in reason


def _env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("VIDSEEK_")}, **cli_env}


def test_cli_index_hostile_folder_exits_1_with_one_line_each(hostile_folder: Path, cli_env) -> None:
    os.mkfifo(hostile_folder / "fifo.mp4")
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "index", str(hostile_folder)],
        env=_env(cli_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = sorted(line for line in proc.stderr.splitlines() if line.startswith("error:"))
    assert len(errors) == 4, proc.stderr
    assert errors[0].startswith(f"error: {hostile_folder}/caf\\xe9.mp4: ") and "not valid UTF-8" in errors[0]
    assert errors[1:] == [
        f"error: {hostile_folder}/dangling.mp4: broken symlink (its target "
        f"{hostile_folder.parent / 'gone.mp4'} does not exist)",
        f"error: {hostile_folder}/fifo.mp4: not a regular file (a FIFO)",
        f"error: {hostile_folder}/loop.mp4: symlink loop",
    ]
    assert "1 indexed" in proc.stdout and "4 failed" in proc.stdout


def test_cli_index_named_paths_say_what_is_wrong(hostile_folder: Path, cli_env, tmp_path: Path) -> None:
    os.mkfifo(hostile_folder / "fifo.mp4")
    link = tmp_path / "link to good.mp4"
    link.symlink_to(hostile_folder / "good.mp4")
    named = [hostile_folder / "loop.mp4", hostile_folder / "fifo.mp4", link]
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "index", *map(str, named)],
        env=_env(cli_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("error:")] == [
        f"error: {named[0]}: symlink loop",
        f"error: {named[1]}: not a regular file (a FIFO)",
    ]
    assert "1 indexed" in proc.stdout and "Traceback" not in proc.stderr
