"""``vidseek keys create|list|revoke``: API keys for the HTTP API."""

from __future__ import annotations

import json

import click

from cli.shared import UsageProblem, guard, open_library, print_table, settings_from


@click.group(name="keys")
def keys() -> None:
    """API keys for the HTTP API (sent as `Authorization: Bearer KEY`)."""


@keys.command(name="create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the key and its details as JSON.")
@click.pass_context
@guard
def keys_create(ctx: click.Context, name: str, as_json: bool) -> None:
    """Create a key called NAME and print it (once: only its hash is kept)."""
    from vidseek.storage.keys import create_key, key_json

    library = open_library(settings_from(ctx.find_root()))
    with library.sessions() as session:
        try:
            row, raw = create_key(name, session=session)
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
        session.commit()
        info = key_json(row)
    if as_json:
        click.echo(json.dumps({**info, "key": raw}, indent=2))
        return
    click.echo(raw)
    click.echo(
        f"created key {info['id']} ({info['prefix']}…) for {name!r}. This is the only time it is shown: "
        "store it now. Send it as `Authorization: Bearer KEY`.",
        err=True,
    )


@keys.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@guard
def keys_list(ctx: click.Context, as_json: bool) -> None:
    """List keys: id, prefix, name, created, last used, revoked."""
    from vidseek.storage.keys import key_json, list_keys

    library = open_library(settings_from(ctx.find_root()))
    with library.sessions() as session:
        items = [key_json(k) for k in list_keys(session=session)]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    if not items:
        click.echo("no API keys: create one with `vidseek keys create NAME`")
        return
    print_table(
        ("id", "prefix", "name", "created", "last used", "revoked"),
        [
            (
                str(k["id"]),
                k["prefix"] + "…",
                k["name"],
                (k["created_at"] or "")[:19],
                (k["last_used_at"] or "never")[:19],
                (k["revoked_at"] or "")[:19],
            )
            for k in items
        ],
    )


@keys.command(name="revoke")
@click.argument("ref", metavar="ID|PREFIX")
@click.pass_context
@guard
def keys_revoke(ctx: click.Context, ref: str) -> None:
    """Revoke a key by its id or prefix; it stops working at once."""
    from vidseek.storage.keys import KeyLookupError, revoke_key

    library = open_library(settings_from(ctx.find_root()))
    with library.sessions() as session:
        try:
            row = revoke_key(ref, session=session)
        except KeyLookupError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(f"revoked key {row.id} ({row.prefix}…, {row.name!r})")
