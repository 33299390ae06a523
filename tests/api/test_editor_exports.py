"""Exports for editors, read back by the readers editors' tools stand for: FCPXML (OpenTimelineIO's
``fcpx_xml`` adapter, and its rational times read exactly), FCP7 XML (``fcp_xml``), Resolve marker EDLs
(``cmx_3600``). Each clip's source range is its moment's frames plus handles, clamped to the media, at
the video's own rate; ``vidseek export`` writes the API's bytes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from moment_spans import moment_span
from readers import fcpxml_clips, read_fcpxml, read_resolve_markers, read_xmeml

from api.conftest import ServedLibrary
from cli.main import main
from search_api.exports.cuts import place
from search_api.exports.editor_exports import TimelineOptions, export_file
from search_api.exports.fcpxml import to_fcpxml
from search_api.exports.formats import ExportProblem
from search_api.exports.resolve_markers import to_resolve_markers
from search_api.exports.whole_lines import to_whole_lines, widened
from search_api.exports.xmeml import to_xmeml
from vidseek.timecode import counting_rate, frame_of_smpte, smpte

RATES = (23.976, 25.0, 29.97, 59.94)
NTSC = {23.976: Fraction(24000, 1001), 25.0: Fraction(25), 29.97: Fraction(30000, 1001), 59.94: Fraction(60000, 1001)}


def expected_cut(fps: float, start: int, end: int, media: int, handles: float) -> tuple[int, int]:
    """The moment's frames plus ``handles`` seconds either side at its own rate, within 0..media."""
    extra = round(handles * NTSC[fps])
    return max(0, start - extra), min(media, end + extra)


def _moment(rank: int, fps: float, start: int, length: int, media: int, quote: str | None = None):
    m = moment_span(rank, fps, start, start + length, title=f"v{rank}", quote=quote)
    m.video.duration = float(media / NTSC[fps])
    return m


MOMENT = st.tuples(st.sampled_from(RATES), st.integers(0, 5000), st.integers(1, 600), st.integers(0, 400))
"""(fps, first frame, length, frames of media after the moment's end)."""


