"""The synthetic moment world has the statistics its docstring claims, loads into a real library, and
the moments benchmark runs on a tiny one (fields present and sane; no timing, no quality asserted)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))

from benchmarks import moments  # noqa: E402
from benchmarks.moment_world import (  # noqa: E402
    FRAME_FADE,
    FRAME_HUB,
    FRAME_PLAIN,
    FRAME_SPIKE,
    NOTHING,
    World,
    WorldEncoder,
    WorldParams,
    build_world,
    clips_of,
    cut_into_shots,
    load_into,
)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


@pytest.fixture(scope="module")
def tiny() -> World:
    return build_world(WorldParams.tiny())


def _scores(world: World, topic: int) -> list[np.ndarray]:
    """Every video's frame scores for the query of ``topic``."""
    q = world.geometry.query_vector(topic)
    return [v.frames @ q for v in world.videos]


def _frames_where(world: World, topic: int, pick) -> np.ndarray:  # noqa: ANN001
    """Scores for ``topic``'s query of the frames ``pick(video)`` selects, all videos together."""
    return np.concatenate([s[pick(v)] for v, s in zip(world.videos, _scores(world, topic))])


def _plain(video) -> np.ndarray:  # noqa: ANN001
    """Frames that are neither hubs, spikes nor cross-fades."""
    return video.frame_kind == FRAME_PLAIN


def test_relevant_frames_score_030_and_unrelated_017(world: World) -> None:
    relevant, unrelated = [], []
    for q in world.queries:
        relevant.append(_frames_where(world, q.topic, lambda v, q=q: _plain(v) & (v.frame_topic == q.topic)))
        unrelated.append(_frames_where(world, q.topic, lambda v: _plain(v) & (v.frame_topic == NOTHING)))
    assert abs(np.concatenate(relevant).mean() - 0.30) < 0.02
    assert abs(np.concatenate(unrelated).mean() - 0.17) < 0.02


def test_neighbour_topics_score_between_unrelated_and_relevant(world: World) -> None:
    levels = []
    for q in world.queries:
        near = list(world.geometry.topics[q.topic].neighbours)
        assert 1 <= len(near) <= 2
        levels.append(_frames_where(world, q.topic, lambda v, near=near: _plain(v) & np.isin(v.frame_topic, near)))
    assert 0.22 <= np.concatenate(levels).mean() <= 0.26


def test_hub_shots_score_above_unrelated_for_every_query(world: World) -> None:
    assert any(v.frame_kind.tolist().count(FRAME_HUB) for v in world.videos)
    for q in world.queries:
        hub = _frames_where(world, q.topic, lambda v: v.frame_kind == FRAME_HUB)
        plain = _frames_where(world, q.topic, lambda v: _plain(v) & (v.frame_topic == NOTHING))
        assert hub.mean() > plain.mean() + 0.05
        assert 0.24 <= hub.mean() <= 0.28


def test_hubs_are_a_few_percent_of_shots(world: World) -> None:
    shots = [s for v in world.videos for s in v.shots]
    share = sum(s.hub for s in shots) / len(shots)
    assert 0.01 <= share <= 0.06


def test_noise_spikes_are_single_frames_scoring_like_a_match(world: World) -> None:
    all_topics = np.stack([world.geometry.query_vector(t.index) for t in world.geometry.topics])
    spikes = []
    for v in world.videos:
        at = np.flatnonzero(v.frame_kind == FRAME_SPIKE)
        assert all(v.frame_topic[i] == NOTHING for i in at)
        spikes.extend((v.frames[at] @ all_topics.T).max(axis=1))
    assert 5 <= len(spikes) <= 200
    assert abs(np.mean(spikes) - 0.29) < 0.02


def test_shot_offsets_and_frame_jitter_have_their_sizes(world: World) -> None:
    q = world.queries[0]
    shot_means, jitter = [], []
    for v, s in zip(world.videos, _scores(world, q.topic)):
        for shot in v.shots:
            rows = slice(shot.start, shot.start + shot.length)
            plain = s[rows][v.frame_kind[rows] == FRAME_PLAIN]
            if shot.topic == NOTHING and not shot.hub and len(plain) >= 4:
                shot_means.append(plain.mean())
                jitter.append(plain.std(ddof=1))
    assert 0.006 <= np.mean(jitter) <= 0.010
    assert 0.02 <= np.std(shot_means) <= 0.033  # shot sigma 0.025 with the video's own 0.01


