"""``vidseek models``: the model presets side by side, and which model this configuration uses."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from cli.shared import guard, open_library, print_table, settings_from
from vidseek.config import Settings
from vidseek.models.model_presets import PRESETS, preset_of_spec
from vidseek.storage.db import sqlite_file


def configured_model(settings: Settings) -> tuple[str, str]:
    """(spec, where it comes from: "VIDSEEK_MODEL", "library" or "default"). The library is read only
    when its database exists (listing presets creates nothing)."""
    if "model" in settings.model_fields_set:
        return settings.model, "VIDSEEK_MODEL"
    path = sqlite_file(settings.sqlalchemy_url)
    if path is not None and not path.is_file():
        return settings.model, "default"
    library = open_library(settings)
    if library.model_name() is None:
        return settings.model, "default"
    return library.model_to_use(), "library"


@click.command(name="models")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@guard
def models(ctx: click.Context, as_json: bool) -> None:
    """The model presets (VIDSEEK_MODEL=fast, best, multilingual): licence, vector size, frame size,
    CPU speed and published quality; * marks the configured one."""
    spec, origin = configured_model(settings_from(ctx))
    chosen = preset_of_spec(spec)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "configured": {"spec": spec, "preset": chosen.name if chosen else None, "from": origin},
                    "presets": [{**asdict(p), "configured": p is chosen} for p in PRESETS],
                },
                indent=2,
            )
        )
        return
    print_table(
        ("", "preset", "spec", "licence", "dim", "input", "CPU frames/s", "published quality"),
        [
            (
                "*" if p is chosen else "",
                p.name,
                p.spec,
                p.licence,
                str(p.dim),
                f"{p.input_size}px",
                f"{p.cpu_frames_per_second:g} ({p.measured})",
                p.quality,
            )
            for p in PRESETS
        ],
    )
    click.echo(f"\nconfigured: {spec} (from {origin})")
    click.echo("CPU frames/s: torch fp32, batch 32, 2 threads, on a 2-core virtual machine; a GPU is far faster.")
