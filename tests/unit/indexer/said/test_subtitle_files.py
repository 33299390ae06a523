"""Subtitle files as they come in the wild, read beside a video: any encoding (byte-order marks,
GB2312, Windows-1252 ...), language tags in file names, hostile or huge files. A bad file costs one
short note, never a traceback, the video's pictures or the rest of the batch. pysubs2 is the reference
reader."""

from __future__ import annotations

from pathlib import Path

import pysubs2
import pytest
from click.testing import CliRunner
from media import Segment, make_video

from cli.main import main
from indexer.said.sidecars import Sidecars, cues_of, read_sidecar
from search_api.http.captions import CaptionSource, NoCaptions, choose_source
from vidseek.config import Settings

SRT = (
    "1\r\n00:00:01,000 --> 00:00:02,000\r\n{chinese}\r\n\r\n"
    "2\r\n00:00:03,000 --> 00:00:04,500\r\n<i>Ça va ? Très bien, à bientôt.</i>\r\n\r\n"
    "3\r\n00:00:05,000 --> 00:00:06,000\r\nМы пропустили срок\r\n"
)
CHINESE = "我们又错过了截止日期，明天再说吧。"
"""Two sentences in simplified Chinese (every character in GB2312)."""


def _reference(path: Path, encoding: str) -> list[tuple[int, int, str]]:
    """pysubs2's reading of ``path``, told its true encoding."""
    return [(e.start, e.end, " ".join(e.plaintext.split())) for e in pysubs2.load(str(path), encoding=encoding)]


def _read(path: Path) -> tuple[list[tuple[int, int, str]], list[str]]:
    cues, notes = read_sidecar(path)
    return [(round(c.start * 1000), round(c.end * 1000), c.text) for c in cues], notes


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_unicode_files_with_a_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "talk.srt"
    text = SRT.format(chinese=CHINESE)
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff", "utf-32-be": "\ufeff"}.get(encoding, "")
    path.write_bytes((bom + text).encode(encoding))
    assert path.read_bytes()[:2] in (b"\xef\xbb", b"\xff\xfe", b"\xfe\xff", b"\x00\x00")
    cues, notes = _read(path)
    assert cues == _reference(path, "utf-8-sig" if encoding == "utf-8-sig" else encoding[:6])  # the BOM says which
    assert len(cues) == 3 and notes == []


@pytest.mark.parametrize(
    ("encoding", "lines"),
    [
        ("gb2312", [CHINESE, "今天的天气很好，我们去公园散步吧。", "这部电影的字幕是用简体中文写的。"]),
        ("cp1251", ["Мы пропустили срок.", "Завтра будет новый день.", "Где мои ключи?"]),
        ("cp1252", ["Ça va ? Très bien.", "À bientôt, café crème.", "Où est la gare ?"]),
        ("shift_jis", ["締め切りに間に合わなかった。", "明日また話しましょう。", "字幕は日本語です。"]),
    ],
)
def test_legacy_encodings_are_detected(tmp_path: Path, encoding: str, lines: list[str]) -> None:
    path = tmp_path / "talk.srt"
    blocks = [f"{n}\r\n00:00:0{n},000 --> 00:00:0{n},900\r\n{line}\r\n" for n, line in enumerate(lines, 1)]
    path.write_bytes("\r\n".join(blocks).encode(encoding))
    cues, notes = _read(path)
    assert cues == _reference(path, encoding) and [c[2] for c in cues] == lines and notes == []


def test_binary_junk_named_like_subtitles_gives_one_note_each(tmp_path: Path) -> None:
    make_video(tmp_path / "clip.mp4", [Segment("red", 1)])
    junk = bytes((i * 197 + 89) % 256 for i in range(4096))
    for name in ("clip.ass", "clip.srt", "clip.en.vtt"):
        (tmp_path / name).write_bytes(junk)
    cues, notes = cues_of(tmp_path / "clip.mp4")
    assert cues == [] and sorted(note.split(":")[0] for note in notes) == ["clip.ass", "clip.en.vtt", "clip.srt"]