def test_cosines_live_in_a_narrow_band(world: World) -> None:
    queries = np.stack([q.vector for q in world.queries])
    scores = np.concatenate([(v.frames @ queries.T).ravel() for v in world.videos])
    low, high = np.percentile(scores, [1, 99.9])
    assert 0.10 <= low and high <= 0.37


def test_vectors_are_unit_and_text_vectors_are_the_encoders(world: World) -> None:
    for v in world.videos:
        assert v.frames.dtype == np.float32 and v.frames.shape == (len(v.times), world.params.dim)
        assert np.allclose(np.linalg.norm(v.frames, axis=1), 1.0, atol=1e-5)
    encoder = WorldEncoder(world.params)
    assert encoder.name == world.encoder_name and encoder.dim == world.params.dim
    texts = [q.text for q in world.queries]
    assert len(set(texts)) == len(texts)
    assert np.allclose(encoder.encode_text(texts), np.stack([q.vector for q in world.queries]))
    assert np.allclose(np.linalg.norm(encoder.encode_text(texts + ["no such topic"]), axis=1), 1.0, atol=1e-5)


def test_python_encoder_spec_loads_the_world_encoder(tiny: World) -> None:
    from vidseek.models.encoders import load_encoder

    encoder = load_encoder("python:world_encoder:TinyWorldEncoder")
    assert encoder.name == tiny.encoder_name
    assert np.allclose(encoder.encode_text([tiny.queries[0].text])[0], tiny.queries[0].vector, atol=1e-6)


def test_shots_tile_each_video_and_last_2_to_20_seconds(world: World) -> None:
    for v in world.videos:
        assert np.array_equal(v.times, np.arange(len(v.times), dtype=np.float64)) and v.duration == len(v.times)
        assert [s.start for s in v.shots] == list(np.cumsum([0] + [s.length for s in v.shots[:-1]]))
        assert sum(s.length for s in v.shots) == len(v.times)
        assert all(2 <= s.length <= 20 for s in v.shots)
        assert (10 <= v.duration <= 40) if v.kind == "whole" else (30 <= v.duration <= 600)


def test_cut_into_shots_respects_its_bounds() -> None:
    rng = np.random.default_rng(5)
    for length in range(2, 200):
        for many in (False, True):
            pieces = cut_into_shots(length, rng, prefer_many=many)
            assert sum(pieces) == length and all(2 <= p <= 20 for p in pieces)


def test_truths_are_exactly_the_runs_of_the_topic(world: World) -> None:
    assert {q.text for q in world.queries} == set(world.truths)
    assert {q.topic for q in world.queries} == {e.topic for e in world.events}
    for q in world.queries:
        for span in world.truths[q.text]:
            v = world.video(span.video)
            first, end = int(span.start), int(span.end)
            assert 2 <= end - first <= 60
            assert (v.frame_topic[first:end] == q.topic).all()
            assert first == 0 or v.frame_topic[first - 1] != q.topic
            assert end == len(v.times) or v.frame_topic[end] != q.topic


def test_same_topic_twice_in_a_video_is_8_seconds_apart(world: World) -> None:
    twice = 0
    for q in world.queries:
        by_video: dict[str, list] = {}
        for span in world.truths[q.text]:
            by_video.setdefault(span.video, []).append(span)
        for spans in by_video.values():
            spans.sort(key=lambda s: s.start)
            assert all(b.start - a.end >= 8 for a, b in zip(spans, spans[1:]))
            twice += len(spans) >= 2
    assert twice >= 5


def test_the_hard_cases_exist(world: World) -> None:
    events = world.events
    assert sum(e.shots >= 2 for e in events) >= 20  # a true moment with cuts inside it
    assert sum("beside_neighbour" in e.kinds for e in events) >= 10  # a distractor right next to it
    whole = [e for e in events if "whole" in e.kinds]
    assert len(whole) >= 2 and all(e.start == 0 and e.end == world.video(e.video).duration <= 40 for e in whole)
    short_in_long = [e for e in events if "short_in_long" in e.kinds]
    assert len(short_in_long) >= 4
    for e in short_in_long:
        assert 2 <= e.end - e.start <= 8 and world.video(e.video).duration >= 300
        assert [x for x in events if x.video == e.video] == [e]
    assert sum(v.frame_kind.tolist().count(FRAME_FADE) for v in world.videos) >= 50
    fades_inside = [
        e
        for e in events
        if e.shots >= 2 and (world.video(e.video).frame_kind[int(e.start) : int(e.end)] == FRAME_FADE).any()
    ]
    assert fades_inside  # a cross-fade between two shots of one moment


