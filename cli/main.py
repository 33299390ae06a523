"""The ``vidseek`` group: the options every command shares, and every command, registered here."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import click

COMMANDS = {
    "index": "cli.index_commands:index",
    "watch": "cli.index_commands:watch_",
    "worker": "cli.index_commands:worker",
    "search": "cli.search_commands:search",
    "export": "cli.export_command:export",
    "ls": "cli.library_commands:ls_",
    "info": "cli.library_commands:info",
    "rm": "cli.library_commands:rm",
    "sync": "cli.library_commands:sync",
    "rebuild-index": "cli.library_commands:rebuild_index",
    "reembed": "cli.reembed_command:reembed",
    "transcribe": "cli.transcribe_command:transcribe",
    "read-text": "cli.read_text_command:read_text",
    "serve": "cli.serve_command:serve",
    "demo": "cli.demo_command:demo",
    "keys": "cli.keys_commands:keys",
    "eval": "cli.eval_command:eval_command",
    "models": "cli.models_command:models",
}
"""Each command and where it lives; a command's module is imported only when it runs (or for
``--help``), so a one-off ``vidseek search`` does not load the server, the demo and the rest."""


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, _, attr = COMMANDS[cmd_name].partition(":")
        return getattr(importlib.import_module(module), attr)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    print(f"warning: {message}", file=sys.stderr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir", type=click.Path(path_type=Path), help="Where the SQLite file and FAISS index live [VIDSEEK_DATA_DIR]."
)
@click.option("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://... [VIDSEEK_DATABASE_URL].")
@click.option(
    "--model", help="Model spec: ARCH:TAG, ARCH:/path/to/weights, ARCH:random, python:MODULE:ATTR [VIDSEEK_MODEL]."
)
@click.version_option(package_name="vidseek")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, database_url: str | None, model: str | None) -> None:
    """Search your own videos for moments, by what happens in them."""
    previous, warnings.showwarning = warnings.showwarning, _show_warning
    ctx.call_on_close(lambda: setattr(warnings, "showwarning", previous))  # in-process callers get theirs back
    ctx.obj = {"data_dir": data_dir, "database_url": database_url, "model": model}
