"""Subtitle text parsers (pure): SRT, WebVTT, ASS; markup stripped, bad blocks skipped with a note."""

from __future__ import annotations

from indexer.cue_text import Cue, parse_ass, parse_srt, parse_vtt, plain_text, seconds


def test_srt_with_bom_crlf_markup_and_no_final_newline() -> None:
    text = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>We missed</i>\r\nthe <b>deadline</b>\r\n\r\n"
        "2\r\n00:01:02,250 --> 00:01:03,000\r\n{\\an8}Second &amp; last"
    )
    cues, notes = parse_srt(text)
    assert cues == [Cue(1.0, 2.5, "We missed the deadline"), Cue(62.25, 63.0, "Second & last")]
    assert notes == []


def test_srt_bad_blocks_are_skipped_with_a_note_and_the_rest_kept() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nfirst\n\n"
        "2\nno times here\n\n"
        "3\n00:00:05,000 --> 00:00:04,000\nbackwards\n\n"
        "4\n00:00:xx,000 --> 00:00:07,000\nbroken time\n\n"
        "5\n00:00:08,000 --> 00:00:09,000\nlast\n"
    )
    cues, notes = parse_srt(text)
    assert [c.text for c in cues] == ["first", "last"]
    assert notes == [
        "block 2: no 'start --> end' time line",
        "block 3: ends (00:00:04,000) before it starts (00:00:05,000)",
        "block 4: unreadable time '00:00:xx,000 --> 00:00:07,000'",
    ]


def test_vtt_header_notes_styles_short_times_and_cue_settings() -> None:
    text = (
        "WEBVTT - a title\n\nNOTE this is a comment\n\nSTYLE\n::cue { color: red }\n\n"
        "intro\n00:01.500 --> 00:03.000 align:start position:10%\n<v Ann>Hello <c.loud>there</c>\n\n"
        "01:00:00.000 --> 01:00:01.000\nan hour in"
    )
    cues, notes = parse_vtt(text)
    assert cues == [Cue(1.5, 3.0, "Hello there"), Cue(3600.0, 3601.0, "an hour in")]
    assert notes == []


def test_vtt_without_its_header_is_refused_in_words() -> None:
    assert parse_vtt("00:01.000 --> 00:02.000\nhi\n") == ([], ["no WEBVTT header on the first line"])


def test_ass_dialogue_by_its_format_line_with_override_tags_and_commas_in_text() -> None:
    text = (
        "[Script Info]\nTitle: x\n\n[V4+ Styles]\nFormat: Name, Fontname\nStyle: Default,Arial\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Comment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,not a line\n"
        "Dialogue: 0,0:00:01.50,0:00:03.00,Default,,0,0,0,,{\\b1}Well,{\\b0} we missed\\Nthe deadline\n"
        "Dialogue: 0,0:00:bad,0:00:05.00,Default,,0,0,0,,broken\n"
        "Dialogue: 0,0:00:06.00,0:00:07.00,Default,,0,0,0,,{\\pos(1,2)}\n"
    )
    cues, notes = parse_ass(text)
    assert cues == [Cue(1.5, 3.0, "Well, we missed the deadline")]
    assert notes == ["line 12: unreadable time"]


def test_ass_dialogue_before_any_format_line_is_a_note() -> None:
    cues, notes = parse_ass("[Events]\nDialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,hi\n")
    assert cues == [] and notes == ["line 2: Dialogue before a Format line naming Start, End and Text"]


def test_times_and_plain_text() -> None:
    assert seconds("00:00:01,5") == 1.5 and seconds("1:02:03.004") == 3723.004 and seconds("12:03.100") == 723.1
    assert seconds("soon") is None and seconds("1:2") is None
    assert plain_text("  <font color=red>a</font>\n  b\\Nc  ") == "a b c"


def test_an_empty_file_has_no_cues_and_no_notes() -> None:
    assert parse_srt("") == ([], []) and parse_srt("\ufeff\r\n") == ([], [])
