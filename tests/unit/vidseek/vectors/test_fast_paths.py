"""Fast paths give the same answers as the plain path: int8 vectors against fp32, keyframe-only
decoding against full decoding, and both decoders' keyframes."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from media import Segment, make_video

from cli.main import main
from indexer.decode import DecordDecoder, PyAVDecoder
from vidseek.errors import ModelError
from vidseek.models.encoders import load_encoder


def test_int8_vectors_stay_within_cosine_0_99_of_fp32() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fp32 = load_encoder("ViT-B-32:random", device="cpu", precision="fp32")
        int8 = load_encoder("ViT-B-32:random", device="cpu", precision="int8")
    assert int8.precision == "int8" and fp32.precision == "fp32"
    frames = np.random.default_rng(0).integers(0, 255, (6, 224, 224, 3), dtype=np.uint8)
    cos = (fp32.encode_frames(frames) * int8.encode_frames(frames)).sum(1)
    assert cos.min() >= 0.99
    texts = ["a dog on a beach", "a red car at night"]
    assert (fp32.encode_text(texts) * int8.encode_text(texts)).sum(1).min() >= 0.99


@pytest.mark.parametrize(
    "precision, device, message",
    [
        ("fp16", "cpu", "needs a CUDA device"),
        ("int8", "cuda", "no CUDA GPU is available"),
        ("fp8", "cpu", "must be one of"),
    ],
)
def test_impossible_precisions_are_refused(precision: str, device: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        load_encoder("RN50:random", device=device, precision=precision)


@pytest.fixture(scope="module")
def gop_video(tmp_path_factory) -> Path:
    """12 s at 10 fps with a keyframe every 2 s: red, then green from 6 s."""
    path = tmp_path_factory.mktemp("gop") / "gop.mp4"
    return make_video(path, [Segment("red", 6), Segment("green", 6)], x264_params="keyint=20:min-keyint=20:scenecut=0")


@pytest.mark.parametrize("decoder", [PyAVDecoder(), DecordDecoder()], ids=lambda d: d.name)
def test_keyframes_only_decodes_just_the_keyframes(decoder, gop_video: Path) -> None:
    full = [round(f.t, 2) for f in decoder.frames(gop_video, fps=1.0, size=(32, 32))]
    keys = [round(f.t, 2) for f in decoder.frames(gop_video, fps=1.0, size=(32, 32), keyframes_only=True)]
    assert full == [float(i) for i in range(12)]
    assert keys == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]


def test_keyframe_index_is_marked_and_a_full_run_refines_it(gop_video: Path, cli_env) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["index", "--keyframes-only", str(gop_video)]).exit_code == 0
    import json

    (video,) = json.loads(runner.invoke(main, ["ls", "--json"]).stdout)
    assert video["status"] == "keyframes"
    result = json.loads(runner.invoke(main, ["search", "green", "--json"]).stdout)["results"][0]
    assert result["start"] == 6.0
    again = runner.invoke(main, ["index", str(gop_video)])
    assert "1 indexed" in again.output
    (video,) = json.loads(runner.invoke(main, ["ls", "--json"]).stdout)
    assert video["status"] == "indexed"


def test_batches_are_large_on_a_gpu_unless_set(settings) -> None:
    from indexer.embedding import batch_size_for
    from vidseek.config import Settings

    class FakeGpuEncoder:
        name, dim, device = "fake", 4, "cuda:0"

    unset = Settings(data_dir=settings.data_dir, model=settings.model)
    assert batch_size_for(unset, FakeGpuEncoder()) == 256
    assert batch_size_for(unset, object()) == 32
    given = Settings(data_dir=settings.data_dir, model=settings.model, batch_size=8)
    assert batch_size_for(given, FakeGpuEncoder()) == 8
