"""The library remembers its model: after the first index, commands that do not set VIDSEEK_MODEL
use it (from the spec recorded with it); a different explicit model is refused; after a re-embed the
new model is the library's. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from colour_encoder import ColourEncoder, WideColourEncoder
from media import Segment, make_video

from cli.main import main
from indexer.progress import Progress
from indexer.reembed import Reembedder
from indexer.runner import Indexer
from search_api.search.engine import SearchEngine
from vidseek.config import DEFAULT_MODEL, Settings
from vidseek.errors import ModelError, ModelMismatchError
from vidseek.models.encoders import library_encoder, load_encoder
from vidseek.models.model_choice import choose_spec, spec_from_name
from vidseek.storage import store
from vidseek.storage.library import Library

COLOUR = "python:colour_encoder:ColourEncoder"
WIDE = "python:colour_encoder:WideColourEncoder"


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("v") / "red.mp4", [Segment("blue", 4), Segment("red", 4)])


def _unset(settings: Settings) -> Settings:
    """The same settings as a command run without VIDSEEK_MODEL would have."""
    return Settings(data_dir=settings.data_dir, database_url=settings.database_url)


def _index_with(settings: Settings, video: Path) -> Library:
    library = Library(settings, notify=lambda m: None)
    encoder = library_encoder(settings, library)
    Indexer(settings, library, encoder, progress=lambda: Progress(False)).index([video])
    return library


def test_without_vidseek_model_a_library_uses_the_model_it_was_built_with(db_settings: Settings, video: Path) -> None:
    _index_with(db_settings, video)  # VIDSEEK_MODEL=python:colour_encoder:ColourEncoder, explicitly
    unset = _unset(db_settings)
    assert "model" not in unset.model_fields_set and unset.model == DEFAULT_MODEL
    library = Library(unset, notify=lambda m: None)
    assert library.model_to_use() == COLOUR
    encoder = library_encoder(unset, library)
    assert encoder.name == ColourEncoder.name
    assert SearchEngine(library, encoder).search("red", limit=1).hits


def test_a_different_explicit_model_is_refused_with_the_reembed_hint(db_settings: Settings, video: Path) -> None:
    _index_with(db_settings, video)
    other = Settings(data_dir=db_settings.data_dir, database_url=db_settings.database_url, model=WIDE)
    library = Library(other, notify=lambda m: None)
    assert library.model_to_use() == WIDE  # what it asks for: the use is what is refused
    with pytest.raises(ModelMismatchError, match="Unset VIDSEEK_MODEL.*vidseek reembed"):
        SearchEngine(library, library_encoder(other, library))
    assert library.model_spec(ColourEncoder.name) == COLOUR  # the refused model was not recorded as the library's


def test_a_library_with_no_model_yet_uses_the_configured_default(settings: Settings) -> None:
    library = Library(_unset(settings), notify=lambda m: None)
    assert library.model_to_use() == DEFAULT_MODEL == "ViT-B-32:laion2b_s34b_b79k"


def test_after_a_reembed_the_new_model_is_the_librarys(db_settings: Settings, video: Path) -> None:
    library = _index_with(db_settings, video)
    report = Reembedder(db_settings, library, load_encoder(WIDE), WIDE).run()
    assert report.switched
    unset = Library(_unset(db_settings), notify=lambda m: None)
    assert unset.model_to_use() == WIDE
    assert library_encoder(_unset(db_settings), unset).name == WideColourEncoder.name


def test_a_moved_weights_file_named_again_is_remembered_in_its_new_place(tmp_path: Path, video: Path) -> None:
    import open_clip
    import torch

    torch.manual_seed(3)
    first = tmp_path / "first.pt"
    torch.save(open_clip.create_model("RN50", pretrained=None).state_dict(), first)
    settings = Settings(data_dir=tmp_path / "d", model=f"RN50:{first}")
    library = Library(settings, notify=lambda m: None)
    encoder = library_encoder(settings, library)
    with library.sessions() as session:
        store.claim_model(encoder.name, encoder.dim, session=session)
        session.commit()
    assert library.model_spec(encoder.name) == f"RN50:{first}"
    moved = first.rename(tmp_path / "moved.pt")
    again = Settings(data_dir=tmp_path / "d", model=f"RN50:{moved}")
    assert library_encoder(again, Library(again)).name == encoder.name  # same weights, same model
    assert Library(_unset(again)).model_to_use() == f"RN50:{moved}"


def test_cli_index_once_then_search_and_info_without_vidseek_model(
    tmp_path: Path, video: Path, cli_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["index", str(video)]).exit_code == 0  # cli_env sets VIDSEEK_MODEL
    monkeypatch.delenv("VIDSEEK_MODEL")
    result = runner.invoke(main, ["search", "red", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"]
    info = json.loads(runner.invoke(main, ["info", "--json"]).stdout)
    assert info["model"] == ColourEncoder.name and info["model_spec"] == COLOUR
    refused = runner.invoke(main, ["--model", WIDE, "search", "red"])
    assert refused.exit_code == 2 and "built with model 'test:colour-v1'" in refused.output


def test_choose_spec_prefers_the_explicit_then_the_recorded_then_the_default() -> None:
    assert choose_spec("best", "m", "A:b", default="fast") == "best"
    assert choose_spec(None, "m", "A:b", default="fast") == "A:b"
    assert choose_spec(None, None, None, default="fast") == "fast"
    assert choose_spec(None, "open_clip:ViT-B-32:laion2b_s34b_b79k", None, default="x") == "ViT-B-32:laion2b_s34b_b79k"
    with pytest.raises(ModelError, match="set VIDSEEK_MODEL .* to the spec it was built with"):
        choose_spec(None, "open_clip:RN50:sha256=0123", None, default="fast")


@pytest.mark.parametrize(
    "name, spec",
    [
        ("open_clip:ViT-B-32:laion2b_s34b_b79k", "ViT-B-32:laion2b_s34b_b79k"),  # libraries built before specs
        ("open_clip:ViT-B-32:random", "ViT-B-32:random"),
        ("open_clip:hf-hub:acme/clip", "hf-hub:acme/clip"),
        ("open_clip:RN50:sha256=0123456789abcdef", None),
        ("open_clip:local-dir:sha256=0123456789abcdef", None),
        ("test:colour-v1", None),
    ],
)
def test_spec_from_name_only_when_the_name_says_it(name: str, spec: str | None) -> None:
    assert spec_from_name(name) == spec
