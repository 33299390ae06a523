"""indexer.decode.audio: a file's first audio stream as 16 kHz mono windows timed from the start of
the file, heard by the tone transcriber (tests/tone_transcriber.py) as known words at known times."""

from __future__ import annotations

from pathlib import Path

import pytest
from media import Segment, make_video
from speech_media import Said, make_talking_video
from tone_transcriber import ToneTranscriber

from indexer.decode import NoAudio, audio_windows
from indexer.said.audio_windows import SAMPLE_RATE
from indexer.said.transcription import hear
from vidseek.errors import DecodeError

SAID = [Said(1.0, 2.0, "hello"), Said(3.5, 4.5, "deadline"), Said(5.0, 5.5, "budget")]


def _heard(path: Path, window_seconds: float) -> list[tuple[float, float, str]]:
    heard = hear(path, ToneTranscriber(), window_seconds=window_seconds, duration=6.0)
    assert not heard.no_audio
    assert {c.source for c in heard.cues} <= {"speech:test:tones-v1"}
    return [(c.start, c.end, c.text) for c in heard.cues]


@pytest.mark.parametrize(
    ("name", "codec", "rate", "layout"),
    [
        ("aac.mp4", "aac", 44100, "stereo"),
        ("pcm.mkv", "pcm_s16le", 22050, "mono"),
        ("opus.mkv", "libopus", 48000, "stereo"),
    ],
)
def test_sound_is_heard_at_its_times_whatever_the_codec_rate_and_channels(
    tmp_path: Path, name: str, codec: str, rate: int, layout: str
) -> None:
    path = make_talking_video(tmp_path / name, [Segment("red", 6)], SAID, codec=codec, rate=rate, layout=layout)
    windows = list(audio_windows(path, window_seconds=600))
    assert len(windows) == 1 and windows[0].start == 0.0
    assert windows[0].samples.dtype.name == "float32" and windows[0].samples.ndim == 1
    assert abs(len(windows[0].samples) / SAMPLE_RATE - 6.0) < 0.1
    assert _heard(path, 600) == [(s.start, s.end, s.word) for s in SAID]


def test_windows_carry_their_offsets_into_the_cue_times(tmp_path: Path) -> None:
    path = make_talking_video(tmp_path / "t.mp4", [Segment("red", 6)], SAID)
    assert [w.start for w in audio_windows(path, window_seconds=2.5)] == [0.0, 2.5, 5.0]
    # 3.5-4.5 lies inside the second window, 5.0-5.5 at the start of the third: times from the file's start
    assert _heard(path, 2.5) == [(s.start, s.end, s.word) for s in SAID]
    # a word across a window edge is heard as two pieces, each at its right time
    assert _heard(path, 1.5) == [(1.0, 1.5, "hello"), (1.5, 2.0, "hello"), (3.5, 4.5, "deadline"), (5.0, 5.5, "budget")]


def test_a_video_without_sound_is_no_audio_and_heard_as_saying_nothing(tmp_path: Path) -> None:
    path = make_video(tmp_path / "silent-film.mp4", [Segment("red", 2)])
    with pytest.raises(NoAudio, match="no audio stream"):
        next(audio_windows(path))
    heard = hear(path, ToneTranscriber(), window_seconds=600, duration=2.0)
    assert heard.no_audio and heard.cues == []


def test_a_file_that_is_not_a_video_is_a_decode_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    with pytest.raises(DecodeError, match="not a readable video"):
        next(audio_windows(junk))
