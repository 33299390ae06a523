"""Exports snapped to shots: an edge within a second of a cut moves onto it (frames and timecodes with it),
read back with the OTIO FCPXML adapter; ``shots=snap`` on the export routes, ``--snap-to-shots`` in the CLI."""

from __future__ import annotations

from click.testing import CliRunner
from fastapi.testclient import TestClient
from moment_spans import moment_span
from readers import fcpxml_clips

from api.conftest import ServedLibrary
from cli.main import main
from search_api.exports.cuts import place
from search_api.exports.fcpxml import to_fcpxml
from search_api.exports.shot_snap import snapped, to_shots
from vidseek.timecode import smpte


def test_edges_near_a_cut_move_onto_it() -> None:
    m = moment_span(1, 25.0, 100, 200)  # 4 s to 8 s
    m.video.duration = 20.0
    snap = snapped(m, [3.2, 8.4, 12.0])  # 0.8 s before its start, 0.4 s after its end, one far away
    assert (snap.start, snap.end) == (3.2, 8.4)
    assert (snap.frames.start, snap.frames.end, snap.frames.peak) == (80, 210, m.frames.peak)
    assert (snap.timecode.start, snap.timecode.end) == (smpte(80, 25), smpte(210, 25))
    assert snapped(m, [1.0, 12.0]) is m  # no cut within a second: as found
    assert snapped(m, [2.9, 9.2]) is m  # just over a second away
    [clip] = fcpxml_clips(to_fcpxml(place(to_shots([m], {1: [3.2, 8.4]})), "q"))
    assert (clip["start"], clip["seconds"] * 25) == (80, 210 - 80)


def test_snapping_is_a_parameter_of_every_export(client: TestClient, served: ServedLibrary) -> None:
    params = {"q": "red", "limit": 2}
    for route in ("/api/export.csv", "/api/export.xml"):
        plain = client.get(route, params=params)
        snap = client.get(route, params={**params, "shots": "snap"})
        # the red moments already start and end on the cuts of their video: snapping keeps them
        assert snap.status_code == 200 and snap.content == plain.content
        assert client.get(route, params={**params, "shots": "whole"}).status_code == 422
    settings = served.settings
    args = ["--data-dir", str(settings.data_dir), "--model", settings.model, "export", "red", "--limit", "2"]
    done = CliRunner().invoke(main, [*args, "--format", "csv", "--snap-to-shots", "-o", "-"])
    assert done.exit_code == 0, done.output
    assert done.stdout_bytes == client.get("/api/export.csv", params={**params, "shots": "snap"}).content
