"""``encoder_for``: the one way an encoder is built from settings (commands, the API, workers)."""

from __future__ import annotations

from colour_encoder import ColourEncoder, WideColourEncoder

from vidseek.config import Settings
from vidseek.models.encoders import encoder_for, load_encoder

COLOUR = "python:colour_encoder:ColourEncoder"
WIDE = "python:colour_encoder:WideColourEncoder"


def test_the_configured_model_on_the_configured_device_threads_and_precision(tmp_path) -> None:  # noqa: ANN001
    settings = Settings(data_dir=tmp_path, model=COLOUR, device="cpu", threads=1, precision="fp32", backend="onnx")
    encoder = encoder_for(settings)
    same = load_encoder(
        COLOUR, device="cpu", threads=1, precision="fp32", backend="onnx", cache_dir=tmp_path / "models"
    )
    assert encoder is same  # the same cached one: the settings' backend and model cache were used
    assert encoder is not load_encoder(COLOUR)  # the defaults are another key: the settings were used
    assert encoder.name == ColourEncoder.name


def test_another_spec_on_the_same_settings(tmp_path) -> None:  # noqa: ANN001
    settings = Settings(data_dir=tmp_path, model=COLOUR, device="cpu", threads=1, precision="fp32")
    wide = encoder_for(settings, WIDE)
    assert wide is load_encoder(
        WIDE, device="cpu", threads=1, precision="fp32", backend=settings.backend, cache_dir=tmp_path / "models"
    )
    assert wide.name == WideColourEncoder.name
