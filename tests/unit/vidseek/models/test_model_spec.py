"""Offline loading of any open_clip model: a model folder, an ``hf-hub:`` repository from the local
cache, the canonical spec a library records, and one clear sentence for each thing missing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hf_files import TINY_CONFIG, WORDS, cache_repo, offline_hub, tiny_model_folder

from cli.main import main
from vidseek.errors import ModelError
from vidseek.models.encoders import load_encoder
from vidseek.models.model_spec import canonical_spec, check_spec, open_clip_source


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_model_folder(tmp_path_factory.mktemp("models") / "tiny", seed=1)


def _reference_text_vector(folder: Path, text: str) -> np.ndarray:
    """What the saved weights give for ``text``, computed with open_clip and safetensors directly."""
    import open_clip
    import torch
    from safetensors.torch import load_file

    model = open_clip.create_model(f"local-dir:{folder}", load_weights=False).eval()
    model.load_state_dict(load_file(folder / "open_clip_model.safetensors"))
    with torch.inference_mode():
        out = model.encode_text(open_clip.get_tokenizer(f"local-dir:{folder}")([text])).numpy()[0]
    return out / np.linalg.norm(out)


def test_a_model_folder_loads_its_own_weights_and_is_named_by_their_digest(folder: Path) -> None:
    encoder = load_encoder(str(folder))
    assert encoder.name.startswith("open_clip:local-dir:sha256=") and encoder.dim == 32
    assert encoder.input_size == (32, 32)
    assert np.allclose(encoder.encode_text(["a dog"])[0], _reference_text_vector(folder, "a dog"), atol=1e-5)
    frames = np.random.default_rng(0).integers(0, 255, (2, 32, 32, 3), dtype=np.uint8)
    assert encoder.encode_frames(frames).shape == (2, 32)


def test_every_spelling_of_a_folder_is_the_same_model(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder.parent)
    spellings = (str(folder), f"local-dir:{folder}", "./tiny", f"local-dir:./{folder.name}")
    names = {open_clip_source(s).name for s in spellings}
    assert len(names) == 1
    assert canonical_spec("./tiny") == f"local-dir:{folder}"


def test_another_folder_with_other_weights_is_another_model(folder: Path, tmp_path: Path) -> None:
    other = tiny_model_folder(tmp_path / "other", seed=2)
    assert open_clip_source(str(other)).name != open_clip_source(str(folder)).name


def test_a_folder_with_a_hugging_face_tokenizer_uses_its_files(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    multilingual = tiny_model_folder(tmp_path / "multi", tokenizer=True)
    encoder = load_encoder(str(multilingual))
    ids = [WORDS.index(w) + 3 for w in ("un", "chien", "court")] + [1]  # the test tokenizer's ids, then </s>
    assert encoder.tokenizer(["un chien court"])[0, :4].tolist() == ids
    assert encoder.encode_text(["un chien court", "猫 走る"]).shape == (2, 32)


def _broken(tmp_path: Path, folder: Path, damage: str) -> Path:
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in folder.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    if damage == "no config":
        (broken / "open_clip_config.json").unlink()
    elif damage == "bad json":
        (broken / "open_clip_config.json").write_text("{not json")
    elif damage == "no model_cfg":
        (broken / "open_clip_config.json").write_text(json.dumps({"something": 1}))
    elif damage == "no weights":
        (broken / "open_clip_model.safetensors").unlink()
    elif damage == "no tokenizer":
        config = {"model_cfg": {**TINY_CONFIG, "text_cfg": {**TINY_CONFIG["text_cfg"], "hf_tokenizer_name": "x/y"}}}
        (broken / "open_clip_config.json").write_text(json.dumps(config))
    elif damage == "corrupt weights":
        (broken / "open_clip_model.safetensors").write_bytes(b"not safetensors")
    return broken


@pytest.mark.parametrize(
    "damage, message",
    [
        ("no config", "has no open_clip_config.json"),
        ("bad json", "open_clip_config.json is not a readable JSON file"),
        ("no model_cfg", "open_clip_config.json has no 'model_cfg'"),
        ("no weights", "has no weights file"),
        ("no tokenizer", "has no tokenizer files"),
    ],
)
def test_a_folder_missing_something_says_what_in_one_sentence(
    folder: Path, tmp_path: Path, damage: str, message: str
) -> None:
    broken = _broken(tmp_path, folder, damage)
    for attempt in (check_spec, load_encoder):
        with pytest.raises(ModelError, match=message) as caught:
            attempt(str(broken))
        assert str(broken) in str(caught.value) and "\n" not in str(caught.value)


def test_corrupt_weights_in_a_folder_are_named(folder: Path, tmp_path: Path) -> None:
    broken = _broken(tmp_path, folder, "corrupt weights")
    with pytest.raises(ModelError, match=f"Could not load the open_clip model in folder {broken}"):
        load_encoder(str(broken))


def test_a_missing_folder_is_one_line_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDSEEK_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["--model", str(tmp_path / "nowhere"), "index", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"Model folder {tmp_path / 'nowhere'} (from VIDSEEK_MODEL) does not exist" in result.output


def test_an_hf_hub_repository_loads_offline_from_the_local_cache(folder: Path, tmp_path: Path) -> None:
    with offline_hub(tmp_path / "hub") as cache:
        cache_repo(cache, "acme/tiny-clip", folder)
        check_spec("hf-hub:acme/tiny-clip")
        encoder = load_encoder("hf-hub:acme/tiny-clip")
    assert encoder.name == "open_clip:hf-hub:acme/tiny-clip" and encoder.dim == 32
    assert np.allclose(encoder.encode_text(["a dog"])[0], _reference_text_vector(folder, "a dog"), atol=1e-5)


def test_an_hf_hub_repository_not_cached_fails_fast_offline(tmp_path: Path) -> None:
    with offline_hub(tmp_path / "hub"):
        started = time.monotonic()
        with pytest.raises(ModelError, match="Could not fetch the open_clip model hf-hub:acme/missing"):
            check_spec("hf-hub:acme/missing")
        assert time.monotonic() - started < 2.0  # at once, not after network timeouts
        with pytest.raises(ModelError, match="hf-hub:acme/missing"):  # not a model with random weights
            load_encoder("hf-hub:acme/missing")


def test_an_hf_hub_repository_without_weights_is_refused_not_random(folder: Path, tmp_path: Path) -> None:
    only_config = tmp_path / "only-config"
    only_config.mkdir()
    (only_config / "open_clip_config.json").write_bytes((folder / "open_clip_config.json").read_bytes())
    with offline_hub(tmp_path / "hub") as cache:
        cache_repo(cache, "acme/no-weights", only_config)
        with pytest.raises(ModelError, match="hf-hub:acme/no-weights"):
            check_spec("hf-hub:acme/no-weights")
        with pytest.raises(ModelError, match="hf-hub:acme/no-weights"):
            load_encoder("hf-hub:acme/no-weights")


@pytest.mark.parametrize("spec", ["hf-hub:", "hf-hub:acme", "hf-hub:acme/a/b"])
def test_malformed_hf_hub_specs_say_the_form(spec: str) -> None:
    with pytest.raises(ModelError, match="should look like hf-hub:ORG/REPO"):
        open_clip_source(spec)


def test_canonical_specs_load_from_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "w.pt").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    assert canonical_spec("fast") == "ViT-B-32:laion2b_s34b_b79k"
    assert canonical_spec("best") == "PE-Core-B-16:meta"
    assert canonical_spec("RN50:./w.pt") == f"RN50:{tmp_path / 'w.pt'}"
    assert canonical_spec("ViT-B-32:random") == "ViT-B-32:random"
    assert canonical_spec("hf-hub:acme/x") == "hf-hub:acme/x"
    assert canonical_spec("python:colour_encoder:ColourEncoder") == "python:colour_encoder:ColourEncoder"


@pytest.mark.parametrize("attempt", [check_spec, load_encoder], ids=["check_spec", "load_encoder"])
def test_an_unfetchable_model_with_a_hugging_face_tokenizer_asks_for_a_folder(tmp_path: Path, attempt) -> None:  # noqa: ANN001
    """Its weights file alone would not do offline: the tokenizer files must come with it."""
    with offline_hub(tmp_path / "hub"), pytest.raises(ModelError) as caught:
        attempt("multilingual")
    message = str(caught.value)
    assert "timm/ViT-B-16-SigLIP-i18n-256" in message and "VIDSEEK_MODEL=/path/to/that/folder" in message
    assert "ARCH:/path" not in message and ":/path/to/weights.bin" not in message
