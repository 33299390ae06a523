"""Which model a command on a library uses (pure logic; ``Library.model_to_use`` reads the facts).

After the first index a library remembers its model: its name, and the spec it was loaded from. A
command that does not set ``VIDSEEK_MODEL`` (nor ``--model``) uses that model; one that sets it uses
what it says, and is refused where it would mix models (``store.check_model``). A library made
before specs were recorded gets its spec back from the name when the name says it.
"""

from __future__ import annotations

from vidseek.errors import ModelError


def choose_spec(explicit: str | None, recorded_name: str | None, recorded_spec: str | None, *, default: str) -> str:
    """The spec to load: ``explicit`` when set, else the library's (``recorded_spec``, or one read
    from ``recorded_name``), else ``default`` for a library with no model yet."""
    if explicit is not None:
        return explicit
    if recorded_name is None:
        return default
    spec = recorded_spec or spec_from_name(recorded_name)
    if spec is None:
        raise ModelError(
            f"This library was built with model '{recorded_name}', and no spec to load it was recorded "
            "with it: set VIDSEEK_MODEL (or --model) to the spec it was built with, once; the library "
            "remembers it from then on."
        )
    return spec


def spec_from_name(name: str) -> str | None:
    """The spec an open_clip model name stands for (``open_clip:ARCH:TAG`` -> ``ARCH:TAG``,
    ``open_clip:hf-hub:ORG/REPO`` -> ``hf-hub:ORG/REPO``); None when the name does not say (a weights
    file or folder is named by its digest; a ``python:`` encoder names itself)."""
    if not name.startswith("open_clip:"):
        return None
    spec = name.removeprefix("open_clip:")
    if spec.startswith("hf-hub:"):
        return spec
    arch, sep, weights = spec.partition(":")
    if not (arch and sep and weights) or weights.startswith("sha256=") or arch == "local-dir":
        return None
    return spec
