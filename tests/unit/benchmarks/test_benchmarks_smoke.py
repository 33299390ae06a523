"""A short smoke run of the benchmark harness: it runs and reports sane fields (no timing asserted)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks import search  # noqa: E402


def test_search_benchmark_reports_recall_and_latency_fields() -> None:
    rows = search.measure(3000, n_queries=20, requested="ivf")
    assert [r["index"].split()[0] for r in rows] == ["flat", "ivf"]
    exact, ivf = rows
    assert exact["recall_at_10"] == 1.0 and ivf["recall_at_10"] >= 0.9
    assert all(r["p50_ms"] > 0 and r["bytes_per_clip"] > 2000 and r["build_s"] >= 0 for r in rows)


def test_scale_benchmark_deletes_a_tenth_and_never_answers_them() -> None:
    from benchmarks import scale

    row = scale.measure_one(3000, "fastscan", n_queries=20)
    assert row["index"].startswith("fastscan") and row["deleted"] == 300 and row["deleted_answered"] == 0
    assert row["recall_at_10"] >= 0.9 and row["p50_ms"] > 0 and "ram_bytes_per_clip" in row  # RSS: noise at 3k


def test_mapped_reader_benchmark_compares_two_processes_on_one_file() -> None:
    from benchmarks import mmap_reader

    row = mmap_reader.measure(3000, "ivf", n_queries=10)
    assert row["same_answers"] is True and row["file_mb"] > 5
    assert row["ram_anon_mb_after_open"] > row["mmap_anon_mb_after_open"]  # the point of mapping
    assert all(row[f"{mode}_p50_ms"] > 0 and row[f"{mode}_open_s"] > 0 for mode in ("ram", "mmap"))


def test_catch_up_benchmark_times_both_ways_of_following_a_write() -> None:
    from benchmarks import catch_up

    row = catch_up.measure(3000, rounds=1)
    assert row["change_rows_ms_median"] > 0 and row["all_ids_ms_median"] > 0 and row["ratio"] > 0


def test_whole_process_pairs_alternate_fresh_processes_and_report_medians(tmp_path: Path) -> None:
    from benchmarks import whole_process

    marks = tmp_path / "order"
    write = "import sys; open(sys.argv[1], 'a').write(sys.argv[2])"
    a = ([sys.executable, "-c", write, str(marks), "A"], {})
    b = ([sys.executable, "-c", write, str(marks), "B"], {})
    row = whole_process.paired(a, b, runs=2)
    assert marks.read_text() == "ABAB"
    assert row["runs"] == 2 and row["a_wall_s"] > 0 and row["b_over_a"] > 0 and row["a_peak_mib"] > 5
    failing = ([sys.executable, "-c", "raise SystemExit(3)"], {})
    try:
        whole_process.run_once(*failing)
    except RuntimeError as exc:
        assert "exited 3" in str(exc)
    else:
        raise AssertionError("a failing command must not be timed as a result")


def test_the_query_stand_in_gives_the_librarys_model_and_unit_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
    from query_stand_in import FrameQueries

    from benchmarks.api_load import MODEL_NAME, build_library

    build_library(tmp_path, 600, frames_per_video=40, dim=16)
    monkeypatch.setenv("VIDSEEK_DATA_DIR", str(tmp_path))
    matching = FrameQueries()
    assert (matching.name, matching.dim) == (MODEL_NAME, 16)
    vectors = matching.encode_text(["a dog", "a cat", "a dog"])
    assert vectors.shape == (3, 16) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert np.array_equal(vectors[0], vectors[2]) and not np.array_equal(vectors[0], vectors[1])
    assert float((matching.frames @ vectors[0]).max()) > 0.9  # a stored frame, a little noise
    monkeypatch.setenv("VIDSEEK_BENCH_QUERIES", "random")
    unrelated = FrameQueries().encode_text(["a dog"])[0]
    assert float((matching.frames @ unrelated).max()) < 0.9


def test_speech_benchmark_finds_what_is_said_only_through_speech() -> None:
    from benchmarks import speech
    from benchmarks.moment_world import WorldParams

    result = speech.measure(WorldParams.tiny())
    rows = result["variants"]
    assert set(rows) == {name for name, _, _ in speech.VARIANTS}
    assert result["lines"] >= 256 and result["truths"]["said_only"] > 0
    assert rows["visual"]["found_said_only"] == 0.0  # nothing said is seen
    assert rows["speech"]["found_seen_only"] == 0.0  # nor is anything seen said
    assert rows["speech"]["found_said_only"] >= rows["speech_words"]["found_said_only"] > 0.0
    assert all(0.0 <= row["r1_at_0.5"] <= 1.0 and row["ms_p50"] > 0 for row in rows.values())


def test_words_benchmark_finds_cjk_words_inflections_and_accents_only_when_analysed() -> None:
    from benchmarks import words

    rows = words.measure()["r1"]
    assert set(rows) == {"as_written_sqlite", "analysed_sqlite"}
    assert set(rows["analysed_sqlite"]) == set(words.WORLD)
    for category in ("cjk", "inflection", "accents"):
        assert rows["as_written_sqlite"][category] == 0.0 < rows["analysed_sqlite"][category]
    assert rows["analysed_sqlite"]["exact"] == rows["as_written_sqlite"]["exact"] == 1.0


def test_ingest_benchmark_times_search_idle_and_while_vidseek_index_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import ingest_load

    monkeypatch.setenv("VIDSEEK_INDEX_NICE", "0")  # a busy test machine would starve a lowered indexer
    tree = Path(__file__).resolve().parents[3]
    out = ingest_load.measure(
        tmp_path,
        [("now", tree)],
        clips=400,
        videos=2,
        video_seconds=4,
        requests=3,
        model="python:ingest_stand_in:CheapFrames",
        dim=16,
    )["now"]
    assert out["errors"] == 0 and out["requests_idle"] == 3 and out["requests_indexing"] >= 1
    assert out["indexer_summary"].startswith("2 indexed") and out["videos_written"] == 2 and out["index_s"] > 0
    assert out["idle_p99_ms"] > 0 and out["indexing_p99_ms"] > 0 and out["p99_ratio"] > 0


def test_paraphrase_benchmark_measures_a_real_text_model_on_both_rules() -> None:
    pytest.importorskip("wordllama")
    from benchmarks import paraphrase

    result = paraphrase.measure()
    rows = result["variants"]
    assert set(rows) == set(paraphrase.VARIANTS)
    assert result["lines"] > 2000
    chosen_on = {name: row["set"] for name, row in rows.items()}
    assert chosen_on["words"]["paraphrase_r1"] == 0.0  # no content word is shared
    # meaning makes no exact query worse
    assert chosen_on["words"]["exact_r1"] == chosen_on["meaning"]["exact_r1"] == 1.0
    assert chosen_on["meaning"]["paraphrase_r1"] > 0.0
    assert chosen_on["meaning"]["lines_never_said"] <= chosen_on["meaning_normal_tail"]["lines_never_said"]
    for held_out in ("held_out", "held_out_b"):  # reported apart, by the same measures but exact queries
        assert set(rows["meaning"][held_out]) == set(chosen_on["meaning"]) - {"exact_r1"}
        assert rows["words"][held_out]["paraphrase_r1"] == 0.0
    # a stricter chance bar never lets more lines in
    assert chosen_on["meaning_tail_5pct"]["lines_never_said"] <= chosen_on["meaning"]["lines_never_said"]
    assert chosen_on["meaning_tail_5pct"]["unrelated_per_query"] <= chosen_on["meaning"]["unrelated_per_query"]


def test_page_dump_writes_the_same_pages_through_the_frame_file_as_through_sql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import page_dump

    files = {}
    for frame_file in ("true", "false"):
        monkeypatch.setenv("VIDSEEK_FRAME_FILE", frame_file)
        files[frame_file] = tmp_path / f"{frame_file}.jsonl"
        assert page_dump.dump(files[frame_file], "short") == 120
    assert files["true"].read_bytes() == files["false"].read_bytes()
    assert b'"results": [{' in files["true"].read_bytes()  # pages with moments, not only empty ones


def test_cuts_benchmark_scores_generated_videos_and_times_both_ways() -> None:
    from benchmarks import cuts

    rows = cuts.measure(1, cost_seconds=2.0, repeats=1, size=(160, 90), bbb=False)
    by_video = {r["video"]: r for r in rows}
    assert by_video["generated, 1 videos: cuts"]["true"] > 0
    assert all(0 <= r["precision"] <= 1 for r in rows if "precision" in r)
    timed = [r for r in rows if "ratio" in r]
    assert timed and all(r["decode_s_with"] > 0 and r["decode_s_without"] > 0 for r in timed)


def test_shots_benchmark_runs_naive_frames_and_shots_on_one_world() -> None:
    from benchmarks import moment_shots

    rows = moment_shots.measure(params=replace(moment_shots.SIZES["short"], videos=5))
    assert [r["method"] for r in rows][1:] == ["frames only (before)", "shots", "shots, 5 % detection errors"]
    assert all(0 <= r["over_long_3x"] <= 1 for r in rows)


def test_shots_benchmark_pools_worlds_by_queries_and_results() -> None:
    from benchmarks import moment_shots

    a = {"method": "shots", "queries": 30, "returned": 10.0, "r1_at_0.5": 1.0, "r1_at_0.7": 1.0, "miou": 1.0}
    b = {"method": "shots", "queries": 10, "returned": 5.0, "r1_at_0.5": 0.0, "r1_at_0.7": 0.0, "miou": 0.0}
    row = moment_shots.pooled([{**a, "over_long_3x": 0.0}, {**b, "over_long_3x": 0.5}])
    assert row["queries"] == 40 and row["r1_at_0.7"] == 0.75 and row["over_long_3x"] == 0.0714
    assert moment_shots._seeds("4-7") == [4, 5, 6, 7] and moment_shots._seeds("0,3") == [0, 3]


def test_ocr_benchmark_reads_slides_sparsely_and_finds_their_words() -> None:
    from benchmarks import ocr

    sparse = ocr.measure(width=640, height=360, only=("slides",), variants=("sparse",))["sparse"]
    assert sparse["queries"] == 4 and sparse["frames"] == 20
    assert sparse["frames_read"] < 5 and sparse["with_text_share"] == 1.0  # two slides: each read once
    assert sparse["r1"] == 1.0, sparse["rows"]