@settings(max_examples=40, deadline=None)
@given(st.lists(MOMENT, min_size=1, max_size=6), st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_fcpxml_clips_are_the_moments_plus_handles_at_their_own_rate(drawn, handles: float) -> None:
    moments = [_moment(i + 1, fps, s, n, s + n + after) for i, (fps, s, n, after) in enumerate(drawn)]
    data = to_fcpxml(place(moments, handles=handles), "q")
    clips = fcpxml_clips(data)
    timeline_rate = NTSC[drawn[0][0]]
    assert len(clips) == len(moments)
    offset = Fraction(3600 * round(timeline_rate)) / timeline_rate if drawn[0][0] in (29.97, 59.94) else None
    for clip, m, (fps, s, n, after) in zip(clips, moments, drawn):
        first, last = expected_cut(fps, s, s + n, s + n + after, handles)
        assert clip["rate"] == NTSC[fps] and clip["src"] == Path(m.video.path).as_uri()
        assert clip["start"] == first
        length = clip["seconds"] * NTSC[fps]
        if NTSC[fps] == timeline_rate:
            assert length == last - first
        else:  # lasts whole timeline frames: its own frames within one timeline frame
            assert abs(length - (last - first)) <= NTSC[fps] / timeline_rate / 2 + Fraction(1, 10**9)
        assert clip["tcFormat"] == ("DF" if fps in (29.97, 59.94) else "NDF")
        assert clip["markers"] == [(s, n, "q", "score 0.5 (high)")]
        assert clip["keywords"] == [(s, n, "vidseek high")]
    assert clips[0]["offset"] * timeline_rate == frame_of_smpte("01:00:00:00", float(timeline_rate))
    assert offset is None or clips[0]["offset"] != 3600, "drop-frame hour one is not 3600 s"
    assert all(a["offset"] + a["seconds"] == b["offset"] for a, b in zip(clips, clips[1:])), "back to back"


@pytest.mark.parametrize("fps", [24.0, 25.0, 30.0])
def test_fcpxml_reads_back_with_the_otio_adapter(fps: float) -> None:
    rate = counting_rate(fps)
    moments = [moment_span(1, fps, 100, 200, quote="we won"), moment_span(2, fps, 0, 10)]
    moments[0].video.duration = 210 / rate  # the handles' tail is clamped at frame 210
    project = read_fcpxml(to_fcpxml(place(moments, handles=1.0), "red car"))
    assert project.name == "red car"
    clips = project.find_clips()
    frames = [(round(c.source_range.start_time.value), round(c.source_range.end_time_exclusive().value)) for c in clips]
    assert frames == [(100 - round(rate), 210), (0, 10 + round(rate))]
    # (the adapter finds files by FCPXML 1.8's asset src: the 1.10 media-rep is checked in fcpxml_clips)
    [marker] = clips[0].markers
    assert marker.name == "red car" and marker.marked_range.start_time.value == 100
    assert marker.marked_range.duration.value == 100


@pytest.mark.parametrize("fps", RATES)
def test_xmeml_reads_back_with_the_fcp_xml_adapter(fps: float) -> None:
    rate = NTSC[fps]
    moments = [_moment(1, fps, 30, 90, 200, quote="a line"), _moment(2, fps, 500, 45, 545)]
    timeline = read_xmeml(to_xmeml(place(moments, handles=1.0, start="10:00:00:00"), "red"))
    extra = round(rate)
    assert timeline.name == "red"
    assert timeline.global_start_time.value == frame_of_smpte("10:00:00:00", fps)
    clips = timeline.find_clips()
    got = [(round(c.source_range.start_time.value), round(c.source_range.end_time_exclusive().value)) for c in clips]
    assert got == [expected_cut(fps, 30, 120, 200, 1.0), (500 - extra, 545)]
    assert all(c.source_range.start_time.rate == pytest.approx(float(rate)) for c in clips)
    assert clips[0].media_reference.target_url == "file:///v/1.mp4"
    [marker] = clips[0].markers
    assert (marker.name, marker.marked_range.start_time.value, marker.marked_range.duration.value) == ("red", 30, 90)
    assert marker.metadata["fcp_xml"]["comment"] == "a line"


def test_xmeml_mixed_rates_keep_each_clip_at_its_own_rate() -> None:
    moments = [_moment(1, 25.0, 50, 100, 400), _moment(2, 29.97, 300, 120, 900), _moment(3, 59.94, 0, 60, 100)]
    clips = read_xmeml(to_xmeml(place(moments), "q")).find_clips()
    for clip, m in zip(clips, moments):
        assert clip.source_range.start_time.rate == pytest.approx(m.fps, abs=1e-3)
        assert round(clip.source_range.start_time.value) == m.frames.start
        length = clip.source_range.duration.value
        assert abs(length - (m.frames.end - m.frames.start)) <= m.fps / 25 / 2 + 1e-6


@pytest.mark.parametrize("fps", RATES)
def test_resolve_markers_lie_on_the_moments(fps: float) -> None:
    moments = [_moment(1, fps, 30, 90, 200, quote="left | right"), _moment(2, fps, 500, 45, 545)]
    moments[1].relevance = "low"
    placed = place(moments, handles=2.0)
    text = to_resolve_markers(placed, "red car").decode()
    assert text.splitlines()[1] == ("FCM: DROP FRAME" if fps in (29.97, 59.94) else "FCM: NON-DROP FRAME")
    markers = read_resolve_markers(text, fps)
    hour = frame_of_smpte("01:00:00:00", fps)
    first_cut = expected_cut(fps, 30, 120, 200, 2.0)
    second_at = hour + first_cut[1] - first_cut[0]
    second_cut = expected_cut(fps, 500, 545, 545, 2.0)
    assert [(mk["frame"], mk["frames"]) for mk in markers] == [
        (hour + 30 - first_cut[0], 90),
        (second_at + 500 - second_cut[0], 45),
    ]
    assert [mk["colour"] for mk in markers] == ["ResolveColorGreen", "ResolveColorBlue"]
    assert [mk["name"] for mk in markers] == ["red car", "red car"]
    assert markers[0]["note"] == "left / right"


def test_timeline_start_and_rate_are_checked() -> None:
    moments = [moment_span(1, 29.97, 0, 30)]
    with pytest.raises(ExportProblem, match="start: .*drop-frame skips"):
        export_file("fcpxml", moments, "q", TimelineOptions(start="01:01:00;00"))
    with pytest.raises(ExportProblem, match="rate: .*not 10"):
        export_file("xmeml", moments, "q", TimelineOptions(rate=10))
    placed = place(moments, start="00:59:00;02")
    assert smpte(placed.start, 29.97) == "00:59:00;02"


def _cli(served: ServedLibrary, *args: str) -> bytes:
    settings = served.settings
    result = CliRunner().invoke(
        main, ["--data-dir", str(settings.data_dir), "--model", settings.model, "export", *args, "-o", "-"]
    )
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


@pytest.mark.parametrize(
    ("route", "fmt", "file_name"),
    [
        ("export.fcpxml", "fcpxml", "vidseek-magenta-red.fcpxml"),
        ("export.xml", "xmeml", "vidseek-magenta-red.xml"),
        ("export.markers.edl", "resolve-markers", "vidseek-magenta-red-markers.edl"),
        ("export.otio", "otio", "vidseek-magenta-red.otio"),
        ("export.edl", "edl", "vidseek-magenta-red.zip"),
        ("export.csv", "csv", "vidseek-magenta-red.csv"),
    ],
)
def test_the_cli_writes_the_api_bytes(
    client: TestClient, served: ServedLibrary, route: str, fmt: str, file_name: str
) -> None:
    params = {"q": "magenta red", "limit": 3, "min_relevance": "low"}
    timeline = {"handles": 1, "start": "00:00:10:00"} if fmt in ("fcpxml", "xmeml", "resolve-markers") else {}
    response = client.get(f"/api/{route}", params={**params, **timeline})
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f'attachment; filename="{file_name}"'
    args = ["magenta red", "--format", fmt, "--limit", "3", "--min-relevance", "low"]
    args += [f"--{k}={v}" for k, v in timeline.items()]
    assert _cli(served, *args) == response.content


def test_api_fcpxml_of_a_mixed_library(client: TestClient, served: ServedLibrary) -> None:
    params = {"q": "magenta red", "limit": 3, "handles": 1}
    moments = client.get("/api/search", params={"q": "magenta red", "limit": 3}).json()["results"]
    clips = fcpxml_clips(client.get("/api/export.fcpxml", params=params).content)
    assert {m["fps"] for m in moments} == {25.0, 29.97}
    for clip, m in zip(clips, moments):
        rate = NTSC[m["fps"]]
        media = round(m["video"]["duration"] * rate)
        assert clip["rate"] == rate and clip["start"] == max(0, m["frames"]["start"] - round(rate))
        assert clip["src"] == Path(m["video"]["path"]).as_uri()
        assert clip["markers"][0][:2] == (m["frames"]["start"], m["frames"]["end"] - m["frames"]["start"])
        assert clip["start"] + clip["seconds"] * rate <= media


@pytest.mark.parametrize(
    ("route", "params", "field"),
    [
        ("export.fcpxml", {"handles": -1}, "handles"),
        ("export.xml", {"start": "1:00:00:00"}, "start"),
        ("export.markers.edl", {"rate": 12.5}, "rate"),
        ("export.markers.edl", {"start": "01:00:00:99"}, "start"),
    ],
)
def test_bad_timeline_parameters_are_one_422(client: TestClient, route: str, params: dict, field: str) -> None:
    response = client.get(f"/api/{route}", params={"q": "red", **params})
    assert response.status_code == 422
    assert field in str(response.json()["detail"])


def test_whole_lines_widen_a_moment_to_the_lines_said_over_it() -> None:
    m = moment_span(1, 25.0, 100, 200)  # 4 s to 8 s
    m.video.duration = 20.0
    lines = [(3.5, 4.5), (7.9, 9.02), (12.0, 13.0)]  # across its start, across its end, elsewhere
    wide = widened(m, lines)
    assert (wide.start, wide.end) == (3.5, 9.02)
    assert (wide.frames.start, wide.frames.end, wide.frames.peak) == (88, 226, m.frames.peak)
    assert (wide.timecode.start, wide.timecode.end) == (smpte(88, 25), smpte(226, 25))
    assert widened(m, [(12.0, 13.0)]) is m and widened(m, [(5.0, 6.0)]) is m  # none across: as it was
    late = widened(m, [(7.0, 30.0)])  # a line past the video's end stops at the end
    assert late.end == 20.0 and late.frames.end == 500
    [clip] = fcpxml_clips(to_fcpxml(place(to_whole_lines([m], {1: lines})), "q"))
    assert (clip["start"], clip["seconds"] * 25) == (88, 226 - 88)


def test_whole_lines_is_a_parameter_of_the_timeline_exports(client: TestClient, served: ServedLibrary) -> None:
    params = {"q": "red", "limit": 2}
    plain = client.get("/api/export.xml", params=params)
    whole = client.get("/api/export.xml", params={**params, "lines": "whole"})
    assert whole.status_code == 200 and whole.content == plain.content  # these videos have no lines
    assert client.get("/api/export.xml", params={**params, "lines": "half"}).status_code == 422


def test_the_cli_says_what_is_wrong_in_one_line(served: ServedLibrary, tmp_path: Path) -> None:
    settings = served.settings
    base = ["--data-dir", str(settings.data_dir), "--model", settings.model, "export", "red"]
    bad = CliRunner().invoke(main, [*base, "--format", "resolve-markers", "--start", "01:00:00:30"])
    assert bad.exit_code == 2 and "start: timecode '01:00:00:30'" in bad.output and "Traceback" not in bad.output
    target = tmp_path / "red.fcpxml"
    done = CliRunner().invoke(main, [*base, "--format", "fcpxml", "--handles", "1", "--whole-lines", "-o", str(target)])
    assert done.exit_code == 0, done.output
    assert fcpxml_clips(target.read_bytes())


@pytest.mark.parametrize("fmt", ["fcpxml", "xmeml", "resolve-markers"])
def test_no_moments_is_an_empty_timeline_and_a_day_of_them_too_many(fmt: str) -> None:
    empty = export_file(fmt, [], "nothing")
    if fmt == "fcpxml":
        assert fcpxml_clips(empty.body) == []
    elif fmt == "xmeml":
        assert read_xmeml(empty.body).find_clips() == []
    else:
        assert read_resolve_markers(empty.body.decode(), 25) == []
    hours = [moment_span(i + 1, 25, 0, 25 * 3600) for i in range(24)]  # from 01:00:00:00, past midnight
    with pytest.raises(ExportProblem, match="24 hours"):
        export_file(fmt, hours, "q")


def test_the_cli_offers_every_format_export_file_writes() -> None:
    from cli import export_command
    from search_api.exports import editor_exports

    assert export_command.FORMATS == editor_exports.FORMATS