def test_the_world_is_deterministic_and_the_seed_matters(tiny: World) -> None:
    again = build_world(WorldParams.tiny())
    assert again.truths == tiny.truths and [q.text for q in again.queries] == [q.text for q in tiny.queries]
    assert all(np.array_equal(a.frames, b.frames) for a, b in zip(again.videos, tiny.videos))
    other = build_world(replace(WorldParams.tiny(), seed=1))
    assert other.truths != tiny.truths


def test_load_into_writes_what_the_indexer_would(tiny: World, tmp_path: Path) -> None:
    from search_api.search.engine import SearchEngine
    from vidseek.config import Settings
    from vidseek.storage import store
    from vidseek.storage.library import Library

    library = Library(Settings(data_dir=tmp_path / "data"), notify=lambda m: None)
    stored = load_into(library, tiny)
    with library.sessions() as session:
        videos = store.list_videos(session=session)
        assert sorted(v.path for v in videos) == sorted(v.name for v in tiny.videos)
        assert sum(store.clip_counts(session=session).values()) == sum(len(s.windows) for s in stored)
    assert library.index().count == sum(len(s.windows) for s in stored)
    first = clips_of(tiny.videos[0])
    assert first.windows[0][:3] == (0, 3, 0.0) and first.windows[1][2] == 2.0  # 4 s clips every 2 s
    engine = SearchEngine(library, WorldEncoder(tiny.params))
    hits = engine.search_vector(tiny.queries[0].vector, limit=5)
    assert all(h.video.path in {v.name for v in tiny.videos} for h in hits)


def test_naive_baseline_returns_ten_disjoint_clip_windows(tiny: World) -> None:
    table = moments.clip_table(tiny, [clips_of(v) for v in tiny.videos])
    top = moments.naive_top(table, tiny.queries[0].vector)
    assert len(top) == 10 and all(r.end - r.start == 4 for r in top)
    assert moments.overlapping_pairs({"q": top}) == 0


def test_overlap_rules() -> None:
    from search_api.evaluation.metrics import Span

    truth = [Span("v", 10, 20)]
    assert moments.covers(Span("v", 19, 25), truth[0]) and not moments.covers(Span("v", 19.5, 25), truth[0])
    assert moments.covers(Span("v", 19.6, 20.2), truth[0])  # over half of a short result
    assert moments.split_share({"q": [Span("v", 8, 14), Span("v", 14, 22)]}, {"q": truth}) == 1.0
    assert moments.over_long_share({"q": [Span("v", 0, 40), Span("w", 0, 40)]}, {"q": truth}) == 0.5
    assert moments.overlapping_pairs({"q": [Span("v", 0, 4), Span("v", 3, 6), Span("v", 6, 9)]}) == 1
    assert moments.whole_video_wrong({"q": [Span("v", 0, 29)]}, {"q": truth}, {"v": 30.0}) == 1
    assert moments.whole_video_wrong({"q": [Span("v", 0, 29)]}, {"q": [Span("v", 0, 30)]}, {"v": 30.0}) == 0


def test_moments_benchmark_reports_both_methods_with_sane_fields() -> None:
    rows = moments.measure("short")
    assert [r["method"] for r in rows] == ["vidseek", "naive 4s clips + NMS"]
    shares = ["r1_at_0.5", "r1_at_0.7", "miou", "r5_at_0.5", "video_r_at_10", "split", "over_long", "found_at_0.5"]
    for row in rows:
        assert row["queries"] == len(build_world(WorldParams.tiny()).queries)
        assert all(0.0 <= row[k] <= 1.0 for k in shares)
        assert all(row[f"found_{k}"] == "n/a" or 0.0 <= row[f"found_{k}"] <= 1.0 for k in moments.KINDS)
        assert isinstance(row["overlaps"], int) and row["overlaps"] >= 0
        assert isinstance(row["whole_video_wrong"], int) and row["whole_video_wrong"] >= 0
        assert 0 < row["returned"] <= 10 and row["ms_per_query"] >= 0
    vidseek, naive = rows
    assert isinstance(vidseek["limit_stable"], bool) and 0 <= vidseek["limit_unstable_queries"] <= vidseek["queries"]
    assert naive["overlaps"] == 0 and naive["returned"] == 10
