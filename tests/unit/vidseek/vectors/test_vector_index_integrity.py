"""The FAISS file's payload checksum: damage under an intact header is found on open and the index is
rebuilt from SQL with a message; files saved before the checksum existed still load and get one."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import faiss
import numpy as np
import pytest
from click.testing import CliRunner
from media import Segment, make_video

from cli.main import main
from vidseek.config import Settings
from vidseek.storage.library import Library
from vidseek.vectors.synthetic import clustered_vectors, id_blocks
from vidseek.vectors.vector_index import ClipIndex, build_index

DIM = 32


def _layout(path: Path) -> tuple[bytes, dict]:
    """(FAISS payload, header) of a file of the current layout."""
    data = path.read_bytes()
    assert data.endswith(b"VIDSEEK2")
    (n,) = struct.unpack("<I", data[-12:-8])
    return data[: -12 - n], json.loads(data[-12 - n : -12])


def _write(path: Path, payload: bytes, header: dict) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(payload + raw + struct.pack("<I", len(raw)) + b"VIDSEEK2")


def _zero_vectors(path: Path) -> None:
    """Zero every stored vector of a flat index file, leaving its FAISS structure and header intact."""
    payload, header = _layout(path)
    index = ClipIndex.load(path, verify=False)
    codes = faiss.vector_to_array(faiss.downcast_index(index.index.index).codes).tobytes()
    at = payload.find(codes)
    assert at > 0
    _write(path, payload[:at] + bytes(len(codes)) + payload[at + len(codes) :], header)


@pytest.fixture
def flat_file(tmp_path: Path) -> tuple[Path, list]:
    blocks = id_blocks([next(clustered_vectors(200, DIM, seed=1))], first_id=1)
    index = build_index(lambda: iter(blocks), dim=DIM, n=200, requested="flat", generation=3)
    path = tmp_path / "clips.faiss"
    index.save(path)
    return path, blocks


@pytest.mark.parametrize("mmap", [False, True])
def test_zeroed_vectors_under_an_intact_header_are_refused(flat_file, mmap: bool) -> None:  # noqa: ANN001
    path, blocks = flat_file
    ids, vectors = blocks[0]
    assert ClipIndex.load(path, mmap=mmap).search(vectors[7], 1)[1].tolist() == [ids[7]]
    _zero_vectors(path)
    assert ClipIndex.read_header(path)["count"] == 200  # the header still looks fine
    from vidseek.vectors.index_files import IndexCorruptError

    with pytest.raises(IndexCorruptError, match="checksum"):
        ClipIndex.load(path, mmap=mmap)


def test_a_file_without_a_checksum_still_loads(flat_file) -> None:  # noqa: ANN001
    path, blocks = flat_file
    payload, header = _layout(path)
    assert "blake2b" in header
    del header["blake2b"]
    _write(path, payload, header)
    for mmap in (False, True):
        loaded = ClipIndex.load(path, mmap=mmap)
        assert loaded.count == 200 and loaded.search(blocks[0][1][3], 1)[1].tolist() == [blocks[0][0][3]]


# ------------------------------------------------------------------------------ through the library


@pytest.fixture
def indexed(cli_env, data_dir: Path, tmp_path: Path) -> tuple[CliRunner, Path, list]:
    folder = tmp_path / "videos"
    make_video(folder / "red twice.mp4", [Segment("blue", 2), Segment("red", 4), Segment("blue", 6), Segment("red", 4)])
    make_video(folder / "green.mp4", [Segment("yellow", 4), Segment("green", 4)])
    runner = CliRunner()
    assert runner.invoke(main, ["index", str(folder)]).exit_code == 0
    return runner, folder, _search(runner)


def _search(runner: CliRunner) -> list:
    result = runner.invoke(main, ["search", "red", "--json", "--min-relevance", "low"])
    assert result.exit_code == 0, result.output
    return [
        (r["video"]["path"], r["start"], r["end"], round(r["score"], 5)) for r in json.loads(result.stdout)["results"]
    ]


@pytest.mark.parametrize("mmap", [False, True])
def test_a_damaged_payload_is_rebuilt_from_sql_with_a_message(
    indexed,
    data_dir: Path,
    mmap: bool,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner, _folder, before = indexed
    if mmap:
        monkeypatch.setenv("VIDSEEK_INDEX_MMAP", "1")
    path = data_dir / "clips.faiss"
    _zero_vectors(path)
    messages: list[str] = []
    library = Library(Settings(), notify=messages.append)
    index = library.index()
    assert len(messages) == 1, messages
    assert f"FAISS index {path} is corrupt" in messages[0] and "rebuilding it from the" in messages[0]
    assert index.count == ClipIndex.read_header(path)["count"]
    ClipIndex.load(path)  # the rebuilt file passes its check
    assert _search(runner) == before


def test_an_old_file_without_a_checksum_loads_and_gets_one_at_the_next_save(
    indexed,
    data_dir: Path,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    runner, folder, before = indexed
    path = data_dir / "clips.faiss"
    payload, header = _layout(path)
    del header["blake2b"]
    _write(path, payload, header)
    messages: list[str] = []
    assert Library(Settings(), notify=messages.append).index().count == header["count"]
    assert messages == []  # loaded as it is: no rebuild
    assert _search(runner) == before
    assert "blake2b" not in _layout(path)[1]
    make_video(folder / "cyan.mp4", [Segment("white", 2), Segment("cyan", 4)])
    assert runner.invoke(main, ["index", str(folder)]).exit_code == 0  # a write, then a save
    payload, header = _layout(path)
    from vidseek.vectors.index_files import payload_digest

    assert header["blake2b"] == payload_digest(payload)
    assert np.all(ClipIndex.load(path).ids() > 0)
