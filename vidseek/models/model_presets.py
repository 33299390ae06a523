"""The named models ``VIDSEEK_MODEL`` accepts besides a full spec: what each is, its licence, size,
speed and published quality (pure data; ``vidseek models`` prints it, ``model_spec`` resolves it).

Speeds were measured with ``python -m benchmarks.preset_speed --threads 2`` (image tower, torch fp32,
batch 32, 2 threads, random weights: the same compute as the real ones; the presets take turns, each
keeps its fastest of 5 rounds) on a 2-core AMD EPYC virtual machine shared with other work; they
compare the presets with each other, a bigger CPU is faster for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str
    spec: str
    """The open_clip spec it stands for (``ARCH:TAG``)."""
    licence: str
    """Of the weights (the code is open_clip's, MIT)."""
    dim: int
    """Length of its text and image vectors."""
    input_size: int
    """Frames are scaled to ``input_size`` x ``input_size`` pixels."""
    cpu_frames_per_second: float
    """Frames embedded per second (see the module docstring for how, and ``measured``)."""
    measured: str
    """When ``cpu_frames_per_second`` was measured (ISO date)."""
    quality: str
    """Its published quality: benchmark, figure and source."""
    summary: str


PRESETS: tuple[Preset, ...] = (
    Preset(
        name="fast",
        spec="ViT-B-32:laion2b_s34b_b79k",
        licence="MIT",
        dim=512,
        input_size=224,
        cpu_frames_per_second=16.0,
        measured="2026-12-03",
        quality="MSR-VTT 1k-A text-to-video R@1 ~31, zero-shot, frames mean-pooled (CLIP ViT-B/32, CLIP4Clip paper)",
        summary="English; the quickest to index on a CPU",
    ),
    Preset(
        name="best",
        spec="PE-Core-B-16:meta",
        licence="Apache-2.0",
        dim=1024,
        input_size=224,
        cpu_frames_per_second=3.6,
        measured="2026-12-03",
        quality="MSR-VTT text-to-video R@1 47.6, zero-shot (PE-Core B/16, Perception Encoder paper, 2025)",
        summary="English; the best matches, several times slower to index on a CPU",
    ),
    Preset(
        name="multilingual",
        spec="ViT-B-16-SigLIP-i18n-256:webli",
        licence="Apache-2.0",
        dim=768,
        input_size=256,
        cpu_frames_per_second=2.9,
        measured="2026-12-03",
        quality="Crossmodal-3600 (36 languages) image-text retrieval (mSigLIP B/16-256, SigLIP paper, 2023); "
        "no published video benchmark",
        summary="queries in about 100 languages; needs the transformers package",
    ),
)

DEFAULT_PRESET = "fast"
"""The preset used when ``VIDSEEK_MODEL`` is not set (README, "Pick a model", says why)."""

_BY_NAME = {p.name: p for p in PRESETS}


def preset_named(name: str) -> Preset | None:
    """The preset called ``name`` (exactly, lower case), or None."""
    return _BY_NAME.get(name)


def preset_of_spec(spec: str) -> Preset | None:
    """The preset ``spec`` names or stands for (``fast`` and ``ViT-B-32:laion2b_s34b_b79k`` alike), or None."""
    return _BY_NAME.get(spec) or next((p for p in PRESETS if p.spec == spec), None)


def expand_preset(spec: str) -> str:
    """``spec`` with a preset name replaced by the spec it stands for; anything else unchanged."""
    preset = _BY_NAME.get(spec)
    return preset.spec if preset is not None else spec
