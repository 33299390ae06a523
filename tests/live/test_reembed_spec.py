"""POST /api/reembed checks the spec can be loaded before queueing: a 422 that says why, within seconds,
instead of a job that holds a worker in network retries."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.live.conftest import Live


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from huggingface_hub import constants

    (tmp_path / "hf-cache").mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))  # nothing cached
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_reembed_refuses_specs_that_cannot_be_loaded(live: Live, offline: None) -> None:
    auth = live.auth(live.make_key())
    unknown = live.client.post("/api/reembed", json={"model": "NoSuchNet:openai"}, headers=auth)
    assert unknown.status_code == 422
    assert unknown.json()["detail"].startswith("model: Unknown open_clip architecture 'NoSuchNet'")
    assert "list_pretrained()" in unknown.json()["detail"]
    tag = live.client.post("/api/reembed", json={"model": "ViT-B-32:no_such_tag"}, headers=auth)
    assert tag.status_code == 422 and "known tags: openai" in tag.json()["detail"]
    started = time.monotonic()
    unfetchable = live.client.post("/api/reembed", json={"model": "ViT-B-16:openai"}, headers=auth)
    assert time.monotonic() - started < 3
    assert unfetchable.status_code == 422
    assert unfetchable.json()["detail"].startswith("model: Could not fetch pretrained weights 'openai' for ViT-B-16")
    assert live.client.get("/api/jobs").json()["jobs"] == []  # nothing queued
    queued = live.client.post("/api/reembed", json={"model": "ViT-B-16:random"}, headers=auth)
    assert queued.status_code == 202, queued.text
