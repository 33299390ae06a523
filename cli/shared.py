"""What every command uses: settings from options and ``VIDSEEK_*``, one clean line per user error,
the library, the encoder and search engine, and plain-text tables."""

from __future__ import annotations

import functools

import click
from pydantic import ValidationError

from vidseek.config import Settings
from vidseek.errors import DecodeError, MissingExtra, ModelError, ModelMismatchError, StorageError, VidseekError


class UsageProblem(click.ClickException):
    """A configuration or usage error: exit code 2, like click's own usage errors."""

    exit_code = 2


def settings_from(ctx: click.Context, **overrides: object) -> Settings:
    """The settings: the group's options and ``overrides`` over ``VIDSEEK_*``; invalid ones are a UsageProblem."""
    values = {k: v for k, v in {**ctx.obj, **overrides}.items() if v is not None}
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"VIDSEEK_{'_'.join(str(p) for p in e['loc']).upper() or 'SETTINGS'}: {e['msg']}" for e in exc.errors()
        )
        raise UsageProblem(f"invalid settings: {problems}") from None


def guard(fn):  # noqa: ANN001, ANN201
    """Turn the errors a user can act on into one clean line."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        try:
            return fn(*args, **kwargs)
        except (
            ModelError,
            ModelMismatchError,
            StorageError,
            MissingExtra,
        ) as exc:  # exit 2: fix the setting, run again
            raise UsageProblem(str(exc)) from None
        except (VidseekError, DecodeError) as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None

    return wrapper


def open_library(settings: Settings, *, save_interval: float = 0.0):  # noqa: ANN201
    """The library, or a one-line UsageProblem for a database URL that cannot be used."""
    from vidseek.storage.library import Library

    try:
        return Library(settings, save_interval=save_interval)
    except Exception as exc:  # noqa: BLE001 - a bad URL or unreachable server is a user problem
        from sqlalchemy.exc import ArgumentError, OperationalError

        if isinstance(exc, (ArgumentError, OperationalError, ModuleNotFoundError)):
            raise UsageProblem(
                f"cannot open database {settings.sqlalchemy_url!r}: {str(exc).splitlines()[0]}"
            ) from None
        raise


def search_engine(settings: Settings):  # noqa: ANN201
    """The engine on the indexed library (``vidseek search``, ``vidseek eval``); an empty index is an error."""
    from search_api.search.engine import SearchEngine
    from vidseek.models.encoders import library_encoder

    library = open_library(settings)
    if library.model_name() is None:
        raise click.ClickException("the index is empty: run `vidseek index FOLDER` first")
    return SearchEngine(library, library_encoder(settings, library))


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
