"""API keys: made, listed and revoked with `vidseek keys`; hashed at rest; needed for writes."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner
from sqlalchemy import text

from cli.main import main
from cli.serve_command import warn_if_writes_refused
from vidseek.storage.keys import find_key, touch

if TYPE_CHECKING:
    from tests.live.conftest import Live

KEY = re.compile(r"^vsk_[A-Za-z0-9_-]{43}$")


def run(database_url: str, *args: str):  # noqa: ANN201
    return CliRunner().invoke(main, ["--database-url", database_url, *args], catch_exceptions=False)


def test_keys_create_list_revoke(cli_env, database_url: str) -> None:  # noqa: ANN001
    created = run(database_url, "keys", "create", "alice's editor")
    assert created.exit_code == 0, created.output
    raw = created.stdout.strip()
    assert KEY.match(raw), created.stdout  # stdout is the key alone: easy to capture in a script
    assert "only time it is shown" in created.stderr
    second = json.loads(run(database_url, "keys", "create", "bob", "--json").stdout)
    assert KEY.match(second["key"]) and second["name"] == "bob" and second["prefix"] == second["key"][:12]

    listed = run(database_url, "keys", "list")
    assert "alice's editor" in listed.stdout and raw[:12] in listed.stdout and raw not in listed.stdout
    items = json.loads(run(database_url, "keys", "list", "--json").stdout)
    assert [(k["name"], k["active"]) for k in items] == [("alice's editor", True), ("bob", True)]
    assert all("key" not in k and "key_hash" not in k for k in items)

    revoked = run(database_url, "keys", "revoke", raw[:12])
    assert revoked.exit_code == 0 and "revoked key 1" in revoked.stdout
    assert run(database_url, "keys", "revoke", str(second["id"])).exit_code == 0
    items = json.loads(run(database_url, "keys", "list", "--json").stdout)
    assert [k["active"] for k in items] == [False, False] and all(k["revoked_at"] for k in items)

    unknown = run(database_url, "keys", "revoke", "vsk_nope")
    assert unknown.exit_code == 1 and "no API key has the prefix" in unknown.output
    assert run(database_url, "keys", "revoke", "77").exit_code == 1
    assert run(database_url, "keys", "create", "  ").exit_code == 2


def test_only_a_hash_is_stored(cli_env, database_url: str, data_dir: Path) -> None:  # noqa: ANN001
    raw = run(database_url, "keys", "create", "ci").stdout.strip()
    from vidseek.storage.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM api_keys")).mappings().all()
    engine.dispose()
    assert len(rows) == 1
    assert rows[0]["key_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert all(raw not in str(value) for value in rows[0].values())
    assert rows[0]["prefix"] == raw[:12]
    if database_url.startswith("sqlite"):
        for file in data_dir.glob("vidseek.db*"):  # the database and its WAL
            assert raw.encode() not in file.read_bytes()


def test_writes_need_a_valid_key(live: Live) -> None:
    url = f"/api/videos/{live.red_id}/reindex"
    missing = live.client.post(url)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == 'Bearer realm="vidseek"'
    raw = live.make_key("editor")
    assert live.client.post(url).status_code == 401
    wrong = live.client.post(url, headers=live.auth(raw[:-1] + ("A" if raw[-1] != "A" else "B")))
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert live.client.post(url, headers={"Authorization": f"Basic {raw}"}).status_code == 401
    ok = live.client.post(url, headers=live.auth(raw))
    assert ok.status_code == 202
    assert ok.json()["payload"]["key"] == raw[:12]  # which key asked is kept with the job
    with live.library.sessions() as session:
        row = find_key(raw[:12], session=session)
        assert row.last_used_at is not None
        # revoked: refused at once
        row.revoked_at = row.last_used_at
        session.commit()
    revoked = live.client.delete(f"/api/videos/{live.red_id}", headers=live.auth(raw))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_last_used_is_written_at_most_once_a_minute(live: Live) -> None:
    from datetime import timedelta

    raw = live.make_key()
    with live.library.sessions() as session:
        row = find_key(raw, session=session)
        assert touch(row, session=session) is True
        first = row.last_used_at
        assert touch(row, session=session, now=first + timedelta(seconds=10)) is False
        assert touch(row, session=session, now=first + timedelta(seconds=61)) is True


def test_reads_are_open_by_default(live: Live) -> None:
    assert live.client.get("/api/search", params={"q": "red"}).status_code == 200
    assert live.client.get("/api/jobs").status_code == 200
    # a stale key saved in a browser does not break reading while reads are open
    assert live.client.get("/api/videos", headers=live.auth("vsk_" + "x" * 43)).status_code == 200


def test_reads_need_a_key_when_the_setting_says(live_factory) -> None:  # noqa: ANN001
    live = live_factory(require_key_for_reads=True)
    refused = live.client.get("/api/search", params={"q": "red"})
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert live.client.get("/api/videos").status_code == 401
    assert live.client.get("/api/jobs", headers=live.auth("vsk_" + "x" * 43)).status_code == 401
    raw = live.make_key()
    assert live.client.get("/api/search", params={"q": "red"}, headers=live.auth(raw)).status_code == 200
    assert live.client.get(f"/api/videos/{live.red_id}/thumbnail", headers=live.auth(raw)).status_code == 200
    # the page and the probes stay open
    assert live.client.get("/healthz").status_code == 200
    assert live.client.get("/").status_code == 200


def test_writes_are_refused_off_loopback_while_no_key_exists(live_factory) -> None:  # noqa: ANN001
    host = "0.0.0.0"
    live = live_factory(serve_host=host)
    refused = live.client.post(f"/api/videos/{live.red_id}/reindex")
    assert refused.status_code == 403
    assert "vidseek keys create" in refused.json()["detail"] and host in refused.json()["detail"]
    assert live.client.get("/api/search", params={"q": "red"}).status_code == 200  # reads still served
    raw = live.make_key()
    assert live.client.post(f"/api/videos/{live.red_id}/reindex").status_code == 401
    assert live.client.post(f"/api/videos/{live.red_id}/reindex", headers=live.auth(raw)).status_code == 202


def test_on_loopback_no_key_is_a_401_saying_how_to_make_one(live_factory) -> None:  # noqa: ANN001
    live = live_factory(serve_host="127.0.0.1")
    refused = live.client.post(f"/api/videos/{live.red_id}/reindex")
    assert refused.status_code == 401 and "vidseek keys create" in refused.json()["detail"]


def test_serve_warns_when_writes_will_be_refused(live: Live, capsys) -> None:  # noqa: ANN001
    warn_if_writes_refused(live.library, "0.0.0.0")
    assert "vidseek keys create" in capsys.readouterr().err
    warn_if_writes_refused(live.library, "127.0.0.1")
    assert capsys.readouterr().err == ""
    live.make_key()
    warn_if_writes_refused(live.library, "0.0.0.0")
    assert capsys.readouterr().err == ""


def test_auth_status_says_whether_writes_would_be_allowed(live_factory) -> None:  # noqa: ANN001
    live = live_factory(serve_host="0.0.0.0")
    closed = live.client.get("/api/auth").json()
    assert closed["can_write"] is False and closed["write_status"] == 403 and "vidseek keys create" in closed["reason"]
    raw = live.make_key("page")
    anonymous = live.client.get("/api/auth").json()
    assert (anonymous["can_write"], anonymous["write_status"], anonymous["key"]) == (False, 401, None)
    wrong = live.client.get("/api/auth", headers=live.auth("vsk_" + "y" * 43)).json()
    assert wrong["key_sent"] is True and wrong["write_status"] == 401 and "not valid" in wrong["reason"]
    good = live.client.get("/api/auth", headers=live.auth(raw)).json()
    assert good["can_write"] is True and good["key"]["prefix"] == raw[:12] and good["reason"] is None
