"""``vidseek transcribe``: which videos it queues (files, folders, ids, --all, --force), what it says,
and one clean line (no traceback) for every bad input."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_transcribers import IMPORT_HOSTILE, write_import_hostile
from media import Segment, make_video
from speech_media import Said, make_talking_video

from cli.main import main

TONES = "python:tone_transcriber:ToneTranscriber"


@pytest.fixture
def indexed(tmp_path: Path, cli_env) -> dict[str, Path]:  # noqa: ANN001
    """talk.mp4 says two words; titled.mp4 has a subtitle file; silent/film.mp4 has no sound."""
    root = tmp_path / "videos"
    paths = {
        "talk": make_talking_video(root / "talk.mp4", [Segment("red", 4)], [Said(1.0, 2.0, "hello")]),
        "titled": make_talking_video(root / "titled.mp4", [Segment("blue", 4)], [Said(1.0, 2.0, "budget")]),
        "silent": make_video(root / "silent" / "film.mp4", [Segment("green", 3)]),
    }
    (root / "titled.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nbudget\n")
    result = CliRunner().invoke(main, ["index", str(root)])
    assert result.exit_code == 0, result.output
    return paths


def _run(*args: str, env: dict[str, str] | None = None):  # noqa: ANN202
    result = CliRunner().invoke(main, ["transcribe", *args], env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def _queued(output: str) -> list[str]:
    return [
        Path(line.split(": ", 1)[1]).name
        for line in output.splitlines()
        if re.match(r"queued transcribe job \d+:", line)
    ]


def test_it_queues_videos_without_subtitles_or_transcript_and_the_worker_hears_them(indexed, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("VIDSEEK_SPEECH_MODEL", TONES)
    result = _run(str(indexed["talk"]), str(indexed["titled"]))
    assert result.exit_code == 0, result.output
    assert _queued(result.output) == ["talk.mp4"]
    assert "skipped 1 video(s) with subtitles" in result.output
    assert "queued 1 transcribe job(s) with test:tones-v1" in result.output

    result = _run("--all")
    assert _queued(result.output) == ["film.mp4"] and "1 video(s) already queued" in result.output, result.output
    worker = CliRunner().invoke(main, ["worker", "--until-idle", "--poll", "0.05"])
    assert worker.exit_code == 0 and "2 job(s) run" in worker.output, worker.output

    result = _run("--all")  # talk has a transcript, film was heard (no sound), titled has subtitles
    assert _queued(result.output) == [] and "skipped 3 video(s)" in result.output, result.output
    result = _run(str(indexed["silent"].parent), "--force")  # a folder: the videos under it
    assert _queued(result.output) == ["film.mp4"], result.output
    search = CliRunner().invoke(main, ["search", "hello", "--modality", "speech", "--json"])
    assert search.exit_code == 0, search.output
    assert '"start": 1.0' in search.output and "talk.mp4" in search.output


def test_an_unknown_path_is_one_error_line_and_exit_1_the_rest_still_queued(indexed, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("VIDSEEK_SPEECH_MODEL", TONES)
    result = _run("/no/such/file.mp4", str(indexed["talk"]))
    assert result.exit_code == 1
    assert _queued(result.output) == ["talk.mp4"]
    assert "error: /no/such/file.mp4: no indexed video has this id or path, and no folder holds one" in result.output


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        ((), {"VIDSEEK_SPEECH_MODEL": TONES}, "name the videos to transcribe"),
        (("--all", "x.mp4"), {"VIDSEEK_SPEECH_MODEL": TONES}, "name the videos to transcribe"),
        (("--all",), {}, "no speech model: set VIDSEEK_SPEECH_MODEL"),
        (("--all", "--speech-model", "python:no_such_module:X"), {}, "Cannot import module 'no_such_module'"),
        (("--all", "--speech-model", "whisper-small"), {}, "should be faster-whisper:SIZE"),
        (("--all", "--speech-model", "/no/such/folder"), {}, "Speech model folder /no/such/folder"),
        (("--all",), {"VIDSEEK_TRANSCRIBE": "sometimes"}, "VIDSEEK_TRANSCRIBE: Value error, transcribe must be"),
        (("--all",), {"VIDSEEK_SPEECH_WINDOW": "inf"}, "VIDSEEK_SPEECH_WINDOW: Input should be a finite number"),
        (("--all",), {"VIDSEEK_SPEECH_WINDOW": "nan"}, "VIDSEEK_SPEECH_WINDOW: Input should be a finite number"),
        (("--all",), {"VIDSEEK_SPEECH_WINDOW": "0.01"}, "VIDSEEK_SPEECH_WINDOW: Input should be greater than"),
        (("--all",), {"VIDSEEK_SPEECH_WINDOW": "1e9"}, "VIDSEEK_SPEECH_WINDOW: Input should be less than"),
        (("--all",), {"VIDSEEK_SPEECH_WINDOW_TIMEOUT": "inf"}, "VIDSEEK_SPEECH_WINDOW_TIMEOUT: Input should be a fin"),
        (("--all",), {"VIDSEEK_SPEECH_WINDOW_TIMEOUT": "0"}, "VIDSEEK_SPEECH_WINDOW_TIMEOUT: Input should be greater"),
        (("--all",), {"VIDSEEK_SPEECH_IMPORT_TIMEOUT": "-1"}, "VIDSEEK_SPEECH_IMPORT_TIMEOUT: Input should be greater"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(indexed, monkeypatch, args, env, says) -> None:  # noqa: ANN001
    monkeypatch.delenv("VIDSEEK_SPEECH_MODEL", raising=False)
    result = _run(*args, env=env)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) <= 2, result.output


@pytest.mark.skipif(importlib.util.find_spec("faster_whisper") is not None, reason="faster-whisper is installed")
def test_without_the_speech_extra_a_faster_whisper_model_says_how_to_install_it(indexed, monkeypatch) -> None:  # noqa: ANN001
    result = _run("--all", "--speech-model", "faster-whisper:small")
    assert result.exit_code == 2
    assert (
        "Error: Speech transcription with faster-whisper needs the speech extra: pip install 'vidseek[speech]'."
        in result.output
    )


@pytest.mark.parametrize("kind", sorted(IMPORT_HOSTILE))
def test_a_python_speech_model_that_fails_or_hangs_as_it_is_imported_is_one_line_and_exit_2(
    indexed: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path / "modules"))
    spec = write_import_hostile(tmp_path / "modules", kind)
    monkeypatch.setenv("VIDSEEK_SPEECH_MODEL", spec)
    if kind == "hangs":  # the others answer at once; a loaded machine may be slow to start Python
        monkeypatch.setenv("VIDSEEK_SPEECH_IMPORT_TIMEOUT", "1")
    result = _run("--all")
    assert result.exit_code == 2, result.output
    [line] = [line for line in result.output.splitlines() if line.strip()]
    assert f"VIDSEEK_SPEECH_MODEL={spec}" in line and IMPORT_HOSTILE[kind][1] in line, line
    if kind == "hangs":
        assert "did not finish within 1 s (VIDSEEK_SPEECH_IMPORT_TIMEOUT); it was stopped" in line
    assert "queued" not in line


def test_transcription_notes_of_the_indexer_say_transcript_not_subtitles(tmp_path: Path, cli_env) -> None:  # noqa: ANN001
    video = make_talking_video(tmp_path / "videos" / "talk.mp4", [Segment("red", 3)], [Said(1.0, 2.0, "hello")])
    result = CliRunner().invoke(main, ["index", str(video.parent)], env={"VIDSEEK_TRANSCRIBE": "auto"})
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert notes == [
        f"note: {video.resolve()}: transcript: not queued: VIDSEEK_TRANSCRIBE=auto needs a speech model: "
        "set VIDSEEK_SPEECH_MODEL"
    ]
