"""vidseek.said.cue_bounds (pure): what of a video's lines is stored — text without control characters and
within a byte bound, times inside the video, at most VIDSEEK_CUES_PER_HOUR lines of a source an hour."""

from __future__ import annotations

import math

from search_api.search.lines import within_videos
from vidseek.said.cue_bounds import TEXT_BYTES, bounded, clean_text, limit, within
from vidseek.storage.cue_store import CueHit, CueRow


def test_control_characters_go_and_newlines_and_tabs_stay() -> None:
    assert clean_text("a\0b\x01c\x1b[31md\x7f") == "abc[31md\x7f"
    assert clean_text("one\r\ntwo\rthree\n\tfour") == "one\ntwo\nthree\n\tfour"


def test_a_long_line_is_cut_on_a_character_boundary() -> None:
    text = "é" * TEXT_BYTES  # two bytes each
    cut = clean_text(text)
    assert cut == "é" * (TEXT_BYTES // 2)
    assert len(clean_text("x" + "é" * TEXT_BYTES).encode()) == TEXT_BYTES - 1  # never half a character
    assert clean_text("short") == "short"


def test_the_limit_grows_with_the_video_and_has_a_floor() -> None:
    assert limit(20.0, 6000) == 600
    assert limit(3600.0, 6000) == 6000
    assert limit(2.5 * 3600, 6000) == 15000
    assert limit(0.0, 6000) == limit(math.nan, 6000) == 600


def test_times_are_clamped_to_the_video() -> None:
    assert within(8.0, 15.0, 10.0) == (8.0, 10.0)
    assert within(-1.0, 2.0, 10.0) == (0.0, 2.0)
    assert within(10.0, 12.0, 10.0) is None
    assert within(1.4e308, 1.4e308, 10.0) is None
    assert within(math.nan, 1.0, 10.0) is None
    assert within(3.0, math.inf, 10.0) == (3.0, 10.0)
    assert within(3.0, 2.0, 10.0) == (3.0, 3.0)
    assert within(3.0, 1e300, None) == (3.0, 1e300)  # a video of unknown length: only numbers are asked
    assert within(3.0, math.inf, None) is None


def test_each_source_keeps_its_first_lines_in_time_order_and_one_note_says_what_went() -> None:
    many = [CueRow(i / 100, i / 100 + 0.005, f"line {i}", "sidecar:clip.srt") for i in reversed(range(700))]
    few = [CueRow(1.0, 2.0, "stream line", "stream:2")]
    late = [CueRow(8.0, 15.0, "late", "stream:2"), CueRow(99 * 3600, 99 * 3600 + 1, "far", "stream:2")]
    out = bounded([*many, *few, *late], 10.0, 6000)
    kept = [c for c in out.cues if c.source == "sidecar:clip.srt"]
    assert sorted(c.text for c in kept) == sorted(f"line {i}" for i in range(600))
    assert [(c.text, c.start, c.end) for c in out.cues if c.source == "stream:2"] == [
        ("stream line", 1.0, 2.0),
        ("late", 8.0, 10.0),
    ]
    assert out.note is not None and "\n" not in out.note
    assert "the first 600 of 700 lines of sidecar:clip.srt" in out.note
    assert "VIDSEEK_CUES_PER_HOUR" in out.note
    assert "dropped 1 line starting after the video's end (10.000 s)" in out.note


def test_nothing_to_say_when_everything_fits() -> None:
    cues = [CueRow(1.0, 2.0, "fine", "sidecar:a.srt"), CueRow(2.0, 3.0, "also\tfine", "sidecar:a.srt")]
    out = bounded(cues, 10.0, 6000)
    assert out.cues == cues and out.note is None
    assert bounded(cues, 10.0).note is None


def test_a_cut_line_is_counted_in_the_note() -> None:
    out = bounded(
        [CueRow(1.0, 2.0, "w " * TEXT_BYTES, "sidecar:a.srt"), CueRow(2.0, 3.0, "a\0b", "sidecar:a.srt")], 9.0
    )
    assert [len(c.text.encode()) for c in out.cues] == [TEXT_BYTES, 2]
    assert out.note == f"cut 1 line longer than {TEXT_BYTES:,} bytes"


def _hit(video_id: int, start: float, end: float) -> CueHit:
    return CueHit(1, video_id, start, end, "x", "sidecar:a.srt", None, 0)


def test_lines_stored_before_the_clamp_are_clamped_when_found() -> None:
    hits = [_hit(1, 8.0, 15.0), _hit(1, 1.4e308, 1.4e308), _hit(2, 1.0, 2.0), _hit(3, 1.0, 2.0)]
    assert [(h.video_id, h.start, h.end) for h in within_videos(hits, {1: 10.0, 2: 5.0})] == [
        (1, 8.0, 10.0),
        (2, 1.0, 2.0),
    ]
