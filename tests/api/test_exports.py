"""Exports of a query's moments that OpenTimelineIO reads back, at each file's own frame rate: one EDL per
rate (a zip when there are several), drop-frame where the rate is, one-line comments, CSV a spreadsheet
reads as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from moment_spans import moment_span
from readers import read_csv, read_edl, read_edl_zip, read_otio, source_frames

from api.conftest import ServedLibrary
from search_api.exports.edl import edl_files, edl_rate, one_line, to_edl
from search_api.exports.formats import ExportProblem, to_csv
from vidseek.timecode import counting_rate

EVENT = re.compile(r"^\d{3}  \S+ +V +C +(\S+) (\S+) (\S+) (\S+)$", re.MULTILINE)
"""A cut event's line: its source in, source out, record in, record out."""


def _moments(client: TestClient, **params) -> list[dict]:
    return client.get("/api/search", params=params).json()["results"]


def test_otio_has_each_moment_at_its_file_rate(client: TestClient, served: ServedLibrary) -> None:
    params = {"q": "magenta red", "limit": 3}
    moments = _moments(client, **params)
    response = client.get("/api/export.otio", params=params)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="vidseek-magenta-red.otio"'
    timeline = read_otio(response.text)
    assert source_frames(timeline) == [
        (m["frames"]["start"], m["frames"]["end"], pytest.approx(m["fps"], abs=1e-3)) for m in moments
    ]
    rates = {m["video"]["title"]: r for m, (_, _, r) in zip(moments, source_frames(timeline))}
    assert rates["magenta"] == pytest.approx(30000 / 1001) and rates["red twice"] == 25.0
    clip = timeline.find_clips()[0]
    assert clip.media_reference.target_url == served.paths["red"].as_uri()
    assert clip.metadata["vidseek"]["video_id"] == served.ids["red"]


def test_edl_source_in_and_out_points(client: TestClient, served: ServedLibrary) -> None:
    params = {"q": "red", "limit": 2, "video_id": served.ids["red"]}
    moments = _moments(client, **params)
    response = client.get("/api/export.edl", params=params)
    assert response.status_code == 200 and response.headers["content-disposition"].endswith('.edl"')
    assert response.headers["content-type"].startswith("text/plain")
    assert "001  redtwice V     C        00:00:02:00 00:00:06:00 00:00:00:00 00:00:04:00" in response.text
    assert response.text.splitlines()[:2] == ["TITLE: red", "FCM: NON-DROP FRAME"]
    timeline = read_edl(response.text, 25)
    assert source_frames(timeline) == [(m["frames"]["start"], m["frames"]["end"], 25.0) for m in moments]
    assert [(50, 150), (300, 400)] == [(s, e) for s, e, _ in source_frames(timeline)]


def test_edl_at_29_97_is_drop_frame(client: TestClient, served: ServedLibrary) -> None:
    params = {"q": "magenta", "limit": 1, "video_id": served.ids["magenta"]}
    moment = _moments(client, **params)[0]
    edl = client.get("/api/export.edl", params=params).text
    assert edl.splitlines()[1] == "FCM: DROP FRAME"
    [(source_in, source_out, record_in, record_out)] = EVENT.findall(edl)
    assert (source_in, source_out) == (moment["timecode"]["start"], moment["timecode"]["end"])
    assert ";" in source_in + source_out + record_in + record_out and ":" not in source_in[-3:] + record_out[-3:]
    timeline = read_edl(edl, 29.97)
    assert source_frames(timeline)[0][:2] == (moment["frames"]["start"], moment["frames"]["end"])


def test_moments_at_several_rates_are_a_zip_of_one_edl_per_rate(client: TestClient) -> None:
    params = {"q": "magenta red", "limit": 3}
    moments = _moments(client, **params)
    assert {m["fps"] for m in moments} == {25.0, 29.97}
    response = client.get("/api/export.edl", params=params)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="vidseek-magenta-red.zip"'
    edls = read_edl_zip(response.content)
    assert list(edls) == ["vidseek-magenta-red-25fps.edl", "vidseek-magenta-red-29.97fps.edl"]
    for rate, timeline in edls.values():
        mine = [m for m in moments if counting_rate(m["fps"]) == rate]
        assert source_frames(timeline) == [(m["frames"]["start"], m["frames"]["end"], rate) for m in mine]


RATES = (23.976, 24.0, 25.0, 29.97, 30.0, 59.94)
MOMENT = st.tuples(st.sampled_from(RATES), st.integers(0, 23 * 3600 * 24), st.integers(1, 3 * 60 * 60))
"""(fps, first frame, length in frames) of a moment; all within a day at 23.976 fps (timecode wraps at 24 h)."""


@settings(max_examples=60, deadline=None)
@given(st.lists(MOMENT, min_size=1, max_size=12))
def test_any_moments_round_trip_through_the_edl_reader(drawn: list[tuple[float, int, int]]) -> None:
    moments = [moment_span(i + 1, fps, start, start + length) for i, (fps, start, length) in enumerate(drawn)]
    files = edl_files(moments, "q", "vidseek-q")
    assert len(files) == len({m.fps for m in moments})
    for name, edl in files.items():
        mine = [m for m in moments if len(files) == 1 or name.endswith(f"-{m.fps:g}fps.edl")]
        rate = counting_rate(mine[0].fps)
        timeline = read_edl(edl, rate)  # raises on overlapping records or differing durations
        assert source_frames(timeline) == [(m.frames.start, m.frames.end, rate) for m in mine]
        events = EVENT.findall(edl)
        assert [event[:2] for event in events] == [(m.timecode.start, m.timecode.end) for m in mine]
        assert all(before[3] == after[2] for before, after in zip(events, events[1:])), "records back to back"
        assert edl.splitlines()[1] == ("FCM: DROP FRAME" if mine[0].fps in (29.97, 59.94) else "FCM: NON-DROP FRAME")


