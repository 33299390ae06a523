"""Why a FAISS file is used, patched or rebuilt, from its header and the database's state (pure)."""

from __future__ import annotations

import pytest

from vidseek.storage.index_verdict import FileFacts, file_verdict

DB = {"dim": 8, "generation": 5, "count": 100, "uid": "u1", "requested": "auto"}


@pytest.mark.parametrize(
    ("file", "expected"),
    [  # file: dim, kind, uid, generation, count[, tombstones]
        ((8, "flat", "u1", 5, 100), ("use", None)),
        ((8, "flat", None, 5, 100), ("use", None)),  # a file from before uids, current
        ((8, "flat", "u1", 3, 90), ("patch", "stale")),
        ((8, "flat", None, 3, 90), ("rebuild", "stale")),  # cannot be patched without a uid
        ((16, "flat", "u1", 5, 100), ("rebuild", "dimension 16")),
        ((8, "flat", "u2", 5, 100), ("rebuild", "another database")),
        ((8, "flat", "u1", 6, 100), ("rebuild", "ahead of the database")),
        ((8, "fastscan", "u1", 5, 100, 24), ("use", None)),  # 19 % of its entries are tombstones
        ((8, "fastscan", "u1", 5, 100, 25), ("rebuild", "25 markers of deleted clips (20% of its entries")),
        ((8, "hnsw", "u1", 5, 100, 163), ("rebuild", "(62% of its entries")),  # a killed purge's
    ],
)
def test_file_verdict(file: tuple, expected: tuple[str, str | None]) -> None:
    action, why = file_verdict(FileFacts(*file), **DB)
    assert action == expected[0]
    assert (why is None) if expected[1] is None else (expected[1] in why)


def test_file_verdict_rebuilds_another_type_than_asked() -> None:
    big = {**DB, "count": 50_000, "requested": "ivf"}
    action, why = file_verdict(FileFacts(8, "flat", "u1", 5, 50_000), **big)
    assert action == "rebuild" and "settings ask for ivf" in why
    assert file_verdict(FileFacts(8, "ivfpq", "u1", 5, 50_000), **{**big, "requested": "opq"})[0] == "use"


def test_a_type_that_trains_is_exact_search_until_there_are_clips_to_train_it() -> None:
    for requested in ("ivf", "fastscan", "ivfpq"):  # 100 clips: the flat file is what was asked for
        assert file_verdict(FileFacts(8, "flat", "u1", 5, 100), **{**DB, "requested": requested}) == ("use", None)
