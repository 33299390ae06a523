"""How a video's lines are stored and served whatever its subtitle files hold, on real files through
the real ``vidseek index``: at most VIDSEEK_CUES_PER_HOUR lines of a source an hour (the first kept,
one note for the rest), times inside the video, text safe for SQLite and PostgreSQL full text; lines
stored before these bounds (past the end, at 1.4e308 s) still answer searches, exports, captions and
the CLI; ``captions.vtt`` is sent as it is read."""

from __future__ import annotations

import io
import json
from pathlib import Path

import opentimelineio as otio
import pytest
import webvtt
from click.testing import CliRunner
from fastapi.testclient import TestClient
from media import Segment, make_video
from sqlalchemy import insert

from cli.main import main as cli
from indexer.progress import Progress
from indexer.runner import Indexer
from search_api.http.app import create_app
from search_api.http.captions import webvtt_parts
from search_api.http.routes import videos as video_routes
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.said import cue_bounds, text_analysis
from vidseek.storage import cue_store, store
from vidseek.storage.library import Library
from vidseek.storage.tables import Cue

COLOUR_MODEL = "python:colour_encoder:ColourEncoder"
DURATION = 10.0


def _stamp(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _srt(lines: list[tuple[float, float, str]]) -> str:
    return "".join(f"{i}\n{_stamp(a)} --> {_stamp(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(lines, 1))


def _video(root: Path, name: str) -> Path:
    return make_video(root / f"{name}.mp4", [Segment("red", 5), Segment("blue", 5)], fps=25)


def _captions(client: TestClient, video_id: int) -> list[webvtt.Caption]:
    response = client.get(f"/api/videos/{video_id}/captions.vtt")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/vtt; charset=utf-8"
    return list(webvtt.from_buffer(io.StringIO(response.text)))


def _ids(client: TestClient) -> dict[str, int]:
    return {Path(v["path"]).stem: v["id"] for v in client.get("/api/videos").json()["videos"]}


def test_a_subtitle_file_of_thousands_of_lines_keeps_its_first_with_one_note(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    root = tmp_path / "videos"
    flood = _video(root, "flood")
    lines = [(i * 0.004, i * 0.004 + 0.003, f"tick number {i}") for i in range(2400)]  # 2,400 lines in 9.6 s
    (root / "flood.srt").write_text(_srt(lines))
    late = _video(root, "late")
    (root / "late.srt").write_text(
        _srt([(1.0, 2.0, "early tock"), (8.0, 15.0, "late tock"), (20.0, 21.0, "gone tock"), (359999.0, 359999.5, "x")])
    )
    result = CliRunner().invoke(cli, ["index", str(root)])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert [n for n in notes if str(flood) in n] == [
        f"note: {flood}: subtitles: kept the first 600 of 2,400 lines of sidecar:flood.srt "
        "(VIDSEEK_CUES_PER_HOUR: 6,000 lines of one source an hour of video, at least 600)"
    ]
    assert [n for n in notes if str(late) in n] == [
        f"note: {late}: subtitles: dropped 2 lines starting after the video's end (10.000 s) or at no time"
    ]

    with TestClient(create_app(Settings(data_dir=Path(cli_env["VIDSEEK_DATA_DIR"]), model=COLOUR_MODEL))) as client:
        ids = _ids(client)
        flooded = _captions(client, ids["flood"])
        assert [c.text for c in flooded] == [f"tick number {i}" for i in range(600)]  # the first part
        assert [(c.start, c.end, c.text) for c in _captions(client, ids["late"])] == [
            ("00:00:01.000", "00:00:02.000", "early tock"),
            ("00:00:08.000", "00:00:10.000", "late tock"),
        ]
        found = client.get("/api/search", params={"q": "tock", "modality": "speech"}).json()["results"]
        assert sorted((r["start"], r["end"]) for r in found) == [(1.0, 2.0), (8.0, 10.0)]
    said = CliRunner().invoke(cli, ["search", "tick", "--modality", "speech", "--json"])
    assert said.exit_code == 0, said.output
    assert all(0 <= r["start"] <= r["end"] <= DURATION for r in json.loads(said.stdout)["results"])


def _index(settings: Settings, paths: list[Path]) -> Library:
    library = Library(settings, notify=lambda m: None)
    report = Indexer(settings, library, load_encoder(settings.model), progress=lambda: Progress(False)).index(paths)
    assert report.failed == [], report.failed
    return library


def test_lines_stored_past_the_end_before_the_clamp_answer_normally(
    db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = _video(tmp_path, "old")
    (tmp_path / "old.srt").write_text(_srt([(1.0, 2.0, "deadline one")]))
    library = _index(db_settings, [video])
    with library.sessions() as session:
        video_id = store.video_by_path(str(video), session=session).id
        rows = [(8.0, 15.0, "deadline late"), (1.4e308, 1.4e308, "deadline far"), (1e300, 1e300, "deadline farther")]
        session.execute(  # as a library stored before lines were clamped holds them
            insert(Cue),
            [
                {
                    "video_id": video_id,
                    "start": a,
                    "end": b,
                    "text": t,
                    "source": "sidecar:old.srt",
                    "lang": None,
                    "terms": text_analysis.index_text(t, None),  # as migration 0007 analysed them
                }
                for a, b, t in rows
            ],
        )
        session.commit()

    with TestClient(create_app(db_settings)) as client:
        for modality in ("speech", "all"):
            answer = client.get("/api/search", params={"q": "deadline", "modality": modality})
            assert answer.status_code == 200, answer.text
            moments = answer.json()["results"]
            assert moments and all(0 <= m["start"] <= m["peak"] <= m["end"] <= DURATION for m in moments)
            if modality == "speech":
                assert sorted((m["start"], m["end"]) for m in moments) == [(1.0, 2.0), (8.0, 10.0)]
        for suffix in ("otio", "edl", "csv"):
            exported = client.get(f"/api/export.{suffix}", params={"q": "deadline", "modality": "speech"})
            assert exported.status_code == 200, exported.text
        for suffix in ("fcpxml", "xml", "markers.edl"):  # whole lines: a stored line past the end stops there
            params = {"q": "deadline", "modality": "all", "lines": "whole", "handles": 1}
            exported = client.get(f"/api/export.{suffix}", params=params)
            assert exported.status_code == 200, exported.text
        timeline = otio.adapters.read_from_string(
            client.get("/api/export.otio", params={"q": "deadline", "modality": "speech"}).text, "otio_json"
        )
        ranges = [clip.source_range for clip in timeline.find_clips()]
        assert ranges and all(r.end_time_exclusive().to_seconds() <= DURATION + 1e-6 for r in ranges)
        assert [(c.start, c.end, c.text) for c in _captions(client, video_id)] == [
            ("00:00:01.000", "00:00:02.000", "deadline one"),
            ("00:00:08.000", "00:00:10.000", "deadline late"),
        ]
    for key, value in {"VIDSEEK_DATA_DIR": str(db_settings.data_dir), "VIDSEEK_MODEL": COLOUR_MODEL}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("VIDSEEK_DATABASE_URL", db_settings.database_url or "")
    said = CliRunner().invoke(cli, ["search", "deadline", "--modality", "speech", "--json"])
    assert said.exit_code == 0, said.output
    assert sorted((r["start"], r["end"]) for r in json.loads(said.stdout)["results"]) == [(1.0, 2.0), (8.0, 10.0)]
    table = CliRunner().invoke(cli, ["search", "deadline", "--modality", "all"])
    assert table.exit_code == 0, table.output


NUL_LINE = "h\0e\0l\0l\0o\0 world\x1b and\x07 more"  # UTF-16 read as bytes, a terminal escape, a bell
HUGE_LINE = "deadline " + "word " * 420_000  # 2.1 MB: past PostgreSQL's 1 MB tsvector


def test_nul_bytes_and_a_two_megabyte_line_are_stored_searchable(db_settings: Settings, tmp_path: Path) -> None:
    video = _video(tmp_path, "odd")
    (tmp_path / "odd.srt").write_text(_srt([(1.0, 2.0, NUL_LINE), (3.0, 4.0, HUGE_LINE), (5.0, 6.0, "plain end")]))
    library = _index(db_settings, [video])  # the real reader, then the one write
    with library.sessions() as session:
        video_id = store.video_by_path(str(video), session=session).id
        for cues in (
            [],
            [cue_store.CueRow(1.0, 2.0, NUL_LINE, "stream:1"), cue_store.CueRow(3.0, 4.0, HUGE_LINE, "stream:1")],
        ):
            if cues:  # the store alone, whatever a reader lets through
                note = cue_store.write_cues(video_id, cues, replacing="subtitles", session=session)
                session.commit()
                assert note == f"cut 1 line longer than {cue_bounds.TEXT_BYTES:,} bytes"
            stored = cue_store.cues_of(video_id, session=session)
            assert not any(ch in c.text for c in stored for ch in "\0\x1b\x07")
            assert max(len(c.text.encode()) for c in stored) <= cue_bounds.TEXT_BYTES
            assert [h.text for h in cue_store.search_cues("hello", 5, session=session)] == ["hello world and more"]
            assert [h.start for h in cue_store.search_cues("deadline", 5, session=session)] == [3.0]


def test_a_caption_file_is_read_page_by_page_as_it_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    video = _video(tmp_path, "paged")
    (tmp_path / "paged.srt").write_text(_srt([(i * 0.01, i * 0.01 + 0.005, f"line {i}") for i in range(550)]))
    library = _index(settings, [video])
    with library.sessions() as session:
        video_id = store.video_by_path(str(video), session=session).id
    pages: list[int] = []
    real_page = cue_store.timed_cues

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        found = real_page(*args, **kwargs)
        pages.append(len(found))
        return found

    monkeypatch.setattr(cue_store, "timed_cues", counted)
    monkeypatch.setattr(video_routes, "CAPTION_PAGE", 100)
    parts = webvtt_parts(video_routes._track_cues(library, video_id, "sidecar:paged.srt"), DURATION)
    assert next(parts) == "WEBVTT\n" and next(parts).startswith("\n00:00:00.000 --> 00:00:00.005\nline 0")
    assert pages == [100], "the first cue is sent when one page was read"
    assert len(list(parts)) == 549 and pages == [100] * 5 + [50]
    with TestClient(create_app(settings)) as client:
        with client.stream("GET", f"/api/videos/{video_id}/captions.vtt") as response:
            assert response.status_code == 200
            assert "content-length" not in response.headers  # streamed, not built whole first
            body = response.read().decode()
    assert [c.text for c in webvtt.from_buffer(io.StringIO(body))] == [f"line {i}" for i in range(550)]