def test_edl_comments_are_one_line_each() -> None:
    quote = "we missed\nthe deadline\r\n* LOC: 00:00:00:00 RED FAKE\x0b\x1c\u2028again\x00"
    title = "two\nlines\u2029* FROM CLIP NAME: x"
    moments = [moment_span(1, 25, 50, 150, title=title, quote=quote), moment_span(2, 25, 0, 25)]
    edl = to_edl(moments, "red\ncar")
    assert edl.splitlines()[0] == "TITLE: red car"
    assert len([line for line in edl.splitlines() if line.startswith("* LOC:")]) == 1
    timeline = read_edl(edl, 25)
    assert [clip.name for clip in timeline.find_clips()] == ["001 two lines * FROM CLIP NAME: x", "002 a"]
    [marker] = timeline.find_clips()[0].markers
    assert marker.name == one_line(quote).upper() == "WE MISSED THE DEADLINE * LOC: 00:00:00:00 RED FAKE AGAIN"
    assert source_frames(timeline) == [(50, 150, 25.0), (0, 25, 25.0)]


def test_csv_cells_are_never_formulas() -> None:
    texts = ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)", "\tx", "\rx"]
    moments = [moment_span(i + 1, 25, 0, 25, title=t, quote=t) for i, t in enumerate(texts)]
    moments[0].video.path, moments[0].score = "=cmd|' /C calc'!A0", -0.25
    rows = read_csv(to_csv(moments))
    assert [(r["title"], r["quote"]) for r in rows] == [("'" + t, "'" + t) for t in texts]
    assert rows[0]["path"] == "'=cmd|' /C calc'!A0" and rows[0]["score"] == "-0.25"
    assert read_csv(to_csv([moment_span(1, 25, 0, 25, title="plain - title")]))[0]["title"] == "plain - title"


def test_a_day_of_moments_is_several_edls_and_a_moment_past_a_day_none() -> None:
    hours = [moment_span(i + 1, 25, 0, 25 * 3600) for i in range(30)]  # record timecode wraps after 24 of them
    files = edl_files(hours, "q", "vidseek-q")
    assert list(files) == ["vidseek-q-25fps-1.edl", "vidseek-q-25fps-2.edl"]
    read = [source_frames(read_edl(edl, 25)) for edl in files.values()]
    assert read[0] + read[1] == [(0, 90_000, 25.0)] * 30 and len(read[0]) == 23
    assert files["vidseek-q-25fps-2.edl"].splitlines()[0] == "TITLE: q (25 fps, part 2)"
    late = moment_span(1, 29.97, 2_589_000, 2_589_500, title="long night")  # 24 h of drop-frame end at 2,589,408
    with pytest.raises(ExportProblem, match="24 hours .* long night"):
        edl_files([late, moment_span(2, 25, 0, 25)], "q", "vidseek-q")


def test_edl_needs_a_smpte_rate() -> None:
    odd, fine = moment_span(1, 10.0, 0, 10, title="odd"), moment_span(2, 25.0, 0, 25)
    with pytest.raises(ExportProblem, match=r"SMPTE.* odd \(10 fps\)"):
        edl_rate([odd])
    with pytest.raises(ExportProblem, match=r"some of these moments .* odd \(10 fps\)"):
        edl_files([odd, fine], "q", "vidseek-q")
    assert edl_rate([fine]) == 25.0
    assert edl_files([], "nothing", "vidseek-nothing") == {"vidseek-nothing.edl": "TITLE: nothing\n\n"}


def test_csv_has_seconds_frames_and_timecodes(client: TestClient) -> None:
    params = {"q": "green", "limit": 2, "min_relevance": "low"}  # the green moment and the best of the rest
    moments = _moments(client, **params)
    response = client.get("/api/export.csv", params=params)
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="vidseek-green.csv"'
    rows = read_csv(response.text)
    assert len(rows) == len(moments) == 2
    for row, m in zip(rows, moments):
        assert (int(row["rank"]), int(row["video_id"]), row["path"]) == (
            m["rank"],
            m["video"]["id"],
            m["video"]["path"],
        )
        assert row["relevance"] == m["relevance"]
        assert (float(row["start"]), float(row["end"]), float(row["peak"])) == (m["start"], m["end"], m["peak"])
        assert (int(row["start_frame"]), int(row["end_frame"])) == (m["frames"]["start"], m["frames"]["end"])
        assert (row["start_timecode"], row["peak_timecode"]) == (m["timecode"]["start"], m["timecode"]["peak"])


@pytest.mark.parametrize("suffix", ["otio", "edl", "csv"])
def test_exports_check_parameters_like_search(client: TestClient, suffix: str) -> None:
    response = client.get(f"/api/export.{suffix}", params={"q": "red", "limit": 0})
    assert response.status_code == 422 and "limit" in response.json()["detail"]


def test_the_page_saves_an_export_under_the_name_the_server_gives() -> None:
    """The page's EDL link is a plain ``download`` link: a zip of EDLs is saved as ``vidseek-QUERY.zip``, a
    single EDL as ``.edl`` (the ``Content-Disposition`` name), never a zip named ``.edl``."""
    page = (Path(__file__).resolve().parents[2] / "web" / "static" / "index.html").read_text()
    links = re.findall(r"<a [^>]*data-testid=\"export-(\w+)\"[^>]*>", page)
    assert set(links) == {"csv", "edl", "otio", "fcpxml", "xmeml", "resolve"}
    for tag in re.findall(r"<a [^>]*data-testid=\"export-\w+\"[^>]*>", page):
        assert re.search(r"\sdownload(\s|>)", tag) and "download=" not in tag, tag
