"""The pure parts of speech transcription: audio windows and their offsets, which cues a write
replaces, speech model specs and their one-sentence errors (without faster-whisper installed), and
the lines a transcriber answers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from indexer.said.audio_windows import SAMPLE_RATE, windows
from vidseek.errors import ModelError
from vidseek.said import cue_sources
from vidseek.said.speech_spec import INSTALL, check_speech_spec, speech_source
from vidseek.said.transcribers import Heard, heard_lines, load_transcriber
from vidseek.said.transcripts import wants_transcript

HAS_FASTER_WHISPER = importlib.util.find_spec("faster_whisper") is not None


def test_windows_regroup_blocks_of_any_size_with_their_start_times() -> None:
    samples = np.arange(25, dtype=np.float32)
    blocks = [samples[:3], samples[3:4], samples[4:17], samples[17:]]
    out = list(windows(blocks, window_seconds=1.0, start=2.5, rate=10))
    assert [w.start for w in out] == [2.5, 3.5, 4.5]
    assert [w.samples.tolist() for w in out] == [samples[:10].tolist(), samples[10:20].tolist(), samples[20:].tolist()]
    assert out[-1].end == pytest.approx(2.5 + 25 / 10)


def test_windows_of_nothing_and_exact_multiples() -> None:
    assert list(windows([], window_seconds=1.0)) == []
    out = list(windows([np.zeros(2 * SAMPLE_RATE, np.float32)], window_seconds=1.0))
    assert [(w.start, len(w.samples)) for w in out] == [(0.0, SAMPLE_RATE), (1.0, SAMPLE_RATE)]
    with pytest.raises(ValueError, match="positive"):
        list(windows([np.zeros(3)], window_seconds=0))


@pytest.mark.parametrize(
    ("replacing", "source", "replaced"),
    [
        ("subtitles", "sidecar:talk.en.srt", True),
        ("subtitles", "stream:2", True),
        ("subtitles", "speech:test:tones-v1", False),
        ("transcript", "speech:test:tones-v1", True),
        ("transcript", "sidecar:talk.srt", False),
        ("all", "speech:faster-whisper:small", True),
        ("all", "stream:1", True),
    ],
)
def test_which_cues_a_write_replaces(replacing: str, source: str, replaced: bool) -> None:
    assert cue_sources.replaced_by(replacing, source) is replaced


def test_a_write_brings_only_cues_of_its_own_kind() -> None:
    cue_sources.check_write("subtitles", ["sidecar:a.srt", "stream:1"])
    cue_sources.check_write("transcript", [cue_sources.transcript_source("m")])
    cue_sources.check_write("all", ["sidecar:a.srt", "speech:m"])
    with pytest.raises(ValueError, match="subtitles write"):
        cue_sources.check_write("subtitles", ["speech:m"])
    with pytest.raises(ValueError, match="transcript write"):
        cue_sources.check_write("transcript", ["sidecar:a.srt"])
    with pytest.raises(ValueError, match="replacing must be"):
        cue_sources.check_write("everything", [])


def test_only_videos_without_subtitles_or_transcript_want_one_unless_forced() -> None:
    assert wants_transcript(None) and wants_transcript((0, 0))
    assert not wants_transcript((3, 0)) and not wants_transcript((0, 5))
    assert wants_transcript((3, 5), force=True)
    assert not wants_transcript((0, 0), heard=True), "a job heard this content already (and nothing in it)"
    assert wants_transcript((0, 0), heard=True, force=True)


def test_python_specs_name_their_transcriber_without_building_it() -> None:
    source = check_speech_spec("python:tone_transcriber:ToneTranscriber")
    assert (source.kind, source.name, source.spec) == (
        "python",
        "test:tones-v1",
        "python:tone_transcriber:ToneTranscriber",
    )
    with pytest.raises(ModelError, match="Cannot import module 'no_such_module'"):
        speech_source("python:no_such_module:X")
    with pytest.raises(ModelError, match="has no attribute 'Nope'"):
        speech_source("python:tone_transcriber:Nope")


@pytest.mark.parametrize("spec", ["whisper", "small", "faster-whisper:", "faster-whisper:a/b/c", "ViT-B-32:openai"])
def test_a_malformed_spec_says_what_a_spec_looks_like(spec: str) -> None:
    with pytest.raises(ModelError, match="should be faster-whisper:SIZE"):
        speech_source(spec)


def test_a_folder_spec_must_hold_a_faster_whisper_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist or is not a folder"):
        speech_source(str(tmp_path / "missing"))
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match="has no tokenizer.json"):
        speech_source(str(tmp_path))
    (tmp_path / "tokenizer.json").write_text("{}")
    for spec in (str(tmp_path), f"faster-whisper:{tmp_path}"):
        source = speech_source(spec)
        assert (source.kind, source.spec, source.name) == ("folder", str(tmp_path), f"faster-whisper:{tmp_path.name}")


@pytest.mark.skipif(HAS_FASTER_WHISPER, reason="faster-whisper is installed here")
def test_without_faster_whisper_a_faster_whisper_spec_says_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    (tmp_path / "tokenizer.json").write_text("{}")
    for spec in ("faster-whisper:small", str(tmp_path)):
        with pytest.raises(ModelError) as caught:
            check_speech_spec(spec)
        assert INSTALL in str(caught.value) and "\n" not in str(caught.value)
        with pytest.raises(ModelError, match="pip install 'vidseek\\[speech\\]'"):
            load_transcriber(spec)


@pytest.mark.skipif(not HAS_FASTER_WHISPER, reason="needs faster-whisper (pip install 'vidseek[speech]')")
def test_with_faster_whisper_unfetchable_or_broken_models_say_so_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = "faster-whisper:vidseek-tests/no-such-model"  # in no cache
    with pytest.raises(ModelError, match="Could not fetch the faster-whisper model .*VIDSEEK_SPEECH_MODEL=/path"):
        check_speech_spec(spec, timeout=0.5)
    with pytest.raises(ModelError, match="has no model 'huge-v9'"):
        check_speech_spec("faster-whisper:huge-v9")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.bin").write_bytes(b"not a model")
    (tmp_path / "m" / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelError, match="Could not load the faster-whisper model in folder"):
        load_transcriber(str(tmp_path / "m"), device="cpu")


def test_lines_are_checked_and_empty_ones_dropped() -> None:
    class Segment:
        start, end, text = 1.0, 2.5, " hello "

    assert heard_lines([(0.0, 1.0, "a"), Segment(), (3.0, 4.0, "  ")], "t") == [
        Heard(0.0, 1.0, "a"),
        Heard(1.0, 2.5, "hello"),
    ]
    assert heard_lines([(2.0, 1.0, "backwards")], "t") == [Heard(2.0, 2.0, "backwards")]
    with pytest.raises(ModelError, match="each line should be"):
        heard_lines([("not", "a", "time")], "t")
    with pytest.raises(ModelError, match="times must be finite"):
        heard_lines([(float("nan"), 1.0, "x")], "t")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (42, "returned 42, not a list"),
        (None, "returned None, not a list"),
        ("hello", "returned 'hello', not a list"),
        ({"start": 0.0}, "not a list"),
        ([(0.0, 1.0, b"bytes")], "each line should be (start, end, text)"),
        ([("x" * 500, 1.0, "a")], "each line should be"),
    ],
)
def test_an_answer_that_is_not_lines_is_one_short_model_error(raw: object, says: str) -> None:
    with pytest.raises(ModelError) as caught:
        heard_lines(raw, "t")
    assert says in str(caught.value) and len(str(caught.value)) < 200, str(caught.value)


def test_lines_may_come_from_an_iterator_but_one_that_raises_is_bad_output() -> None:
    assert heard_lines(iter([(0.0, 1.0, "a")]), "t") == [Heard(0.0, 1.0, "a")]
    assert heard_lines(((0.0, 1.0, w) for w in ["a", "b"]), "t") == [Heard(0.0, 1.0, "a"), Heard(0.0, 1.0, "b")]

    def broken():  # noqa: ANN202
        yield (0.0, 1.0, "a")
        raise RuntimeError("state " * 200)

    with pytest.raises(ModelError, match="failed as they were read: RuntimeError: state") as caught:
        heard_lines(broken(), "t")
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(
    ("text", "cap", "cut_to"),
    [
        ("short", 10, "short"),
        ("alpha beta gamma delta", 12, "alpha beta"),
        ("one two three four", 8, "one two"),
        ("abcdefghij klm", 5, "abcde"),
        ("one twothree", 9, "one twoth"),
    ],
)
def test_long_lines_are_cut_after_a_whole_word_when_one_ends_near_the_cap(text: str, cap: int, cut_to: str) -> None:
    from indexer.said.transcription import cut

    assert cut(text, cap) == cut_to


def test_the_window_time_limit_is_the_setting_else_generous_for_the_window(tmp_path: Path) -> None:
    from vidseek.config import Settings

    assert Settings(data_dir=tmp_path).speech_window_limit == 3000.0
    assert Settings(data_dir=tmp_path, speech_window=30).speech_window_limit == 300.0
    assert Settings(data_dir=tmp_path, speech_window=30, speech_window_timeout=5).speech_window_limit == 5.0


def test_a_python_spec_is_parsed_without_importing_it() -> None:
    from vidseek.said.speech_spec import parse_speech_spec

    source = parse_speech_spec("python:no_such_module:X")
    assert (source.kind, source.spec, source.name) == ("python", "python:no_such_module:X", "no_such_module.X")
    with pytest.raises(ModelError, match="should look like python:MODULE:ATTR"):
        parse_speech_spec("python:only_a_module")
