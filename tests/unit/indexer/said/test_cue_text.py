"""Subtitle text parsers (pure): SRT, WebVTT, ASS; markup stripped, bad blocks skipped with a note."""

from __future__ import annotations

import math

from indexer.said.cue_markup import markup_text
from indexer.said.cue_text import LAST_SECOND, Cue, parse_ass, parse_srt, parse_vtt, seconds, time_problem


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
        "line 5: no 'start --> end' time line",
        "line 9: ends (4 s) before it starts (5 s)",
        "line 13: unreadable time '00:00:xx,000 --> 00:00:07,000'",
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
    assert markup_text("  <font color=red>a</font>\n  b\\Nc  ") == "a b c"


def test_an_empty_file_has_no_cues_and_no_notes() -> None:
    assert parse_srt("") == ([], []) and parse_srt("\ufeff\r\n") == ([], [])


# Files shaped like the ones in the wild, read as the reference readers read them: pysubs2 for SRT,
# webvtt-py (the WebVTT parsing rules) for WebVTT.


def _pysubs2(text: str, format_: str) -> list[tuple[int, int, str]]:
    import pysubs2

    return [(e.start, e.end, " ".join(e.plaintext.split())) for e in pysubs2.SSAFile.from_string(text, format_=format_)]


def _webvtt(text: str) -> list[tuple[int, int, str]]:
    import io

    import webvtt

    def ms(stamp: str) -> int:
        return round(seconds(stamp) * 1000)

    return [(ms(c.start), ms(c.end), " ".join(c.text.split())) for c in webvtt.from_buffer(io.StringIO(text))]


def _ours(cues: list[Cue]) -> list[tuple[int, int, str]]:
    return [(round(c.start * 1000), round(c.end * 1000), c.text) for c in cues]


def test_srt_without_blank_lines_between_cues_keeps_every_cue() -> None:
    text = (
        "1\r\n00:00:01,000 --> 00:00:02,000\r\nfirst line\r\n"
        "2\r\n00:00:03,000 --> 00:00:04,500\r\nsecond line\r\nand its second row\r\n"
        "3\r\n00:00:05,000 --> 00:00:06,000\r\nthird\r\n\r\n"
        "4\r\n00:00:07,000 --> 00:00:08,000\r\nfourth, after a blank line\r\n"
        "5\r\n00:00:09,000 --> 00:00:10,000\r\nfifth"
    )
    cues, notes = parse_srt(text)
    assert _ours(cues) == _pysubs2(text, "srt") and len(cues) == 5 and notes == []


def test_vtt_cue_text_ends_at_the_next_time_line() -> None:
    text = (
        "WEBVTT\nKind: captions\nLanguage: en\n\n"
        "00:05:01.000 --> 00:05:04.080 align:start position:0%\nsay it\nyeah what\n"
        "00:05:04.080 --> 00:05:05.069 align:start position:0%\nwhat <00:05:04.500><c>was</c> it\n\n"
        "NOTE a comment\n\n"
        "cue-9\n00:05:06.000 --> 00:05:07.000 line:10%\nlast\n"
        "00:05:07.000 --> 00:05:08.000\nafter it, no blank line"
    )
    cues, notes = parse_vtt(text)
    assert _ours(cues) == _webvtt(text) and len(cues) == 4 and notes == []
    assert "00:05" not in " ".join(c.text for c in cues)  # no timing line glued into a cue's text


def test_character_references_are_decoded_once() -> None:
    import html
    import io

    import webvtt

    text = "WEBVTT\n\n00:01.000 --> 00:02.000\nTom &amp; Jerry &amp;lt;3 &lt;i&gt; caf&eacute; &#233;t&#xE9; &hellip;\n"
    [raw] = [c.text for c in webvtt.from_buffer(io.StringIO(text))]  # webvtt-py leaves references as written
    cues, _ = parse_vtt(text)
    assert [c.text for c in cues] == [html.unescape(raw)] == ["Tom & Jerry &lt;3 <i> café été …"]
    srt_cues, _ = parse_srt("1\n00:00:01,000 --> 00:00:02,000\n&quot;Fish &amp; chips&quot; &amp;amp;\n")
    assert [c.text for c in srt_cues] == ['"Fish & chips" &amp;']