def test_an_ass_file_that_decodes_but_has_no_events_gives_a_note(tmp_path: Path) -> None:
    make_video(tmp_path / "clip.mp4", [Segment("red", 1)])
    (tmp_path / "clip.ass").write_text("just some words\nand more words\n")
    cues, notes = cues_of(tmp_path / "clip.mp4")
    assert cues == [] and notes == ["clip.ass: no [Events] section: is it an ASS/SSA file?"]


def test_a_file_over_the_byte_limit_is_read_in_part_with_one_note(tmp_path: Path) -> None:
    make_video(tmp_path / "clip.mp4", [Segment("red", 1)])
    sidecar = tmp_path / "clip.srt"
    sidecar.write_text("".join(f"{n}\n00:00:{n:02d},000 --> 00:00:{n:02d},500\nline number {n}\n\n" for n in range(60)))
    whole = _reference(sidecar, "utf-8")
    cues, notes = cues_of(tmp_path / "clip.mp4", max_bytes=1024)
    kept = [(round(c.start * 1000), round(c.end * 1000), c.text) for c in cues]
    assert 0 < len(kept) < len(whole) and kept == whole[: len(kept)]  # whole cues, from the start
    assert len(notes) == 1 and notes[0].startswith("clip.srt: only its first 1,024 bytes read")


def test_long_cue_text_is_cut_with_a_note(tmp_path: Path) -> None:
    make_video(tmp_path / "clip.mp4", [Segment("red", 1)])
    (tmp_path / "clip.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,000\n" + "word " * 400 + "\n\n2\n00:00:03,000 --> 00:00:04,000\nshort\n"
    )
    cues, notes = cues_of(tmp_path / "clip.mp4", max_chars=100)
    assert [len(c.text) <= 100 for c in cues] == [True, True] and cues[0].text.startswith("word word")
    assert cues[1].text == "short"
    assert len(notes) == 1 and "1,999 characters: cut to 100" in notes[0]


def test_the_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDSEEK_SUBTITLE_MAX_BYTES", "65536")
    monkeypatch.setenv("VIDSEEK_CUE_MAX_CHARS", "250")
    settings = Settings()
    assert (settings.subtitle_max_bytes, settings.cue_max_chars) == (65536, 250)
    monkeypatch.delenv("VIDSEEK_SUBTITLE_MAX_BYTES")
    monkeypatch.delenv("VIDSEEK_CUE_MAX_CHARS")
    assert (Settings().subtitle_max_bytes, Settings().cue_max_chars) == (20 * 1024**2, 1000)


