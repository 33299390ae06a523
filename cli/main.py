"""The ``vidseek`` group: the options every command shares, and every command, registered here."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click

from cli.demo_command import demo
from cli.eval_command import eval_command
from cli.index_commands import index, watch_, worker
from cli.keys_commands import keys
from cli.library_commands import info, ls_, rebuild_index, rm, sync
from cli.models_command import models
from cli.reembed_command import reembed
from cli.search_commands import search
from cli.serve_command import serve


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    print(f"warning: {message}", file=sys.stderr)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir", type=click.Path(path_type=Path), help="Where the SQLite file and FAISS index live [VIDSEEK_DATA_DIR]."
)
@click.option("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://... [VIDSEEK_DATABASE_URL].")
@click.option(
    "--model",
    help="Model: a preset (fast, best, multilingual; `vidseek models`), ARCH:TAG, ARCH:/path/to/weights, "
    "ARCH:random, hf-hub:ORG/REPO, /path/to/model/folder, python:MODULE:ATTR; unset: the library's own "
    "[VIDSEEK_MODEL].",
)
@click.version_option(package_name="vidseek")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, database_url: str | None, model: str | None) -> None:
    """Search your own videos for moments, by what happens in them."""
    previous, warnings.showwarning = warnings.showwarning, _show_warning
    ctx.call_on_close(lambda: setattr(warnings, "showwarning", previous))  # in-process callers get theirs back
    ctx.obj = {"data_dir": data_dir, "database_url": database_url, "model": model}


for _command in (
    index,
    watch_,
    worker,
    search,
    ls_,
    info,
    rm,
    sync,
    rebuild_index,
    reembed,
    serve,
    demo,
    keys,
    eval_command,
    models,
):
    main.add_command(_command)
