"""search_api.http.routes.library_writes: an upload is opened as a video once, and that probe also names it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import av
import pytest

if TYPE_CHECKING:
    from tests.live.conftest import Live


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_upload_is_opened_once_and_named_by_that_probe(live: Live, clips, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    opened: list[str] = []
    real_open = av.open

    def counting_open(file, *args, **kwargs):  # noqa: ANN001, ANN202
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(av, "open", counting_open)
    with clips["green"].open("rb") as f:
        response = live.client.post(
            "/api/videos",
            files={"file": ("holiday", f, "application/octet-stream")},
            headers=live.auth(live.make_key()),
        )
    assert response.status_code == 202, response.text
    assert Path(response.json()["path"]).name == "holiday.mp4"  # the suffix from the probe's container
    assert len(opened) == 1 and Path(opened[0]).name.endswith(".part"), opened