def test_hostile_sidecars_cost_a_note_each_and_the_batch_is_indexed(
    tmp_path: Path, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDSEEK_CUE_MAX_CHARS", "40")
    folder = tmp_path / "videos"
    make_video(folder / "a.mp4", [Segment("red", 2)])
    make_video(folder / "b.mp4", [Segment("blue", 2)])
    (folder / "a.srt").write_text(
        f"1\n{'9' * 5000}:00:00,000 --> 00:00:01,000\nhuge hour\n\n"
        f"2\n{'8' * 400}:00:00,000 --> 00:00:01,000\nlarge hour\n\n"
        "3\n00:00:00,500 --> 00:00:01,500\nthe words that stay, and then some more of them\n"
    )
    (folder / "a.en.srt").write_text("1\n00:00:01,000 --> " + "1" * 5_000_000 + "\nlong time line\n")
    (folder / "a.ass").write_bytes(bytes((i * 197 + 89) % 256 for i in range(4096)))
    (folder / "a.de.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\n" + "<" * 300_000 + "\n")
    (folder / "b.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nfine\n")
    result = CliRunner().invoke(main, ["index", str(folder)])
    assert result.exit_code == 0 and "2 indexed" in result.stdout, result.output
    notes = result.stderr.splitlines()
    assert "Traceback" not in result.stderr and all(
        line.startswith(f"note: {folder / 'a.mp4'}: subtitles: a.") for line in notes
    )
    assert all(len(line) < 250 for line in notes)
    assert sum("a.ass:" in line for line in notes) == 1
    assert sum("a.en.srt:" in line for line in notes) == 1
    assert sum("a.srt:" in line for line in notes) == 3  # two hours, one cut cue
    search = CliRunner().invoke(main, ["search", "words that stay", "--modality", "speech", "--json"])
    assert search.exit_code == 0 and "the words that stay" in search.stdout, search.output


def test_sidecar_languages_are_read_with_langcodes(tmp_path: Path) -> None:
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"x")
    names = ("talk.eng.srt", "talk.ger.srt", "talk.pt_BR.vtt", "talk.zh-Hant.ass", "talk.xx.srt", "talk.sdh.srt")
    for name in (*names, "talk.sub.srt", "talk.forced.srt"):
        (tmp_path / name).write_text("")
    assert [(p.name, lang) for p, lang in Sidecars().of(video)] == [
        ("talk.eng.srt", "eng"),
        ("talk.ger.srt", "ger"),
        ("talk.pt_BR.vtt", "pt_BR"),
        ("talk.zh-Hant.ass", "zh-Hant"),
    ]


def test_caption_languages_match_by_any_of_their_codes() -> None:
    tracks = [
        CaptionSource("sidecar:talk.wel.srt", "wel", 1),
        CaptionSource("sidecar:talk.pt_BR.vtt", "pt_BR", 1),
        CaptionSource("stream:2", "ger", 1),
        CaptionSource("stream:3", "baq", 1),
        CaptionSource("stream:4", "slo", 1),
        CaptionSource("stream:5", "en-GB", 1),
    ]
    for asked, source in (
        ("cy", "sidecar:talk.wel.srt"),
        ("cym", "sidecar:talk.wel.srt"),
        ("pt-BR", "sidecar:talk.pt_BR.vtt"),
        ("por", "sidecar:talk.pt_BR.vtt"),
        ("deu", "stream:2"),
        ("de", "stream:2"),
        ("eu", "stream:3"),
        ("eus", "stream:3"),
        ("sk", "stream:4"),
        ("eng", "stream:5"),
    ):
        assert choose_source(tracks, lang=asked).source == source, asked
    for asked in ("pt-PT", "de-AT", "en-US", "fr"):
        with pytest.raises(NoCaptions):
            choose_source(tracks, lang=asked)


def test_a_worker_logs_one_line_per_hostile_sidecar(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from indexer.worker import Worker
    from vidseek.storage import jobs

    video = make_video(tmp_path / "a.mp4", [Segment("red", 2)])
    (tmp_path / "a.srt").write_text(f"1\n{'9' * 5000}:00:00,000 --> 00:00:01,000\nhuge hour\n")
    (tmp_path / "a.ass").write_bytes(bytes((i * 197 + 89) % 256 for i in range(4096)))
    worker = Worker(settings, lease_seconds=5.0, poll_seconds=0.05, save_interval=0)
    with worker.library.sessions() as session:
        job_id = jobs.enqueue("index", path=str(video), session=session).id
        session.commit()
    with caplog.at_level("WARNING", logger="indexer.worker"):
        worker.run(until_idle=True)
    with worker.library.sessions() as session:
        assert jobs.get_job(job_id, session=session).status == "done"
    lines = [r.getMessage() for r in caplog.records if r.name == "indexer.worker"]
    assert all(r.exc_info is None for r in caplog.records)
    assert sorted(line.split(": subtitles: ")[1].split(":")[0] for line in lines) == ["a.ass", "a.srt"]
    assert all(len(line) < 250 for line in lines)
