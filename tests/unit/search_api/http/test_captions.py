"""search_api.http.captions (pure): stored cues as WebVTT, and which source is a video's caption track."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from search_api.http.captions import (
    CaptionSource,
    NoCaptions,
    caption_sources,
    choose_source,
    cue_lines,
    escape,
    timestamp,
    webvtt,
)


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0, "00:00:00.000"),
        (1.5, "00:00:01.500"),
        (59.9994, "00:00:59.999"),
        (59.9996, "00:01:00.000"),
        (3661.042, "01:01:01.042"),
        (100 * 3600 + 0.25, "100:00:00.250"),
        (-0.4, "00:00:00.000"),
    ],
)
def test_timestamps_are_hours_minutes_seconds_and_milliseconds(seconds: float, text: str) -> None:
    assert timestamp(seconds) == text


def test_a_file_of_cues_in_time_order() -> None:
    cues = [Cue(8.0, 9.0, "We missed the deadline."), Cue(1.0, 3.0, "A red door")]
    assert webvtt(cues) == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nA red door\n\n"
        "00:00:08.000 --> 00:00:09.000\nWe missed the deadline.\n"
    )
    assert webvtt([]) == "WEBVTT\n"


def test_markup_and_entities_are_shown_as_text() -> None:
    assert escape('<img src=x onerror="alert(1)"> & <b>') == '&lt;img src=x onerror="alert(1)"&gt; &amp; &lt;b&gt;'
    assert escape("&amp;") == "&amp;amp;"  # shows "&amp;", as the subtitle said
    assert escape("a\0b") == "a\ufffdb"


def test_a_line_with_an_arrow_cannot_start_a_cue() -> None:
    text = webvtt([Cue(1, 2, "00:00:05.000 --> 00:00:06.000\nfake cue")])
    assert text.count("-->") == 1
    assert "00:00:05.000 --&gt; 00:00:06.000\nfake cue" in text


def test_blank_lines_inside_a_cue_are_dropped() -> None:
    assert cue_lines("one\n\n  \r\ntwo\rthree\u2028four") == ["one", "two", "three", "four"]
    text = webvtt([Cue(1, 2, "one\n\nNOTE two"), Cue(3, 4, "three")])
    assert text == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\none\nNOTE two\n\n00:00:03.000 --> 00:00:04.000\nthree\n"


def test_empty_broken_and_zero_length_cues() -> None:
    cues = [Cue(1, 2, " \n "), Cue(float("nan"), 2, "nan"), Cue(1, float("inf"), "inf"), Cue(5, 5, "blink")]
    assert webvtt(cues) == "WEBVTT\n\n00:00:05.000 --> 00:00:05.001\nblink\n"
    assert webvtt([Cue(-1, 0.5, "early")]) == "WEBVTT\n\n00:00:00.000 --> 00:00:00.500\nearly\n"


ROWS = [
    ("stream:10", "eng", 3),
    ("speech:whisper", "en", 9),
    ("sidecar:door.srt", None, 2),
    ("stream:2", "fre", 1),
    ("sidecar:door.en.srt", "en", 4),
]


def test_sources_in_order_sidecars_by_name_then_streams_by_index_then_transcripts() -> None:
    assert [t.source for t in caption_sources(ROWS)] == [
        "sidecar:door.en.srt",
        "sidecar:door.srt",
        "stream:2",
        "stream:10",
        "speech:whisper",
    ]
    merged = caption_sources([("stream:1", None, 2), ("stream:1", "eng", 3)])
    assert merged == [CaptionSource("stream:1", "eng", 5)]


def test_the_default_is_the_first_sidecar_else_the_first_stream_else_a_transcript() -> None:
    assert choose_source(caption_sources(ROWS)).source == "sidecar:door.en.srt"
    streams = caption_sources([r for r in ROWS if not r[0].startswith("sidecar:")])
    assert choose_source(streams).source == "stream:2"
    assert choose_source(caption_sources([("speech:whisper", "en", 9)])).source == "speech:whisper"


def test_a_source_or_language_asked_for() -> None:
    tracks = caption_sources(ROWS)
    assert choose_source(tracks, source="stream:10").source == "stream:10"
    assert choose_source(tracks, lang="fr").source == "stream:2"  # fre is fr
    assert choose_source(tracks, lang="FRA").source == "stream:2"
    assert choose_source(tracks, lang="en").source == "sidecar:door.en.srt"
    assert choose_source(tracks, source="stream:10", lang="en").source == "stream:10"  # eng is en
    gb = caption_sources([("sidecar:a.en-GB.srt", "en-GB", 1), ("sidecar:a.pt_BR.srt", "pt_BR", 1)])
    assert choose_source(gb, lang="en").source == "sidecar:a.en-GB.srt"
    assert choose_source(gb, lang="pt-br").source == "sidecar:a.pt_BR.srt"
    with pytest.raises(NoCaptions, match="en-US"):
        choose_source(gb, lang="en-US")


def test_no_track_says_what_the_video_has() -> None:
    with pytest.raises(NoCaptions, match="no subtitle cues"):
        choose_source([])
    with pytest.raises(NoCaptions) as raised:
        choose_source(caption_sources(ROWS), source="stream:7", lang="de")
    assert "source stream:7 and language de" in str(raised.value)
    assert "stream:2 (fre)" in str(raised.value) and "sidecar:door.srt," in str(raised.value)
