"""Semantic matches over cue vectors and the merge of the two cue rankings (pure)."""

from __future__ import annotations

import numpy as np

from search_api.search.cue_meaning import chance_best, meaning_matches
from search_api.search.lines import merged_cues, one_line_per_video
from search_api.search.relevance import MIN_SAMPLE, background_of
from vidseek.said.cue_vectors import CueMatrix, appended, cue_matrix
from vidseek.storage.cue_store import CueHit


def _matrix(vectors: np.ndarray, first_id: int = 1) -> CueMatrix:
    n, dim = vectors.shape
    return cue_matrix(dim, np.arange(first_id, first_id + n), np.zeros(n, np.int64), vectors.astype(np.float32))


def _background_lines(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Unrelated lines: random directions (cosines with any fixed query spread around 0)."""
    v = rng.normal(size=(n, dim))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_lines_that_stand_out_from_the_background_match_best_first() -> None:
    rng = np.random.default_rng(0)
    dim = 64
    query = np.eye(dim)[0]
    lines = _background_lines(600, dim, rng)
    lines[100] = np.eye(dim)[0]  # says the query
    near = np.eye(dim)[0] + 0.6 * np.eye(dim)[1]
    lines[400] = near / np.linalg.norm(near)  # says something close to it
    found = meaning_matches(query, _matrix(lines))
    assert [cue_id for cue_id, _ in found] == [101, 401]
    assert found[0][1] > found[1][1] > 0.8


def test_the_bar_follows_min_relevance_and_the_limit_keeps_the_best() -> None:
    rng = np.random.default_rng(1)
    dim = 32
    lines = _background_lines(800, dim, rng)
    query = lines[0]
    medium = [c for c, _ in meaning_matches(query, _matrix(lines))]
    low = [c for c, _ in meaning_matches(query, _matrix(lines), min_relevance="low", limit=50)]
    assert medium[0] == 1 and len(medium) < 50  # chance lines of a random library stay below the bar
    assert len(low) == 50 and low[0] == 1  # 'low' keeps everything, best first, up to the limit
    scores = lines.astype(np.float16).astype(np.float32) @ (query / np.linalg.norm(query)).astype(np.float32)
    assert low == [int(i) + 1 for i in np.argsort(-scores, kind="stable")[:50]]


def test_a_library_with_too_few_lines_to_calibrate_has_no_semantic_matches() -> None:
    dim = 8
    lines = np.tile(np.eye(dim)[0], (MIN_SAMPLE - 1, 1))
    assert meaning_matches(np.eye(dim)[0], _matrix(lines)) == []
    assert meaning_matches(np.eye(dim)[0], _matrix(np.zeros((0, dim)))) == []


def _cue(cue_id: int, rank: int) -> CueHit:
    return CueHit(cue_id, 1, float(cue_id), cue_id + 0.5, f"line {cue_id}", "sidecar:a.srt", None, rank)


def test_cues_found_by_words_and_by_meaning_merge_into_one_ranking() -> None:
    words = [_cue(5, 0), _cue(7, 1), _cue(9, 2)]
    meaning = [_cue(9, 0), _cue(3, 1)]
    merged = merged_cues(words, meaning)
    # 9 is found both ways; then the first place of each list (words before meaning at a tie), and on
    assert [c.id for c in merged] == [9, 5, 7, 3]
    assert [c.rank for c in merged] == [0, 1, 2, 3]
    assert merged_cues(words, []) == words and [c.id for c in merged_cues([], meaning)] == [9, 3]


def test_a_matrix_grown_by_segments_answers_as_one_built_whole() -> None:
    rng = np.random.default_rng(2)
    dim = 32
    lines = _background_lines(900, dim, rng)
    lines[850] = np.eye(dim)[3]
    whole = _matrix(lines)
    grown = appended(_matrix(lines[:500]), _matrix(lines[500:], first_id=501))
    assert grown.size == whole.size == 900 and len(grown.segments) == 2
    query = np.eye(dim)[3]
    assert meaning_matches(query, grown, min_relevance="low", limit=40) == meaning_matches(
        query, whole, min_relevance="low", limit=40
    )
    assert meaning_matches(query, grown)[0][0] == 851


def test_a_meaning_match_must_clear_the_chance_tail_by_a_margin_and_copies_pass_or_fail_together() -> None:
    """A common line said in nine places scores just above the ``medium`` bar (where the best
    unrelated line lies by chance): none of its copies is a match; a line well above it is."""
    rng = np.random.default_rng(3)
    dim = 64
    query = np.eye(dim)[0]
    lines = _background_lines(3000, dim, rng)
    placed = [*range(10, 100, 10), 2000]  # nine copies of the common line, then the real match
    lines[placed] = np.eye(dim)[0]  # high while the background is read: its low quantiles do not move
    background = background_of(_matrix(lines).sample @ query, library_clips=len(lines))

    def scoring(z: float) -> np.ndarray:
        score = background.above(z)
        return score * np.eye(dim)[0] + np.sqrt(1 - score**2) * np.eye(dim)[1]

    lines[placed[:-1]] = scoring(background.medium_z + 0.1)
    lines[placed[-1]] = scoring(background.medium_z + 1.5)
    assert background_of(_matrix(lines).sample @ query, library_clips=len(lines)) == background
    assert [cue_id for cue_id, _ in meaning_matches(query, _matrix(lines))] == [2001]
    assert len(meaning_matches(query, _matrix(lines), min_relevance="low")) >= 10  # 'low' asks for everything


def test_a_line_said_again_in_one_video_is_kept_at_its_best_place_only() -> None:
    said = [
        CueHit(1, 1, 1.0, 2.0, "I'm not sure about this.", "sidecar:a.srt", "en", 0),
        CueHit(2, 2, 1.0, 2.0, "I'm not sure about this.", "sidecar:b.srt", "en", 1),
        CueHit(3, 1, 9.0, 10.0, "i'm NOT sure  about this.", "sidecar:a.srt", "en", 2),
        CueHit(4, 1, 12.0, 13.0, "The red door", "sidecar:a.srt", "en", 3),
    ]
    assert [(c.id, c.rank) for c in one_line_per_video(said)] == [(1, 0), (2, 1), (4, 2)]


def test_a_crowd_of_lines_of_one_pattern_does_not_pass_together_but_a_line_that_stands_out_does() -> None:
    """Text scores are not normal in their upper tail: variations of one line ("Our neighbour bought
    new shoes today / yesterday / again") rise together for some queries. A normal fit of the lower
    half puts the chance tail below that crowd, so before the bar read off the query's own upper
    tail (``chance_best``) every variation matched by meaning at once."""
    rng = np.random.default_rng(3)
    dim = 64
    query = np.eye(dim)[0]
    lines = _background_lines(3000, dim, rng)
    pattern = np.eye(dim)[1] + 0.5 * np.eye(dim)[0]  # a pattern the query overlaps a little
    crowd = pattern + 0.3 * _background_lines(150, dim, rng)
    lines[:150] = crowd / np.linalg.norm(crowd, axis=1, keepdims=True)
    lines[2000] = (np.eye(dim)[0] + 0.4 * np.eye(dim)[2]) / np.linalg.norm([1.0, 0.4])  # says it, in other words
    found = [cue_id for cue_id, _ in meaning_matches(query, _matrix(lines, first_id=1))]
    assert found == [2001]


def test_the_chance_best_of_more_lines_lies_higher_and_follows_the_querys_own_tail() -> None:
    rng = np.random.default_rng(4)
    light = rng.normal(size=4096)
    heavy = np.concatenate([light[:3900], 3.0 + rng.normal(size=196)])  # a crowd high in the tail
    assert chance_best(light, 1000) < chance_best(light, 100_000)
    assert chance_best(heavy, 4096) > chance_best(light, 4096) + 1.0
    assert chance_best(light, 5) == float("-inf")  # too few lines to say
