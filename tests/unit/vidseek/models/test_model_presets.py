"""The presets: each names a loadable open_clip model whose architecture builds here with random
weights (no download) and gives vectors of the recorded size; ``vidseek models`` lists them."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hf_files import cache_repo, offline_hub, tiny_hf_tokenizer

from cli.main import main
from vidseek.config import DEFAULT_MODEL, Settings
from vidseek.models.encoders import _build
from vidseek.models.model_folders import hf_tokenizer_name
from vidseek.models.model_presets import DEFAULT_PRESET, PRESETS, expand_preset, preset_named, preset_of_spec
from vidseek.models.model_spec import open_clip_source


@pytest.fixture(scope="module", params=PRESETS, ids=lambda p: p.name)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """(preset, its architecture with random weights), each built once: PE-Core-B-16 is big. A
    Hugging Face tokenizer a preset names is a tiny one written here, in an offline hub cache."""
    import open_clip

    preset = request.param
    arch = preset.spec.split(":")[0]
    tokenizer = hf_tokenizer_name(open_clip.get_model_config(arch))
    with offline_hub(tmp_path_factory.mktemp("hub")) as cache:
        if tokenizer:
            cache_repo(cache, tokenizer, tiny_hf_tokenizer(tmp_path_factory.mktemp("tokenizer")))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "untrained weights"
            # built, not loaded: the process-wide encoder cache would keep PE-Core's 1.7 GB for the session
            encoder = _build(f"{arch}:random", device="cpu", threads=0, precision="fp32")
        yield preset, encoder


def test_each_presets_architecture_gives_vectors_of_its_recorded_size(built) -> None:  # noqa: ANN001
    preset, encoder = built
    assert encoder.dim == preset.dim and encoder.input_size == (preset.input_size, preset.input_size)
    frames = np.random.default_rng(0).integers(0, 255, (2, preset.input_size, preset.input_size, 3), dtype=np.uint8)
    images = encoder.encode_frames(frames)
    texts = encoder.encode_text(["a dog runs on the beach", "un chien court sur la plage"])
    assert images.shape == texts.shape == (2, preset.dim)
    assert np.allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_a_preset_name_is_a_spec_recorded_under_its_models_name(preset) -> None:  # noqa: ANN001
    source = open_clip_source(preset.name)  # the tag exists: nothing fetched
    assert source.spec == preset.spec and source.name == f"open_clip:{preset.spec}"
    assert preset.cpu_frames_per_second > 0 and preset.measured and preset.licence and preset.quality


def test_the_default_is_the_fast_preset_and_keeps_its_recorded_name() -> None:
    assert DEFAULT_PRESET == "fast" and preset_named("fast").spec == DEFAULT_MODEL == Settings().model
    assert open_clip_source("fast").name == "open_clip:ViT-B-32:laion2b_s34b_b79k"  # existing libraries keep working
    assert preset_of_spec("ViT-B-32:laion2b_s34b_b79k") is preset_named("fast")
    assert expand_preset("ViT-L-14:openai") == "ViT-L-14:openai" and preset_named("Fast") is None


def _models(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, [*args, "models", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_models_lists_the_presets_and_the_configured_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIDSEEK_MODEL", raising=False)
    data_dir = tmp_path / "data"
    fresh = _models({"VIDSEEK_DATA_DIR": str(data_dir)}, monkeypatch)
    assert [p["name"] for p in fresh["presets"]] == ["fast", "best", "multilingual"]
    assert fresh["configured"] == {"spec": DEFAULT_MODEL, "preset": "fast", "from": "default"}
    assert not data_dir.exists()  # listing creates no library
    chosen = _models({"VIDSEEK_MODEL": "best"}, monkeypatch)
    assert chosen["configured"] == {"spec": "best", "preset": "best", "from": "VIDSEEK_MODEL"}
    assert [p["configured"] for p in chosen["presets"]] == [False, True, False]
    flag = _models({}, monkeypatch, "--model", "PE-Core-B-16:meta")
    assert flag["configured"]["preset"] == "best"
    table = CliRunner().invoke(main, ["models"])
    assert table.exit_code == 0 and "multilingual" in table.output and "Apache-2.0" in table.output


def test_models_names_the_librarys_own_model(tmp_path: Path, cli_env, monkeypatch: pytest.MonkeyPatch) -> None:
    from colour_encoder import ColourEncoder

    from vidseek.models.encoders import library_encoder
    from vidseek.storage import store
    from vidseek.storage.library import Library

    settings = Settings()  # cli_env: VIDSEEK_MODEL is the colour encoder
    library = Library(settings)
    encoder = library_encoder(settings, library)
    with library.sessions() as session:
        store.claim_model(encoder.name, encoder.dim, session=session)
        session.commit()
    assert encoder.name == ColourEncoder.name
    monkeypatch.delenv("VIDSEEK_MODEL")
    listed = _models({}, monkeypatch)
    assert listed["configured"] == {"spec": cli_env["VIDSEEK_MODEL"], "preset": None, "from": "library"}
