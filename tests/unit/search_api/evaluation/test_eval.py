"""``vidseek eval`` and its parts: labelled sets in three formats, matching, scoring, the command.

The library is generated colour videos searched with the colour encoder, so every true moment is
known: a label that states it exactly scores IoU 1, a label at the wrong time or in the wrong video
scores 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import COLOUR_MODEL
from media import Segment, make_video

from cli.main import main
from search_api.evaluation.annotations import (
    LabelledQuery,
    VideoMatcher,
    load_labelled_set,
    match_to_library,
    read_labels,
)
from search_api.evaluation.evaluate import evaluate
from search_api.evaluation.label_lines import AnnotationError, Label
from search_api.evaluation.metrics import Span, score_query
from vidseek.config import Settings

QV_STEM = "NUfGnPaEzP0_60.0_210.0"
"""A QVHighlights-style clip name: its dots are not an extension."""


@dataclass(frozen=True)
class Truth:
    query: str
    video: str
    """The video's file stem."""
    start: float
    end: float


TRUTHS = [
    Truth("green", "green", 6, 11),  # exactly the green run: IoU 1
    Truth("red", "red_twice", 2, 6),  # two true moments of one query, grouped
    Truth("red", "red_twice", 12, 16),
    Truth("white", QV_STEM, 0, 10),  # the whole white video
    Truth("a green field", "green", 0, 5),  # wrong time (that is yellow): IoU 0, right video
    Truth("blue", QV_STEM, 0, 5),  # wrong video (blue is in red_twice): IoU 0, not rank 1
]
EXPECTED_PER_QUERY = {"green": (1.0, 1), "red": (1.0, 1), "white": (1.0, 1), "a green field": (0.0, 1)}
"""query -> (IoU of the first moment, rank of the first true video)."""


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stem -> file of the generated videos; two of them share the stem ``clip``."""
    root = tmp_path_factory.mktemp("eval-videos")
    return {
        "red_twice": make_video(
            root / "red_twice.mp4",
            [Segment("blue", 2), Segment("red", 4), Segment("blue", 6), Segment("red", 4), Segment("blue", 4)],
        ),
        "green": make_video(root / "green.mp4", [Segment("yellow", 6), Segment("green", 5), Segment("yellow", 5)]),
        QV_STEM: make_video(root / f"{QV_STEM}.mp4", [Segment("white", 10)]),
        "a/clip": make_video(root / "a" / "clip.mp4", [Segment("magenta", 4)]),
        "b/clip": make_video(root / "b" / "clip.mp4", [Segment("cyan", 4)]),
    }


@pytest.fixture(scope="module")
def indexed_dir(tmp_path_factory: pytest.TempPathFactory, videos: dict[str, Path]) -> Path:
    """A data dir with ``videos`` indexed once for the whole module."""
    from indexer.progress import Progress
    from indexer.runner import Indexer
    from vidseek.models.encoders import load_encoder
    from vidseek.storage.library import Library

    data_dir = tmp_path_factory.mktemp("eval-data")
    settings = Settings(data_dir=data_dir, model=COLOUR_MODEL, sample_fps=1.0, clip_seconds=4.0, clip_stride=2.0)
    library = Library(settings, notify=lambda m: None)
    report = Indexer(settings, library, load_encoder(settings.model), progress=lambda: Progress(False)).index(
        list(videos.values())
    )
    assert report.failed == [] and len(report.indexed) == len(videos)
    return data_dir


@pytest.fixture
def data_dir(indexed_dir: Path) -> Path:
    """``cli_env`` points the CLI at the module's indexed library."""
    return indexed_dir


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write_vidseek(path: Path, truths: list[Truth], videos: dict[str, Path]) -> Path:
    """vidseek JSONL naming videos by their full path."""
    lines = [
        json.dumps({"query": t.query, "video": str(videos[t.video]), "start": t.start, "end": t.end}) for t in truths
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_qvhighlights(path: Path, truths: list[Truth], videos: dict[str, Path]) -> Path:
    """QVHighlights JSONL: one line per query, its windows listed, the video named by stem."""
    by_query: dict[str, list[Truth]] = {}
    for t in truths:
        by_query.setdefault(t.query, []).append(t)
    lines = [
        json.dumps(
            {
                "qid": n,
                "query": query,
                "duration": 150,
                "vid": ts[0].video,
                "relevant_windows": [[t.start, t.end] for t in ts],
                "saliency_scores": [[4, 4, 4]],
            }
        )
        for n, (query, ts) in enumerate(by_query.items())
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_charades(path: Path, truths: list[Truth], videos: dict[str, Path]) -> Path:
    """Charades-STA text: ``VIDEOID START END##sentence``, the video named by stem."""
    path.write_text("".join(f"{t.video} {t.start:.1f} {t.end:.1f}##{t.query}\n" for t in truths))
    return path


WRITERS = {"jsonl": write_vidseek, "qvhighlights": write_qvhighlights, "charades": write_charades}


def run_eval(runner: CliRunner, *args: str):  # noqa: ANN201
    return runner.invoke(main, ["eval", *args])


# ------------------------------------------------------------------ the command, end to end


@pytest.mark.parametrize("fmt", ["jsonl", "qvhighlights"])
def test_eval_scores_known_answers_in_every_format(
    fmt: str, runner: CliRunner, videos, cli_env, tmp_path: Path
) -> None:
    labels = WRITERS[fmt](tmp_path / f"labels.{fmt}", TRUTHS, videos)
    result = run_eval(runner, str(labels), "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["format"] == fmt and body["model"] == "test:colour-v1" and body["limit"] == 10
    per_query = {q["query"]: q for q in body["queries"]}
    assert list(per_query) == ["green", "red", "white", "a green field", "blue"]  # "red": one query, two moments
    for query, (iou, rank) in EXPECTED_PER_QUERY.items():
        assert (per_query[query]["iou"], per_query[query]["video_rank"]) == (iou, rank), query
    assert per_query["green"]["top"] == {"video": str(videos["green"].resolve()), "start": 6.0, "end": 11.0}
    assert len(per_query["red"]["truths"]) == 2 and per_query["red"]["top"]["start"] in (2.0, 12.0)
    blue = per_query["blue"]
    assert blue["iou"] == 0.0 and blue["top"]["video"] == str(videos["red_twice"].resolve())
    assert blue["video_rank"] != 1
    overall = body["overall"]
    assert overall["queries"] == 5 and overall["skipped"] == 0
    assert (overall["r1_at_0.5"], overall["r1_at_0.7"], overall["miou"]) == (0.6, 0.6, 0.6)
    assert overall["r1_at_0.3"] == 0.6  # every first moment has IoU 0 or 1
    assert overall["video_r_at_1"] == 0.8
    assert overall["r5_at_0.5"] >= 0.6 and overall["video_r_at_10"] >= overall["video_r_at_5"] >= 0.8


def test_eval_scores_every_charades_line_as_a_query(runner: CliRunner, videos, cli_env, tmp_path: Path) -> None:
    labels = write_charades(tmp_path / "charades_sta_test.txt", TRUTHS, videos)
    result = run_eval(runner, str(labels), "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [(q["query"], q["lines"]) for q in body["queries"]] == [
        ("green", [1]),
        ("red", [2]),
        ("red", [3]),
        ("white", [4]),
        ("a green field", [5]),
        ("blue", [6]),
    ]
    reds = body["queries"][1:3]
    assert reds[0]["top"] == reds[1]["top"]  # one search, two labelled lines
    assert sorted(q["iou"] for q in reds) == [0.0, 1.0]  # it finds one of the two red runs
    # IoU 1 for green, one red line and white; 0 for the other red line, "a green field" and blue.
    overall = body["overall"]
    assert overall["queries"] == 6
    assert (overall["r1_at_0.3"], overall["r1_at_0.5"], overall["r1_at_0.7"], overall["miou"]) == (0.5,) * 4
    assert overall["video_r_at_1"] == 0.8333  # all but blue: 5 / 6


def test_a_sentence_labelled_in_two_videos_is_two_queries(runner: CliRunner, videos, cli_env, tmp_path: Path) -> None:
    labels = tmp_path / "charades_sta_test.txt"
    labels.write_text("green 6.0 11.0##green\nred_twice 2.0 6.0##green\n")  # the second is wrong: no green there
    result = run_eval(runner, str(labels), "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [(q["lines"], q["iou"]) for q in body["queries"]] == [([1], 1.0), ([2], 0.0)]
    assert body["queries"][0]["video_rank"] == 1 and body["queries"][1]["video_rank"] > 1  # no green in red_twice
    assert body["overall"]["queries"] == 2 and body["overall"]["r1_at_0.5"] == 0.5  # merged, it would be 1 of 1


def test_qvhighlights_map_end_to_end(runner: CliRunner, videos, cli_env, tmp_path: Path) -> None:
    labels = write_qvhighlights(tmp_path / "highlight_val_release.jsonl", TRUTHS, videos)
    body = json.loads(run_eval(runner, str(labels), "--json", "--limit", "1").stdout)
    # One moment a query, so AP at every threshold = (1 if it is a true one) / (true moments):
    # green 1/1, red 1/2 (it finds one of its two windows), white 1/1, "a green field" 0, blue 0.
    # mAP = (1 + 0.5 + 1 + 0 + 0) / 5 = 0.5 at every threshold.
    assert [q["qid"] for q in body["queries"]] == [0, 1, 2, 3, 4]
    assert [q["ap"] for q in body["queries"]] == [1.0, 0.5, 1.0, 0.0, 0.0]
    overall = body["overall"]
    assert (overall["map"], overall["map_at_0.5"], overall["map_at_0.75"]) == (0.5, 0.5, 0.5)


def test_exactly_found_moment_gives_r1_at_07_of_one_and_wrong_label_zero(
    runner: CliRunner, videos, cli_env, tmp_path: Path
) -> None:
    right = write_vidseek(tmp_path / "right.jsonl", [TRUTHS[0]], videos)
    body = json.loads(run_eval(runner, str(right), "--json").stdout)
    assert body["overall"]["r1_at_0.7"] == 1.0 and body["overall"]["miou"] == 1.0
    wrong = write_vidseek(tmp_path / "wrong.jsonl", [TRUTHS[4]], videos)
    body = json.loads(run_eval(runner, str(wrong), "--json").stdout)
    assert body["overall"]["r1_at_0.5"] == 0.0 and body["overall"]["miou"] == 0.0
    assert body["overall"]["video_r_at_1"] == 1.0  # the right video, the wrong time


def test_table_lists_every_number(runner: CliRunner, videos, cli_env, tmp_path: Path) -> None:
    labels = write_charades(tmp_path / "charades_sta_test.txt", TRUTHS, videos)
    result = run_eval(runner, str(labels), "--per-query")
    assert result.exit_code == 0, result.output
    rows = {line.split("  ")[0]: line for line in result.stdout.splitlines()}
    labels_shown = ("R1@0.3", "R1@0.5", "R1@0.7", "mIoU", "R5@0.5", "mAP", "mAP@0.5", "mAP@0.75")
    for label in (*labels_shown, "video R@1", "video R@5", "video R@10", "queries", "skipped"):
        assert label in rows, label
    assert "0.500" in rows["R1@0.3"] and "0.500" in rows["R1@0.7"] and "0.833" in rows["video R@1"]
    assert rows["queries"].split()[1] == "6" and rows["skipped"].split()[1] == "0"
    assert "green 0:06.0-0:11.0" in result.stdout  # --per-query: the first moment of "green"


def test_limit_one_makes_r5_the_same_as_r1(runner: CliRunner, videos, cli_env, tmp_path: Path) -> None:
    labels = write_vidseek(tmp_path / "labels.jsonl", TRUTHS, videos)
    overall = json.loads(run_eval(runner, str(labels), "--json", "--limit", "1").stdout)["overall"]
    assert overall["r5_at_0.5"] == overall["r1_at_0.5"] == 0.6
    assert overall["video_r_at_10"] == overall["video_r_at_1"] == 0.8


def test_unknown_videos_are_reported_and_their_queries_skipped(
    runner: CliRunner, videos, cli_env, tmp_path: Path
) -> None:
    labels = tmp_path / "labels.jsonl"
    write_vidseek(labels, TRUTHS[:1], videos)
    with labels.open("a") as f:
        f.write(json.dumps({"query": "yellow", "video": "/nowhere/gone.mp4", "start": 0, "end": 4}) + "\n")
        f.write(json.dumps({"query": "cyan", "video": "also-gone", "start": 0, "end": 4}) + "\n")
    result = run_eval(runner, str(labels), "--json")
    assert result.exit_code == 0, result.output
    assert "2 labelled video(s) are not in the library" in result.stderr
    assert "/nowhere/gone.mp4" in result.stderr and "also-gone" in result.stderr
    assert "2 queries skipped" in result.stderr
    body = json.loads(result.stdout)
    assert body["overall"]["queries"] == 1 and body["overall"]["skipped"] == 2
    assert [s["query"] for s in body["skipped"]] == ["yellow", "cyan"]
    assert body["missing_videos"] == ["/nowhere/gone.mp4", "also-gone"]


def test_no_labelled_video_in_the_library_is_refused(runner: CliRunner, cli_env, tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("AO8RW 0.0 6.9##a person is putting a book on a shelf.\n")
    result = run_eval(runner, str(labels))
    assert result.exit_code == 2
    assert "none of its 1 labelled video(s) is in the library" in result.output and "AO8RW" in result.output
    assert "Traceback" not in result.output


def test_ambiguous_stem_is_named_with_its_videos(runner: CliRunner, videos, cli_env, tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("clip 0 4##magenta\ngreen 6 11##green\n")
    result = run_eval(runner, str(labels), "--json")
    assert result.exit_code == 0, result.output
    assert "'clip' is ambiguous" in result.stderr and "full path" in result.stderr
    assert str(videos["a/clip"].resolve()) in result.stderr and str(videos["b/clip"].resolve()) in result.stderr
    body = json.loads(result.stdout)
    assert body["overall"]["queries"] == 1 and "matches 2 indexed videos" in body["skipped"][0]["reason"]


def test_malformed_line_is_named(runner: CliRunner, videos, cli_env, tmp_path: Path) -> None:
    labels = write_vidseek(tmp_path / "labels.jsonl", TRUTHS[:2], videos)
    labels.write_text(labels.read_text().replace('"end": 6', '"end": 6,'))
    result = run_eval(runner, str(labels))
    assert result.exit_code == 2
    assert f"{labels}, line 2: not valid JSON" in result.output and "Traceback" not in result.output


def test_empty_file_and_wrong_format_are_usage_errors(runner: CliRunner, videos, cli_env, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n")
    result = run_eval(runner, str(empty))
    assert result.exit_code == 2 and f"{empty}: the file is empty" in result.output
    labels = write_vidseek(tmp_path / "labels.jsonl", TRUTHS[:1], videos)
    result = run_eval(runner, str(labels), "--format", "charades")
    assert result.exit_code == 2 and "line 1: expected `VIDEOID START END##sentence`" in result.output
    assert run_eval(runner, str(tmp_path / "missing.jsonl")).exit_code == 2


def test_empty_index_says_to_index_first(runner: CliRunner, videos, tmp_path: Path, cli_env) -> None:
    labels = write_vidseek(tmp_path / "labels.jsonl", TRUTHS[:1], videos)
    result = runner.invoke(main, ["--data-dir", str(tmp_path / "nothing"), "eval", str(labels)])
    assert result.exit_code == 1 and "vidseek index" in result.output


# ------------------------------------------------------------------ reading labelled sets


def test_formats_are_detected_from_content(tmp_path: Path, videos) -> None:
    for fmt, write in WRITERS.items():
        path = write(tmp_path / "labels.data", TRUTHS, videos)  # the name says nothing
        detected, labels = read_labels(path)
        assert detected == fmt
        assert [(lb.query, Path(lb.video).name.removesuffix(".mp4"), lb.start, lb.end) for lb in labels] == [
            (t.query, t.video, t.start, t.end) for t in TRUTHS
        ]


def test_vidseek_lines_keep_line_numbers_and_skip_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(
        '\ufeff{"query": " a dog ", "video": "a.mp4", "start": 1, "end": 2.5}\n\n'
        '{"query": "a dog", "video": "b.mp4", "start": 0, "end": 1}\r\n'
    )
    fmt, labels = read_labels(path)
    assert fmt == "jsonl"
    assert labels == [Label("a dog", "a.mp4", 1.0, 2.5, 1), Label("a dog", "b.mp4", 0.0, 1.0, 3)]


def test_qvhighlights_gives_one_label_per_window(tmp_path: Path) -> None:
    path = tmp_path / "highlight_val_release.jsonl"
    path.write_text(
        json.dumps(
            {
                "qid": 2579,
                "query": "A girl and her mother cooked while talking with each other.",
                "duration": 150,
                "vid": "j7rJstUseKg_360.0_510.0",
                "relevant_windows": [[96, 114], [0, 2]],
            }
        )
        + "\n"
    )
    assert read_labels(path) == (
        "qvhighlights",
        [
            Label(
                "A girl and her mother cooked while talking with each other.",
                "j7rJstUseKg_360.0_510.0",
                96.0,
                114.0,
                1,
                2579,
            ),
            Label(
                "A girl and her mother cooked while talking with each other.",
                "j7rJstUseKg_360.0_510.0",
                0.0,
                2.0,
                1,
                2579,
            ),
        ],
    )


def test_charades_lines(tmp_path: Path) -> None:
    path = tmp_path / "charades_sta_test.txt"
    path.write_text(
        "3MSZA 24.3 30.4##person turn a light on.\nAO8RW  0.0 6.9##a person is putting a book on a shelf.\n"
    )
    assert read_labels(path) == (
        "charades",
        [
            Label("person turn a light on.", "3MSZA", 24.3, 30.4, 1),
            Label("a person is putting a book on a shelf.", "AO8RW", 0.0, 6.9, 2),
        ],
    )


@pytest.mark.parametrize(
    "content, fmt, problem",
    [
        (
            '{"query": "a", "video": "v", "start": 0, "end": 1}\n{"query": "a", "video": "v", "start": 0}\n',
            None,
            'line 2: missing "end"',
        ),
        ('{"query": "a", "video": "v", "start": 3, "end": 1}\n', None, "line 1: start 3 is not before end 1"),
        (
            '{"query": "a", "video": "v", "start": "0:03", "end": 5}\n',
            None,
            "line 1: start must be a number of seconds",
        ),
        ('{"query": "", "video": "v", "start": 0, "end": 1}\n', None, "line 1: query must be a non-empty text"),
        ('{"query": "a", "video": "v", "start": -1, "end": 1}\n', None, "line 1: start -1 is negative"),
        (
            '{"query": "a", "video": "v", "start": 0, "end": 1}\n[1, 2]\n',
            None,
            "line 2: expected a JSON object, found list",
        ),
        (
            '{"query": "a", "video": "v", "start": 0, "end": 1}\n{"qid": 1, "query": "a", "vid": "v"}\n',
            None,
            'line 2: missing "video", "start", "end"',
        ),
        ('{"qid": 1, "query": "a", "duration": 150, "vid": "v"}\n', None, "use highlight_test_with_gt.jsonl"),
        (
            '{"qid": 1, "query": "a", "vid": "v", "relevant_windows": [[1, 2, 3]]}\n',
            None,
            "relevant_windows[0] must be [start, end]",
        ),
        ('{"qid": 1, "query": "a", "vid": "v", "relevant_windows": []}\n', None, "must be a non-empty list"),
        (
            "3MSZA 24.3 30.4##person turn a light on.\n3MSZA 24.3##no end\n",
            None,
            "line 2: expected `VIDEOID START END##",
        ),
        ("3MSZA 24.3 x##person\n", None, "line 1: END 'x' is not a number of seconds"),
        ("3MSZA 24.3 30.4##   \n", None, "line 1: sentence must be a non-empty text"),
        ("just some words\n", None, "line 1: cannot tell the format"),
        ('{"name": "x"}\n', None, "line 1: cannot tell the format"),
    ],
)
def test_bad_input_names_the_line_and_the_problem(tmp_path: Path, content: str, fmt: str | None, problem: str) -> None:
    path = tmp_path / "labels.txt"
    path.write_text(content)
    with pytest.raises(AnnotationError) as caught:
        read_labels(path, fmt)
    assert str(caught.value).startswith(f"{path}, line ") and problem in str(caught.value)


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt"
    path.write_bytes(b"3MSZA 24.3 30.4##caf\xe9\n")
    with pytest.raises(AnnotationError, match="not UTF-8"):
        read_labels(path)


# ------------------------------------------------------------------ matching to the library


def test_matcher_by_path_then_stem(tmp_path: Path) -> None:
    library = [
        str(tmp_path / "v" / "a.mp4"),
        str(tmp_path / "v" / f"{QV_STEM}.mp4"),
        str(tmp_path / "x" / "c.mp4"),
        str(tmp_path / "y" / "c.mkv"),
    ]
    matcher = VideoMatcher(library, base_dirs=[tmp_path])
    assert matcher.match(library[0]) == library[0]
    assert matcher.match("v/a.mp4") == library[0]  # relative to a base dir
    assert matcher.match("a") == matcher.match("elsewhere/a.mov") == library[0]  # by stem
    assert matcher.match(QV_STEM) == library[1]  # not cut at its last dot
    assert matcher.match("x/c.mp4") == library[2]  # the exact path wins over the ambiguous stem
    assert matcher.match("c") == sorted(library[2:])
    assert matcher.match("nope") is None


def test_match_groups_truths_and_drops_unindexed_ones(tmp_path: Path) -> None:
    labels = [
        Label("dog", "a", 0, 1, 1),
        Label("cat", "gone", 0, 1, 2),
        Label("dog", "gone", 2, 3, 3),
        Label("dog", "a", 5, 6, 4),
        Label("bird", "c", 0, 1, 5),
    ]
    matcher = VideoMatcher(["/v/a.mp4", "/x/c.mp4", "/y/c.mp4"])
    labelled = match_to_library(tmp_path / "l.jsonl", "jsonl", labels, matcher)
    assert labelled.queries == [LabelledQuery("dog", [Span("/v/a.mp4", 0, 1), Span("/v/a.mp4", 5, 6)], (1, 3, 4))]
    assert [(s.query, s.videos, s.lines) for s in labelled.skipped] == [("cat", ["gone"], (2,)), ("bird", ["c"], (5,))]
    assert "matches 2 indexed videos" in labelled.skipped[1].reason
    assert labelled.missing == ["gone"] and labelled.ambiguous == {"c": ["/x/c.mp4", "/y/c.mp4"]}


def test_load_labelled_set_resolves_paths_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "sets").mkdir()
    path = tmp_path / "sets" / "labels.jsonl"
    path.write_text('{"query": "dog", "video": "../v/a.mp4", "start": 0, "end": 1}\n')
    indexed = str((tmp_path / "v" / "a.mp4").resolve())
    labelled = load_labelled_set(path, [indexed, "/other/a.mp4"])  # the stem alone would be ambiguous
    assert labelled.queries == [LabelledQuery("dog", [Span(indexed, 0, 1)], (1,))] and labelled.skipped == []


# ------------------------------------------------------------------ scoring


class _Video:
    def __init__(self, path: str) -> None:
        self.path = path


class _Moment:
    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = start, end


class _Hit:
    def __init__(self, path: str, start: float, end: float) -> None:
        self.video, self.moment = _Video(path), _Moment(start, end)


class _Outcome:
    def __init__(self, hits: list[_Hit]) -> None:
        self.hits = hits


class FakeEngine:
    """Answers from a table, recording what it was asked."""

    def __init__(self, answers: dict[str, list[_Hit]]) -> None:
        self.answers, self.calls = answers, []

    def search(self, text: str, *, limit: int = 10, min_relevance: str = "medium") -> _Outcome:
        self.calls.append((text, limit, min_relevance))
        return _Outcome(self.answers.get(text, [])[:limit])


def test_evaluate_scores_each_query_and_summarizes() -> None:
    engine = FakeEngine({"dog": [_Hit("/a.mp4", 0, 4)], "cat": [_Hit("/b.mp4", 0, 2), _Hit("/a.mp4", 10, 12)]})
    queries = [
        LabelledQuery("dog", [Span("/a.mp4", 0, 4)]),
        LabelledQuery("cat", [Span("/a.mp4", 10, 14)]),
        LabelledQuery("bird", [Span("/a.mp4", 0, 1)]),
    ]
    result = evaluate(engine, queries, limit=5, min_relevance="low")
    assert engine.calls == [("dog", 5, "low"), ("cat", 5, "low"), ("bird", 5, "low")]
    assert [(q.score.top_iou, q.score.video_rank) for q in result.queries] == [(1.0, 1), (0.0, 2), (0.0, None)]
    assert result.queries[1].top == Span("/b.mp4", 0, 2) and result.queries[2].top is None
    assert result.overall["r1_at_0.5"] == 0.3333 and result.overall["r5_at_0.5"] == 0.6667
    assert result.overall["video_r_at_5"] == 0.6667 and result.overall["queries"] == 3


# ------------------------------------------------------------------ each line its own query


def test_charades_lines_sharing_a_sentence_are_separate_queries_searched_once(tmp_path: Path) -> None:
    path = tmp_path / "charades_sta_test.txt"
    path.write_text(
        "AAAAA 0.0 4.0##person closes the door.\n"
        "BBBBB 0.0 4.0##person closes the door.\n"
        "CCCCC 0.0 4.0##person closes the door.\n"  # not indexed: this line alone is skipped
        "AAAAA 5.0 9.0##person sits down.\n"
    )
    fmt, labels = read_labels(path)
    labelled = match_to_library(path, fmt, labels, VideoMatcher(["/v/AAAAA.mp4", "/v/BBBBB.mp4"]))
    assert [(q.query, q.lines) for q in labelled.queries] == [
        ("person closes the door.", (1,)),
        ("person closes the door.", (2,)),
        ("person sits down.", (4,)),
    ]
    assert [(s.query, s.lines) for s in labelled.skipped] == [("person closes the door.", (3,))]
    engine = FakeEngine({"person closes the door.": [_Hit("/v/AAAAA.mp4", 0, 4)]})
    result = evaluate(engine, labelled.queries, limit=5)
    assert [call[0] for call in engine.calls] == ["person closes the door.", "person sits down."]  # once each
    # Line 1 is found (IoU 1), line 2's video is not the first result, line 4 finds nothing: 1 of 3.
    assert [q.score.top_iou for q in result.queries] == [1.0, 0.0, 0.0]
    assert result.overall["r1_at_0.5"] == 0.3333 and result.overall["queries"] == 3


def test_qvhighlights_qids_are_queries_even_when_their_texts_match(tmp_path: Path) -> None:
    path = tmp_path / "highlight_val_release.jsonl"
    rows = [
        {"qid": 7, "query": "A dog runs.", "vid": "aaa_0.0_150.0", "relevant_windows": [[0, 4], [10, 14]]},
        {"qid": 8, "query": "A dog runs.", "vid": "bbb_0.0_150.0", "relevant_windows": [[2, 6]]},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    fmt, labels = read_labels(path)
    matcher = VideoMatcher(["/v/aaa_0.0_150.0.mp4", "/v/bbb_0.0_150.0.mp4"])
    labelled = match_to_library(path, fmt, labels, matcher)
    assert [(q.qid, len(q.truths)) for q in labelled.queries] == [(7, 2), (8, 1)]


def test_vidseek_lines_sharing_a_text_stay_one_query(tmp_path: Path) -> None:
    labels = [Label("dog", "a", 0, 1, 1), Label("dog", "b", 0, 1, 2)]
    labelled = match_to_library(tmp_path / "l.jsonl", "jsonl", labels, VideoMatcher(["/v/a.mp4", "/v/b.mp4"]))
    assert labelled.queries == [LabelledQuery("dog", [Span("/v/a.mp4", 0, 1), Span("/v/b.mp4", 0, 1)], (1, 2))]


# ------------------------------------------------------------------ R1@0.3 and mAP, by hand


MAP_QUERIES = [
    LabelledQuery("q1", [Span("/v.mp4", 0, 10), Span("/v.mp4", 20, 30)]),
    LabelledQuery("q2", [Span("/v.mp4", 10, 20)]),
    LabelledQuery("q3", [Span("/v.mp4", 0, 10)]),
    LabelledQuery("q4", [Span("/v.mp4", 0, 10)]),
]
MAP_ANSWERS = {
    "q1": [_Hit("/w.mp4", 0, 10), _Hit("/v.mp4", 0, 10), _Hit("/v.mp4", 0, 5), _Hit("/v.mp4", 20, 27.8)],
    "q2": [_Hit("/v.mp4", 10, 15.6), _Hit("/v.mp4", 10, 20)],
    "q3": [_Hit("/v.mp4", 0, 4)],
    "q4": [],
}


def test_average_precision_per_query_by_hand() -> None:
    result = evaluate(FakeEngine(MAP_ANSWERS), MAP_QUERIES, limit=10)
    aps = [q.score.average_precisions for q in result.queries]
    # q1: two true moments, T1 = 0-10 and T2 = 20-30. In rank order:
    #   1. another video: false.  2. 0-10: IoU 1 with T1: true.  3. 0-5: IoU 0.5 with T1, taken
    #   already; IoU 0 with T2: false.  4. 20-27.8: IoU 7.8 / 10 = 0.78 with T2: true up to 0.75.
    #   Thresholds 0.5 .. 0.75 (6): F T F T, precision 0, 1/2, 1/3, 2/4, made non-increasing from
    #   the end: 1/2, 1/2, 1/2, 1/2; recall steps 1/2 at ranks 2 and 4: AP = 1/2 * 1/2 + 1/2 * 1/2 = 0.5.
    #   Thresholds 0.8 .. 0.95 (4): F T F F: AP = 1/2 * max(1/2, 1/3, 1/4) = 0.25.
    assert aps[0] == (0.5,) * 6 + (0.25,) * 4
    # q2: one true moment 10-20. 1. 10-15.6: IoU 0.56.  2. 10-20: IoU 1.
    #   Thresholds 0.5, 0.55: rank 1 is true, rank 2 finds its moment taken: false. AP = 1.
    #   Thresholds 0.6 .. 0.95 (8): rank 1 false, rank 2 true, precision 1/2: AP = 0.5.
    assert aps[1] == (1.0, 1.0) + (0.5,) * 8
    # q3: IoU 0.4 < 0.5 everywhere: AP 0.  q4: no result: AP 0.
    assert aps[2] == aps[3] == (0.0,) * 10


def test_r1_at_03_and_map_over_queries_by_hand() -> None:
    overall = evaluate(FakeEngine(MAP_ANSWERS), MAP_QUERIES, limit=10).overall
    # first moments' IoU: q1 0 (another video), q2 0.56, q3 0.4, q4 none (0)
    assert overall["r1_at_0.3"] == 0.5  # q2, q3: 2 / 4
    assert overall["r1_at_0.5"] == 0.25  # q2: 1 / 4
    assert overall["miou"] == 0.24  # (0 + 0.56 + 0.4 + 0) / 4
    # per query mean AP: q1 (6 * 0.5 + 4 * 0.25) / 10 = 0.4, q2 (2 * 1 + 8 * 0.5) / 10 = 0.6, q3 0, q4 0
    assert overall["map"] == 0.25  # (0.4 + 0.6 + 0 + 0) / 4
    assert overall["map_at_0.5"] == 0.375  # (0.5 + 1 + 0 + 0) / 4
    assert overall["map_at_0.75"] == 0.25  # (0.5 + 0.5 + 0 + 0) / 4


def test_map_counts_the_first_ten_moments_only() -> None:
    truths = [Span("/v.mp4", 0, 10)]
    ranked = [Span("/w.mp4", 0, 10)] * 10 + [Span("/v.mp4", 0, 10)]
    # the true moment is the 11th: R5 misses it, AP (of the first 10, as QVHighlights scores) is 0
    assert score_query(ranked, truths).average_precisions == (0.0,) * 10
    # as the 10th: precision 1/10 at recall 1: AP = 0.1
    assert score_query(ranked[1:], truths).average_precisions == (0.1,) * 10


# ------------------------------------------------------------------ Charades copies with extra fields


def test_charades_lines_with_extra_fields_before_the_sentence(tmp_path: Path) -> None:
    path = tmp_path / "charades_sta_test.txt"
    path.write_text("3MSZA 24.3 30.4 0##person turn a light on.\nAO8RW 0.0 6.9 1 x##a person sits.\n")
    assert read_labels(path) == (
        "charades",
        [Label("person turn a light on.", "3MSZA", 24.3, 30.4, 1), Label("a person sits.", "AO8RW", 0.0, 6.9, 2)],
    )


# ------------------------------------------------------------------ hostile input


def _vidseek_line(**fields: str) -> str:
    """A vidseek line whose values are raw JSON text (to hold what json.dumps would not write)."""
    values = {"query": '"a"', "video": '"v"', "start": "0", "end": "1", **fields}
    return "{" + ", ".join(f'"{k}": {v}' for k, v in values.items()) + "}\n"


LONG = "x" * 20_000


def _user_exists(name: str) -> bool:
    pwd = pytest.importorskip("pwd")
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.mark.parametrize(
    "content, problem",
    [
        (_vidseek_line(end="[" * 200_000 + "]" * 200_000), "nested too deeply"),
        (_vidseek_line(end="9" * 401), "is too large for a number of seconds"),
        (_vidseek_line(end="9" * 5000), "a number with too many digits"),
        (_vidseek_line(video='"v\\u0000x.mp4"'), "contains a NUL character"),
        (_vidseek_line(video='"~nouser/x.mp4"'), "no home folder for user 'nouser'"),
        (_vidseek_line(video='"\\ud800.mp4"'), "not valid Unicode"),
        (f"VID 0 {'9' * 5000}##a\n", "is not a finite number of seconds"),
        (_vidseek_line(video=json.dumps([LONG])), "(20,004 characters)"),
        (f"VID 0 {LONG}##a\n", "(20,000 characters)"),
    ],
)
def test_hostile_input_is_one_short_line_and_exit_2(
    content: str, problem: str, runner: CliRunner, cli_env, tmp_path: Path
) -> None:
    if "~nouser" in content and _user_exists("nouser"):
        pytest.skip("this machine has a user 'nouser'")
    labels = tmp_path / "labels.txt"
    labels.write_text(content)
    result = run_eval(runner, str(labels))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    message = result.output.strip()
    assert "\n" not in message and problem in message and len(message) < 300 + len(str(labels))


def test_long_video_names_are_cut_where_they_are_echoed(runner: CliRunner, videos, cli_env, tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text(f"{LONG} 0 4##magenta\n")
    result = run_eval(runner, str(labels))  # no labelled video is indexed: refused, naming it
    assert result.exit_code == 2 and "(20,000 characters)" in result.output and len(result.output) < 600
    labels.write_text(f"green 6 11##green\n{LONG} 0 4##magenta\n")
    result = run_eval(runner, str(labels))  # one is: a warning names the other
    assert result.exit_code == 0, result.output
    assert "(20,000 characters)" in result.stderr and len(result.stderr) < 600


# ------------------------------------------------------------------ unknown videos, FIFOs


class CountingName(str):
    """A video name that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountingName.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


@pytest.mark.parametrize("fmt, same_text", [("charades", False), ("jsonl", True)])
def test_matching_unknown_videos_is_linear(fmt: str, same_text: bool, tmp_path: Path) -> None:
    n = 2000
    labels = [
        Label("q" if same_text else f"q{i}", CountingName(f"gone{i}"), 0, 1, i + 1) for i in range(n)
    ]  # every name unknown; with a list of names seen, ~n * n / 2 comparisons
    matcher = VideoMatcher(["/v/a.mp4"])
    CountingName.comparisons = 0
    labelled = match_to_library(tmp_path / "labels", fmt, labels, matcher)
    assert len(labelled.missing) == n and CountingName.comparisons <= 10 * n


def test_each_video_name_is_looked_up_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []
    original = VideoMatcher._look_up
    monkeypatch.setattr(VideoMatcher, "_look_up", lambda self, name: looked_up.append(name) or original(self, name))
    labels = [Label(f"q{i}", "gone" if i % 2 else "a", 0, 1, i + 1) for i in range(500)]
    labelled = match_to_library(tmp_path / "labels", "charades", labels, VideoMatcher(["/v/a.mp4"]))
    assert sorted(looked_up) == ["a", "gone"] and len(labelled.queries) == len(labelled.skipped) == 250


def test_a_fifo_is_refused_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "labels.jsonl"
    os.mkfifo(fifo)
    outcome: dict[str, str] = {}

    def read() -> None:
        try:
            read_labels(fifo)
        except AnnotationError as exc:
            outcome["error"] = str(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=60)
    if reader.is_alive():  # it opened the FIFO and waits for a writer: be one, so the thread ends
        with open(fifo, "w"):
            pass
        reader.join()
        pytest.fail("read_labels opened the FIFO and blocked")
    assert outcome["error"] == f"{fifo}: not a regular file (a FIFO): save the labelled set to a file and name that"


def test_eval_refuses_a_fifo_in_one_line(cli_env, tmp_path: Path) -> None:
    fifo = tmp_path / "labels.jsonl"
    os.mkfifo(fifo)
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "eval", str(fifo)],
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=120,  # a guard against the old hang, not a measure
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2 and proc.stderr.strip() == f"Error: {fifo}: not a regular file (a FIFO): " + (
        "save the labelled set to a file and name that"
    )


def test_a_qid_that_is_not_an_integer_or_a_text_is_named(tmp_path: Path) -> None:
    path = tmp_path / "highlight_val_release.jsonl"
    path.write_text('{"qid": [1], "query": "a", "vid": "v", "relevant_windows": [[0, 2]]}\n')
    with pytest.raises(AnnotationError, match=r'line 1: "qid" must be an integer or a text, not \[1\]'):
        read_labels(path)
