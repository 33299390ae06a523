"""Shots: cuts found while decoding real H.264 files (libx264) with hard cuts and fades, within a frame
of the truth; stored with the video on both databases, gone with it; the pure rules on their own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.shot_videos import ShotSpec, make_shot_video
from indexer.cut_detection import MIN_SHOT, CutDetector, find_cuts
from indexer.decode import PyAVDecoder
from indexer.progress import Progress
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.shots import Cut, cuts_text, parse_cuts, shots_of
from vidseek.storage import store
from vidseek.storage.library import Library

FPS = 24
SPECS = [ShotSpec(2.0), ShotSpec(1.5), ShotSpec(2.5, "fade"), ShotSpec(1.0), ShotSpec(2.0, "fade"), ShotSpec(1.5)]


@pytest.fixture(scope="module")
def shot_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[float, str]]]:
    path = tmp_path_factory.mktemp("shots") / "cuts and fades.mp4"
    return path, make_shot_video(path, SPECS, fps=FPS, seed=3, similar=True)


def detected(path: Path, fps: float = 1.0) -> list[Cut]:
    detector = CutDetector()
    for _ in PyAVDecoder().frames(path, fps=fps, size=(32, 32), shots=detector):
        pass
    return detector.cuts()


def test_hard_cuts_and_fades_are_found_within_a_frame(shot_video) -> None:
    path, truth = shot_video
    cuts = detected(path)
    assert [c.kind for c in cuts] == [kind for _, kind in truth]
    for cut, (t, _) in zip(cuts, truth):
        assert abs(cut.t - t) <= 1.0 / FPS + 1e-6, (cut, t)


def test_sampling_rate_does_not_move_the_cuts(shot_video) -> None:
    """The detector sees the frames decoded, not only the sampled ones: 1 and 4 frames/s agree."""
    path, _ = shot_video
    assert [round(c.t, 3) for c in detected(path, 1.0)] == [round(c.t, 3) for c in detected(path, 4.0)]


def test_motion_is_no_cut_and_a_flash_is_no_cut() -> None:
    times = [i / 24 for i in range(48)]
    changes = [0.0] + [8.0 + (i % 3) for i in range(47)]  # a moving camera: every frame changes a little
    changes[20], changes[21] = 60.0, 60.0  # one white frame: in and out
    assert find_cuts(times, changes, [120.0] * 48) == []
    changes[30] = 60.0
    assert find_cuts(times, changes, [120.0] * 48) == [Cut(times[30], "cut")]


def test_a_dark_run_between_lit_frames_is_one_fade_and_close_cuts_keep_the_first() -> None:
    times = [i / 10 for i in range(40)]
    levels = [100.0] * 40
    for i in range(10, 14):
        levels[i] = 5.0
    changes = [0.0] * 40
    changes[10] = changes[14] = 80.0  # into and out of black by a hard cut: still the fade's
    changes[15] = 80.0  # 0.35 s after the fade's middle: closer than MIN_SHOT, dropped
    changes[30] = 80.0
    cuts = find_cuts(times, changes, levels)
    assert cuts == [Cut(1.15, "fade"), Cut(3.0, "cut")]
    assert 1.5 - 1.15 < MIN_SHOT
    # black at the start and at the end: the picture is cut where it begins and where it ends
    assert find_cuts(times, [0.0] * 40, [5.0] * 6 + [100.0] * 28 + [5.0] * 6) == [Cut(0.6, "fade"), Cut(3.4, "fade")]
    assert find_cuts(times, [0.0] * 40, [5.0] * 2 + [100.0] * 38) == []  # too short to be a shot


def test_shots_and_their_stored_text() -> None:
    cuts = [Cut(4.0, "fade"), Cut(1.5, "cut")]
    assert [(s.start, s.end, s.starts_with) for s in shots_of(cuts, 6.0)] == [
        (0.0, 1.5, "start"),
        (1.5, 4.0, "cut"),
        (4.0, 6.0, "fade"),
    ]
    assert parse_cuts(cuts_text(cuts)) == sorted(cuts, key=lambda c: c.t)
    assert parse_cuts(cuts_text([])) == []
    assert parse_cuts(None) is None and parse_cuts("not json") is None


def test_shots_are_stored_with_the_video_and_go_with_it(db_settings: Settings, shot_video) -> None:
    path, truth = shot_video
    settings = db_settings.model_copy(update={"sample_fps": 1.0})
    library = Library(settings, notify=lambda m: None)
    indexer = Indexer(settings, library, load_encoder(settings.model), progress=lambda: Progress(False))
    report = indexer.index([path])
    assert report.indexed == [str(path)]
    with library.sessions() as session:
        video = store.video_by_path(str(path), session=session)
        cuts = parse_cuts(video.shots)
        video_id = video.id
    assert [c.kind for c in cuts] == [k for _, k in truth]
    assert np.allclose([c.t for c in cuts], [t for t, _ in truth], atol=1.0 / FPS + 1e-6)
    with library.sessions() as session:
        store.delete_videos([video_id], session=session)
        session.commit()
        assert store.videos_by_ids([video_id], session=session) == {}
    off = Settings(**{**settings.model_dump(), "shots": False, "data_dir": settings.data_dir})
    library = Library(off, notify=lambda m: None)
    Indexer(off, library, load_encoder(off.model), progress=lambda: Progress(False)).index([path])
    with library.sessions() as session:
        assert store.video_by_path(str(path), session=session).shots is None


class _Actor:
    """Stands in for a Ray embedding actor (``ray.get`` patched to return what ``remote`` gives)."""

    class embed:  # noqa: N801
        @staticmethod
        def remote(images: np.ndarray) -> np.ndarray:
            return np.zeros((len(images), 4), np.float32)


def _unit_cuts(path: Path, start: int, end: int | None, chunked: bool) -> list[Cut]:
    from indexer.ray_tasks import Unit, decode_unit

    *_, last = decode_unit(
        Unit(0, 0, str(path), start, end, chunked), _Actor(), decoder="pyav", fps=1.0, size=(32, 32),
        batch_size=8, keyframes_only=False, shots=True,
    )  # fmt: skip
    assert last[0] == "end" and last[2] is None, last
    return last[3]


def test_a_ray_decode_in_chunks_finds_the_cuts_a_whole_decode_finds(shot_video, monkeypatch) -> None:  # noqa: ANN001
    pytest.importorskip("ray")
    import ray

    from indexer.chunked import chunk_steps

    monkeypatch.setattr(ray, "get", lambda ref: ref)
    path, _ = shot_video
    whole = _unit_cuts(path, 0, None, False)
    assert whole == detected(path)
    steps = chunk_steps(sum(s.seconds for s in SPECS), 1.0, 3.0)
    assert len(steps) > 2
    parts = [cut for start, end in steps for cut in _unit_cuts(path, start, end, True)]
    # a chunk decodes every frame, a whole decode skips the B-frames no sample needs: a fade's middle may
    # move by a frame
    assert [c.kind for c in parts] == [c.kind for c in whole]
    assert np.allclose([c.t for c in parts], [c.t for c in whole], atol=1.0 / FPS + 1e-6)
