"""GET /api/search?modality=visual|speech|all and the CLI's --modality on a library with known answers:
colour videos (the colour encoder) whose subtitles (sidecar files and a muxed stream) say known lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from media import Segment, make_video
from readers import fcpxml_clips, read_csv, read_edl, read_otio
from subtitle_media import Track, make_subtitled_video

from cli.main import main as cli
from search_api.http.app import create_app
from search_api.http.schemas import TextSearch
from search_api.search.engine import SearchEngine
from search_api.search.fusion import RRF_K
from search_api.search.moments import answer
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage.library import Library

from .conftest import COLOUR_MODEL, colour_settings, index_videos


@dataclass(frozen=True)
class Talking:
    client: TestClient
    settings: Settings
    ids: dict[str, int]


def _make_library(root: Path) -> dict[str, Path]:
    """door: red 0-4 s, then blue; says "a red door" over the red and "we missed the deadline" later.
    balloon: green; says "the red balloon". alert: white, with a subrip stream: "red alert", "deadline tomorrow"."""
    door = make_video(root / "door.mp4", [Segment("red", 4), Segment("blue", 8)], fps=25)  # an EDL rate
    (root / "door.en.srt").write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nA red door\n\n"
        "2\n00:00:08,000 --> 00:00:09,000\nWe missed the deadline.\n\n"
        "3\n00:00:09,500 --> 00:00:10,500\nAgain!\n"
    )
    balloon = make_video(root / "balloon.mp4", [Segment("green", 8)])
    (root / "balloon.vtt").write_text("WEBVTT\n\n00:02.000 --> 00:03.000\nthe <b>red</b> balloon\n")
    alert = make_subtitled_video(
        root / "alert.mkv",
        [Segment("white", 10)],
        [Track("subrip", [(1.0, 2.0, "red alert"), (5.0, 6.0, "deadline tomorrow")], "eng")],
    )
    return {"door": door, "balloon": balloon, "alert": alert}


@pytest.fixture(scope="module")
def talking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Talking]:
    paths = _make_library(tmp_path_factory.mktemp("talking-videos"))
    settings = colour_settings(tmp_path_factory.mktemp("talking-data"))
    index_videos(settings, list(paths.values()))
    with TestClient(create_app(settings)) as client:
        listing = client.get("/api/videos").json()["videos"]
        ids = {name: next(v["id"] for v in listing if Path(v["path"]) == p.resolve()) for name, p in paths.items()}
        yield Talking(client, settings, ids)


def _search(talking: Talking, **params) -> dict:  # noqa: ANN003
    response = talking.client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _moments(body: dict, ids: dict[str, int]) -> list[tuple]:
    names = {v: k for k, v in ids.items()}
    return [(names[r["video"]["id"]], r["start"], r["end"], r.get("matched"), r.get("quote")) for r in body["results"]]


def test_visual_answers_as_before_without_the_new_fields(talking: Talking) -> None:
    body = _search(talking, q="red", modality="visual")
    assert _moments(body, talking.ids) == [("door", 0.0, 4.0, None, None)]
    assert "modality" not in body and all("matched" not in r and "quote" not in r for r in body["results"])


def test_speech_finds_the_phrase_said_with_its_line_and_merges_the_next_line(talking: Talking) -> None:
    body = _search(talking, q='"we missed the deadline"', modality="speech")
    assert body["modality"] == "speech"
    assert _moments(body, talking.ids) == [
        ("door", 8.0, 9.0, ["speech"], "We missed the deadline."),
    ]
    moment = body["results"][0]
    assert moment["fused"] == round(1 / (RRF_K + 1), 6) and moment["relevance"] in ("high", "medium", "low")
    assert moment["curve"]["scores"] and moment["clip_id"] is not None
    assert moment["video_url"].endswith("/stream#t=8.0,9.0")
    assert _moments(_search(talking, q="deadline again", modality="speech"), talking.ids) == []  # not one cue
    prefix = _moments(_search(talking, q="dead*", modality="speech"), talking.ids)
    assert sorted(prefix) == [
        ("alert", 5.0, 6.0, ["speech"], "deadline tomorrow"),
        ("door", 8.0, 9.0, ["speech"], "We missed the deadline."),
    ]


def test_all_fuses_the_red_seen_and_said_into_one_moment_first(talking: Talking) -> None:
    body = _search(talking, q="red")  # modality=all is the default
    found = _moments(body, talking.ids)
    assert body["modality"] == "all"
    assert found[0] == ("door", 0.0, 4.0, ["visual", "speech"], "A red door")
    assert body["results"][0]["fused"] > 1 / (RRF_K + 1)  # above what any one signal gives
    speech_only = [m for m in found if m[3] == ["speech"]]
    assert sorted(speech_only) == [
        ("alert", 1.0, 2.0, ["speech"], "red alert"),
        ("balloon", 2.0, 3.0, ["speech"], "the red balloon"),
    ]
    assert all(m[3] for m in found)
    spans = [(r["video"]["id"], r["start"], r["end"]) for r in body["results"]]
    for i, (vid, start, end) in enumerate(spans):  # distinct moments
        assert not any(v == vid and s < end and start < e for v, s, e in spans[i + 1 :])
    fused = [r["fused"] for r in body["results"]]
    assert fused == sorted(fused, reverse=True)
    # pages are cut from one list
    pages = [_search(talking, q="red", limit=1, offset=i)["results"][0] for i in range(3)]
    assert [(r["video"]["id"], r["start"]) for r in pages] == [(v, s) for v, s, _ in spans[:3]]


def test_a_query_no_cue_matches_is_the_visual_answer(talking: Talking) -> None:
    all_body, visual_body = _search(talking, q="blue"), _search(talking, q="blue", modality="visual")
    assert "modality" not in all_body
    strip = lambda b: {k: v for k, v in b.items() if k != "took_ms"}  # noqa: E731
    assert strip(all_body) == strip(visual_body)


def test_filters_grouping_and_bad_modality(talking: Talking) -> None:
    only_alert = _search(talking, q="red", modality="speech", video_id=talking.ids["alert"])
    assert _moments(only_alert, talking.ids) == [("alert", 1.0, 2.0, ["speech"], "red alert")]
    grouped = _search(talking, q="red", group_by="video")
    assert grouped["groups"][0]["video"]["id"] == talking.ids["door"]
    assert grouped["groups"][0]["moments"][0]["matched"] == ["visual", "speech"]
    response = talking.client.get("/api/search", params={"q": "red", "modality": "audio"})
    assert response.status_code == 422 and "modality" in response.text


def test_the_cli_searches_speech_too(talking: Talking, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDSEEK_DATA_DIR", str(talking.settings.data_dir))
    monkeypatch.setenv("VIDSEEK_MODEL", COLOUR_MODEL)
    result = CliRunner().invoke(cli, ["search", '"missed the"', "--modality", "speech", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [(r["start"], r["quote"]) for r in body["results"]] == [(8.0, "We missed the deadline.")]
    result = CliRunner().invoke(cli, ["search", "dead*", "--modality", "speech"])
    assert result.exit_code == 0 and 'speech: "deadline tomorrow"' in result.output
    result = CliRunner().invoke(cli, ["search", "red", "--modality", "sound"])
    assert result.exit_code == 2 and "--modality" in result.output


def test_fusion_on_both_backends(db_settings: Settings, tmp_path: Path) -> None:
    settings = db_settings.model_copy(update={"sample_fps": 1.0, "clip_seconds": 4.0, "clip_stride": 2.0})
    paths = _make_library(tmp_path / "videos")
    index_videos(settings, list(paths.values()))
    library = Library(settings, notify=lambda m: None)
    engine = SearchEngine(library, load_encoder(settings.model))
    body = answer(engine, "red", "red", TextSearch(q="red", min_relevance="low")).model_dump(exclude_unset=True)
    first = body["results"][0]
    assert (Path(first["video"]["path"]).name, first["start"], first["end"]) == ("door.mp4", 0.0, 4.0)
    assert first["matched"] == ["visual", "speech"] and first["quote"] == "A red door"
    said = TextSearch(q='"red balloon"', modality="speech")
    [only] = answer(engine, "red balloon", "red balloon", said).model_dump()["results"]
    assert (Path(only["video"]["path"]).name, only["start"], only["end"]) == ("balloon.mp4", 2.0, 3.0)


def test_exports_carry_the_quote_and_a_visual_export_is_unchanged(talking: Talking) -> None:
    rows = read_csv(_get(talking, "/api/export.csv", q="red"))
    assert (rows[0]["title"], rows[0]["matched"], rows[0]["quote"]) == ("door", "visual+speech", "A red door")
    assert {(r["title"], r["quote"]) for r in rows[1:]} == {("alert", "red alert"), ("balloon", "the red balloon")}
    visual = _get(talking, "/api/export.csv", q="red", modality="visual")
    assert visual.splitlines()[0].endswith("peak_timecode") and "A red door" not in visual
    timeline = read_otio(_get(talking, "/api/export.otio", q="red"))
    first = next(iter(timeline.tracks[0]))
    assert [(m.name, m.comment) for m in first.markers] == [("A red door", "A red door")]
    assert list(first.metadata["vidseek"]["matched"]) == ["visual", "speech"]
    seen = read_otio(_get(talking, "/api/export.otio", q="red", modality="visual"))
    visual_clip = next(iter(seen.tracks[0]))
    assert list(visual_clip.markers) == [] and "matched" not in visual_clip.metadata["vidseek"]
    edl = _get(talking, "/api/export.edl", q='"missed the deadline"', modality="speech")
    assert "* LOC: 00:00:08:00 GREEN   WE MISSED THE DEADLINE." in edl
    [said] = read_edl(edl, 25).find_clips()
    assert [marker.name for marker in said.markers] == ["WE MISSED THE DEADLINE."]


def _get(talking: Talking, path: str, **params) -> str:  # noqa: ANN003
    response = talking.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.text


def _post(talking: Talking, **body) -> dict:  # noqa: ANN003
    response = talking.client.post("/api/search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_visual_post_answers_without_the_speech_fields(talking: Talking) -> None:
    body = _post(talking, q="red", modality="visual")
    assert body["results"] and "modality" not in body
    assert all(not {"matched", "quote", "fused"} & set(r) for r in body["results"])


@pytest.mark.parametrize(
    "params",
    [
        {"q": '"we missed the deadline"', "modality": "speech"},
        {"q": "red", "modality": "speech", "video_id": ["alert"], "min_relevance": "low"},
        {"q": "red"},  # all, the default of both
        {"q": "red", "modality": "all", "group_by": "video", "limit": 2},
        {"q": "red", "modality": "visual", "min_score": 0.2},
    ],
)
def test_post_searches_the_signals_get_does_with_the_same_parameters(talking: Talking, params: dict) -> None:
    if "video_id" in params:  # videos by name here, by id in the request
        params = {**params, "video_id": [talking.ids[name] for name in params["video_id"]]}
    strip = lambda b: {k: v for k, v in b.items() if k != "took_ms"}  # noqa: E731
    assert strip(_post(talking, **params)) == strip(_search(talking, **params))


def test_post_speech_matches_each_phrase_by_its_words(talking: Talking) -> None:
    body = _post(talking, positive=["red alert", '"missed the deadline"'], modality="speech")
    assert body["modality"] == "speech"
    assert sorted(_moments(body, talking.ids)) == [
        ("alert", 1.0, 2.0, ["speech"], "red alert"),
        ("door", 8.0, 9.0, ["speech"], "We missed the deadline."),
    ]


def test_post_refuses_what_it_does_not_know(talking: Talking) -> None:
    misspelt = talking.client.post("/api/search", json={"q": "red", "modalty": "speech"})
    assert misspelt.status_code == 422 and "modalty" in misspelt.json()["detail"]
    wrong = talking.client.post("/api/search", json={"q": "red", "modality": "audio"})
    assert wrong.status_code == 422 and wrong.json()["detail"].startswith("modality:")


def test_editors_exports_cut_speech_and_widened_moments_on_whole_lines(talking: Talking) -> None:
    """A moment speech found starts and ends on its line (8 s to 9 s: frames 200 to 225 at 25 fps);
    ``lines=whole`` leaves a visual moment whose lines lie inside it as it is (widening across a line's edge:
    tests/api/test_editor_exports.py)."""
    said = fcpxml_clips(
        talking.client.get("/api/export.fcpxml", params={"q": '"missed the deadline"', "modality": "speech"}).content
    )
    assert [(c["start"], c["seconds"] * 25, c["markers"][0][3]) for c in said] == [(200, 25, "We missed the deadline.")]
    params = {"q": "blue", "modality": "visual", "video_id": talking.ids["door"], "limit": 1}
    [seen] = talking.client.get("/api/search", params=params).json()["results"]
    [whole] = fcpxml_clips(talking.client.get("/api/export.fcpxml", params={**params, "lines": "whole"}).content)
    assert (seen["frames"]["start"], seen["frames"]["end"]) == (100, 300)  # the blue, 4 s to 12 s
    assert (whole["start"], whole["seconds"] * 25) == (100, 200)  # its lines (8-9 s, 9.5-10.5 s) lie inside it
