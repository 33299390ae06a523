"""Cues of a video: sidecar files beside it and its own subtitle streams (PyAV, in indexer.decode),
stored in SQL with the video's rows, read again when a sidecar changes; on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from media import Segment, make_video
from subtitle_media import Track, make_subtitled_video

from indexer.decode import subtitle_cues
from indexer.progress import Progress
from indexer.runner import Indexer
from indexer.said.sidecars import Sidecars, cues_of
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage import cue_store, store
from vidseek.storage.library import Library

LINES = [(0.5, 1.5, "hello <i>world</i>"), (2.0, 2.8, "we missed the deadline")]


def _index(settings: Settings, paths: list[Path]):  # noqa: ANN202
    library = Library(settings, notify=lambda m: None)
    report = Indexer(settings, library, load_encoder(settings.model), progress=lambda: Progress(False)).index(paths)
    return library, report


def _stored(library: Library, path: Path) -> list[tuple[float, float, str, str, str | None]]:
    with library.sessions() as session:
        video = store.video_by_path(str(path), session=session)
        return [(c.start, c.end, c.text, c.source, c.lang) for c in cue_store.cues_of(video.id, session=session)]


@pytest.mark.parametrize(
    ("name", "codec"), [("srt.mkv", "subrip"), ("mov.mp4", "mov_text"), ("ass.mkv", "ass"), ("vtt.mkv", "webvtt")]
)
def test_embedded_text_subtitle_streams_are_read_with_their_times_and_language(
    tmp_path: Path, name: str, codec: str
) -> None:
    lines = LINES if codec != "ass" else [(0.5, 1.5, "{\\b1}hello{\\b0} world"), LINES[1]]
    path = make_subtitled_video(tmp_path / name, [Segment("red", 3)], [Track(codec, lines, "eng")])
    [stream] = subtitle_cues(path)
    assert stream.index == 1 and stream.lang == "eng" and stream.notes == []
    assert [c.text for c in stream.cues] == ["hello world", "we missed the deadline"]
    assert [(round(c.start, 2), round(c.end, 2)) for c in stream.cues] == [(0.5, 1.5), (2.0, 2.8)]


HARD_LINES = [
    (0.5, 1.0, "if x < 5 and y > 7"),
    (1.0, 1.5, "I <3 you, mom. Love > hate"),
    (1.5, 2.0, "Tom &amp; Jerry &amp;lt;"),
    (2.0, 2.5, '<font color="red">red</font> <i>it</i>'),
]


@pytest.mark.parametrize(("name", "codec"), [("srt.mkv", "subrip"), ("mov.mp4", "mov_text"), ("vtt.mkv", "webvtt")])
def test_stream_text_is_read_as_the_sidecar_readers_read_it(tmp_path: Path, name: str, codec: str) -> None:
    path = make_subtitled_video(tmp_path / name, [Segment("red", 3)], [Track(codec, HARD_LINES, "ger")])
    [stream] = subtitle_cues(path)
    assert stream.lang == "ger" and stream.notes == []
    assert [c.text for c in stream.cues] == [
        "if x < 5 and y > 7",
        "I <3 you, mom. Love > hate",
        "Tom & Jerry &lt;",  # references decoded once
        "red it",
    ]


def test_ass_stream_drawings_are_dropped_and_a_stream_is_read_up_to_the_byte_limit(tmp_path: Path) -> None:
    lines = [(0.5, 1.0, "{\\p1}m 0 0 l 10 0 10 10{\\p0}EXIT"), (1.0, 2.0, "{\\b1}x{\\b0} < 5"), (2.0, 2.5, "late")]
    path = make_subtitled_video(tmp_path / "a.mkv", [Segment("red", 3)], [Track("ass", lines, "und")])
    [stream] = subtitle_cues(path)
    assert stream.lang is None and [c.text for c in stream.cues] == ["EXIT", "x < 5", "late"]
    [stream] = subtitle_cues(path, max_bytes=60)
    assert [c.text for c in stream.cues] == ["EXIT"]
    assert stream.notes == [
        "only its first 60 bytes of text read (VIDSEEK_SUBTITLE_MAX_BYTES); the cues from 1 s on are left out"
    ]


def test_a_video_without_subtitle_streams_has_none_and_a_broken_file_says_so(tmp_path: Path) -> None:
    assert subtitle_cues(make_video(tmp_path / "plain.mp4", [Segment("red", 1)])) == []
    (tmp_path / "junk.mkv").write_bytes(b"not a video at all" * 10)
    cues, notes = cues_of(tmp_path / "junk.mkv")
    assert cues == [] and notes and notes[0].startswith("subtitle streams: not a readable video")


def test_sidecars_are_found_by_name_with_their_language(tmp_path: Path) -> None:
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"x")
    for name in ("talk.srt", "talk.en.srt", "talk.pt-BR.vtt", "talk.final.srt", "talks.srt", "other.srt", "talk.txt"):
        (tmp_path / name).write_text("")
    assert [(p.name, lang) for p, lang in Sidecars().of(video)] == [
        ("talk.en.srt", "en"),
        ("talk.pt-BR.vtt", "pt-BR"),
        ("talk.srt", None),
    ]


def test_indexing_stores_sidecar_and_stream_cues_and_notes_bad_blocks(db_settings: Settings, tmp_path: Path) -> None:
    settings = db_settings.model_copy(update={"sample_fps": 1.0, "clip_seconds": 4.0, "clip_stride": 2.0})
    video = make_subtitled_video(tmp_path / "v" / "talk.mkv", [Segment("red", 4)], [Track("subrip", LINES, "fre")])
    (tmp_path / "v" / "talk.en.srt").write_bytes(
        b"1\r\n00:00:01,000 --> 00:00:02,000\r\nThe <b>budget</b> is late\r\n\r\n2\r\nbroken\r\n"
    )
    library, report = _index(settings, [video])
    assert report.indexed == [str(video)] and report.failed == []
    assert report.notes == [(str(video), "subtitles: talk.en.srt: line 5: no 'start --> end' time line")]
    assert _stored(library, video) == [
        (0.5, 1.5, "hello world", "stream:1", "fre"),
        (1.0, 2.0, "The budget is late", "sidecar:talk.en.srt", "en"),
        (2.0, 2.8, "we missed the deadline", "stream:1", "fre"),
    ]


def test_a_changed_sidecar_is_read_again_without_re_embedding(db_settings: Settings, tmp_path: Path) -> None:
    settings = db_settings.model_copy(update={"sample_fps": 1.0, "clip_seconds": 4.0, "clip_stride": 2.0})
    video = make_video(tmp_path / "v" / "clip.mp4", [Segment("blue", 4)])
    library, report = _index(settings, [video])
    assert _stored(library, video) == []
    with library.sessions() as session:
        clip_ids = store.clip_ids_of([store.video_by_path(str(video), session=session).id], session=session)
    sidecar = tmp_path / "v" / "clip.srt"
    sidecar.write_text("1\n00:00:01,000 --> 00:00:03,000\nfirst words\n")
    library, report = _index(settings, [video])
    assert report.cues_reread == [str(video)] and report.indexed == []
    assert _stored(library, video) == [(1.0, 3.0, "first words", "sidecar:clip.srt", None)]
    sidecar.write_text("1\n00:00:01,000 --> 00:00:03,000\nsecond words, longer\n")
    os.utime(sidecar, ns=(sidecar.stat().st_mtime_ns + 10**9,) * 2)
    library, report = _index(settings, [video])
    assert _stored(library, video) == [(1.0, 3.0, "second words, longer", "sidecar:clip.srt", None)]
    _, report = _index(settings, [video])
    assert report.cues_reread == [] and report.skipped == [str(video)]  # current now
    sidecar.unlink()
    library, report = _index(settings, [video])
    assert report.cues_reread == [str(video)] and _stored(library, video) == []
    with library.sessions() as session:  # the frames were never embedded again: same clip ids
        assert store.clip_ids_of([store.video_by_path(str(video), session=session).id], session=session) == clip_ids


def test_removing_a_video_removes_its_cues(db_settings: Settings, tmp_path: Path) -> None:
    video = make_subtitled_video(tmp_path / "gone.mkv", [Segment("red", 3)], [Track("subrip", LINES)])
    library, _ = _index(db_settings, [video])
    with library.sessions() as session:
        video_id = store.video_by_path(str(video), session=session).id
        assert cue_store.search_cues("deadline", 10, session=session)
    library.delete_videos([video_id])
    with library.sessions() as session:
        assert cue_store.cues_of(video_id, session=session) == []
        assert cue_store.search_cues("deadline", 10, session=session) == []


SPOKEN = [
    (1.0, 2.0, "We missed the deadline again."),
    (3.0, 4.0, "The deadline was missed by we."),
    (5.0, 6.0, "Dead air on the radio"),
    (7.0, 8.0, "A DEADLINE, a deadline, always the deadline"),
    (9.0, 10.0, "nothing to see here"),
    (11.0, 12.0, "l'été dernier, café"),
]


def _with_spoken_cues(settings: Settings, tmp_path: Path) -> tuple[Library, int]:
    video = make_video(tmp_path / "talk.mp4", [Segment("red", 13)])  # lines past its end are not stored
    library, _ = _index(settings, [video])
    with library.sessions() as session:
        video_id = store.video_by_path(str(video), session=session).id
        cue_store.write_cues(
            video_id,
            [cue_store.CueRow(a, b, t, "sidecar:talk.srt") for a, b, t in SPOKEN],
            replacing="subtitles",
            session=session,
        )
        session.commit()
    return library, video_id


def test_lexical_search_phrases_prefixes_and_words_on_both_backends(db_settings: Settings, tmp_path: Path) -> None:
    library, video_id = _with_spoken_cues(db_settings, tmp_path)

    def found(query: str, limit: int = 10) -> list[str]:
        with library.sessions() as session:
            hits = cue_store.search_cues(query, limit, session=session)
        assert all(h.video_id == video_id for h in hits) and [h.rank for h in hits] == list(range(len(hits)))
        return [h.text for h in hits]

    assert found('"we missed the deadline"') == ["We missed the deadline again."]  # the words in that order
    assert sorted(found("we missed the deadline")) == sorted([SPOKEN[0][2], SPOKEN[1][2]])  # all words, any order
    assert found("deadline")[0] == SPOKEN[3][2]  # the line saying it three times ranks first
    assert sorted(found("dead*")) == sorted([SPOKEN[0][2], SPOKEN[1][2], SPOKEN[2][2], SPOKEN[3][2]])
    assert found("dead") == [SPOKEN[2][2]]  # a word, not a prefix
    assert found('"dead ai"*') == [SPOKEN[2][2]]
    assert found("CAFÉ") == [SPOKEN[5][2]] and found("été") == [SPOKEN[5][2]]
    assert found("deadline", limit=1) == [SPOKEN[3][2]]
    assert found("giraffe") == [] and found("!!") == []
    assert found('NEAR( OR "x" & y:*') == []  # operator characters are plain text, never a syntax error


def test_a_sidecar_that_is_not_subtitles_gives_a_few_notes_and_no_cues(tmp_path: Path) -> None:
    make_video(tmp_path / "clip.mp4", [Segment("red", 1)])
    (tmp_path / "clip.srt").write_bytes(bytes(range(256)) * 20)  # binary: not UTF-8, no time lines
    (tmp_path / "clip.en.vtt").write_text("00:01.000 --> 00:02.000\nno header\n")
    (tmp_path / "clip.fr.srt").mkdir()  # a folder with a sidecar's name is not a sidecar
    (tmp_path / "clip.de.srt").write_bytes(b"1\n00:00:01,000 --> 00:00:02,000\ncaf\xe9 cr\xe8me\n")  # cp1252
    cues, notes = cues_of(tmp_path / "clip.mp4")
    assert [(c.text, c.source, c.lang) for c in cues] == [("café crème", "sidecar:clip.de.srt", "de")]
    assert notes[0] == "clip.en.vtt: no WEBVTT header on the first line"
    assert notes[1:] == ["clip.srt: not text (no text encoding fits its bytes): is it a subtitle file?"]