def test_srt_text_between_angle_brackets_that_is_no_tag_is_kept() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nif x < 5 and y > 7\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nI <3 you, mom. Love > hate\n\n"
        '3\n00:00:05,000 --> 00:00:06,000\n<font color="#ffff00">yellow</font> <i>slanted</i> <B>bold</B>\n\n'
        "4\n00:00:07,000 --> 00:00:08,000\n<u>under</u> a <s>b</s> < c\n"
    )
    cues, _ = parse_srt(text)
    assert _ours(cues) == _pysubs2(text, "srt")
    assert [c.text for c in cues] == [
        "if x < 5 and y > 7",
        "I <3 you, mom. Love > hate",
        "yellow slanted bold",
        "under a b < c",
    ]


def test_vtt_tags_go_and_their_text_stays() -> None:
    text = (
        "WEBVTT\n\n00:01.000 --> 00:02.000\n<v.loud Ann Lee>Hi</v> <c.red.big>there</c> <lang en-GB>mate</lang>\n\n"
        "00:03.000 --> 00:04.000\n<ruby>漢<rt>kan</rt></ruby> <00:03.500>then 2 < 3\n"
    )
    cues, _ = parse_vtt(text)
    assert [c.text for c in cues] == ["Hi there mate", "漢kan then 2 < 3"]


def test_ass_vector_drawings_are_not_words() -> None:
    text = (
        "[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\an7\\pos(10,10)\\p1}m 0 0 l 100 0 100 100{\\p0}EXIT\n"
        "Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,{\\p2}m 0 0 b 10 0 20 10 20 20\n"
        "Dialogue: 0,0:00:05.00,0:00:06.00,Default,,0,0,0,,{\\pos(5,5)\\pbo2}a sign{\\p1} m 1 1 l 2 2\n"
    )
    cues, notes = parse_ass(text)
    assert [c.text for c in cues] == ["EXIT", "a sign"] and notes == []


def test_times_that_cannot_be_real_are_skipped_with_a_note() -> None:
    text = (
        "1\n99:99:99,000 --> 99:99:99,500\nout of range\n\n"
        "2\n00:00:01,000 --> 00:00:00,500\nbackwards\n\n"
        "3\n-00:00:01,000 --> 00:00:02,000\nnegative\n\n"
        "4\n00:00:03,000 --> 00:00:04,000\nkept\n"
    )
    cues, notes = parse_srt(text)
    assert [c.text for c in cues] == ["kept"] and len(notes) == 3
    assert seconds("00:60:00.000") is None and seconds("00:00:60.000") is None and seconds("01:59:59.999") == 7199.999
    assert time_problem(0.0, 1.0) is None
    for start, end in ((math.nan, 1.0), (0.0, math.inf), (-1.0, 1.0), (1e300, 1e300), (0.0, float(LAST_SECOND + 1))):
        assert time_problem(start, end) is not None


def test_hostile_srt_hours_are_notes_not_crashes() -> None:
    text = (
        f"1\n{'9' * 400}:00:00,000 --> {'9' * 400}:00:01,000\nhuge\n\n"
        f"2\n{'7' * 5000}:00:00,000 --> 00:00:01,000\nhuger\n\n"
        "3\n00:00:01,000 --> 00:00:02,000\nkept\n"
    )
    cues, notes = parse_srt(text)
    assert [c.text for c in cues] == ["kept"] and len(notes) == 2
    assert all(len(note) < 120 for note in notes)  # the line is quoted, not echoed whole


def test_a_5_mb_time_line_is_quoted_short() -> None:
    cues, notes = parse_srt("1\n00:00:01,000 --> " + "0" * 5_000_000 + "\nx\n")
    assert cues == [] and len(notes) == 1 and len(notes[0]) < 120


def test_300k_unclosed_brackets_read_as_text_in_one_pass() -> None:
    ass = (
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,open " + "{" * 300_000 + "\n"
    )
    cues, _ = parse_ass(ass)
    assert len(cues) == 1 and cues[0].text.count("{") == 300_000
    srt = "1\n00:00:01,000 --> 00:00:02,000\nopen " + "<" * 300_000 + "\n"
    cues, _ = parse_srt(srt)
    assert len(cues) == 1 and cues[0].text.count("<") == 300_000
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n" + "<v " * 100_000 + "\n"
    cues, _ = parse_vtt(vtt)
    assert len(cues) == 1 and cues[0].text.count("<v") == 100_000


def test_an_ass_file_without_events_says_so() -> None:
    assert parse_ass("\x03\x91garbage\x00 that decodes\nbut is no script\n") == (
        [],
        ["no [Events] section: is it an ASS/SSA file?"],
    )
