"""Pure parts of querying: combining phrases, preparing an example image, the embedding cache."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from search_api.search.query_cache import QueryEmbeddingCache
from search_api.search.query_vectors import QueryProblem, combine, image_frame

E = np.eye(3, dtype=np.float32)


def test_combine_without_negatives_is_the_normalised_mean() -> None:
    np.testing.assert_allclose(combine([E[0], E[1]], [], 0.5), [2**-0.5, 2**-0.5, 0], atol=1e-6)


def test_combine_subtracts_weighted_negatives_and_renormalises() -> None:
    positive = (E[0] + E[1]) / np.sqrt(2)
    q = combine([positive], [E[1]], 0.5)
    expected = positive - 0.5 * E[1]
    np.testing.assert_allclose(q, expected / np.linalg.norm(expected), atol=1e-6)
    assert q @ E[0] > q @ E[1]  # the frame like the negative now scores lower
    assert np.linalg.norm(q) == pytest.approx(1.0)


def test_phrases_that_cancel_out_are_refused() -> None:
    with pytest.raises(QueryProblem, match="cancel"):
        combine([E[2]], [E[2]], 1.0)


def test_image_is_scaled_to_cover_then_centre_cropped() -> None:
    image = Image.new("RGB", (300, 100), (0, 0, 255))
    image.paste((255, 0, 0), (100, 0, 200, 100))  # red middle third, blue sides
    out = io.BytesIO()
    image.save(out, "PNG")
    frame = image_frame(out.getvalue(), (32, 32))
    assert frame.shape == (32, 32, 3) and frame.dtype == np.uint8
    assert frame[:, 2:-2, 0].min() > 200 and frame[:, 2:-2, 2].max() < 60  # only the red middle is left


def test_unreadable_image_is_a_query_problem() -> None:
    with pytest.raises(QueryProblem, match="not a readable image"):
        image_frame(b"GIF89a broken", (32, 32))


class CountingTextEncoder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, text: str) -> np.ndarray:
        self.calls.append(text)
        return np.array([len(text), 1.0], np.float32)


def test_cache_encodes_each_text_once_and_drops_the_least_recent() -> None:
    encode = CountingTextEncoder()
    cache = QueryEmbeddingCache(encode, size=2)
    cache.vector("a")
    cache.vector("bb")
    cache.vector("a")  # "bb" is now the least recently used
    cache.vector("ccc")  # evicts "bb"
    np.testing.assert_array_equal(cache.vector("a"), [1.0, 1.0])
    cache.vector("bb")
    assert encode.calls == ["a", "bb", "ccc", "bb"] and len(cache) == 2
    assert (cache.hits, cache.misses) == (2, 4)


def test_cache_size_zero_turns_it_off() -> None:
    encode = CountingTextEncoder()
    cache = QueryEmbeddingCache(encode, size=0)
    cache.vector("a")
    cache.vector("a")
    assert encode.calls == ["a", "a"] and len(cache) == 0


def test_cached_vectors_cannot_be_changed_by_a_caller() -> None:
    vector = QueryEmbeddingCache(CountingTextEncoder()).vector("a")
    with pytest.raises(ValueError):
        vector[0] = 5.0


def test_cache_is_capped_by_bytes_least_recent_out() -> None:
    from search_api.search.query_cache import entry_bytes

    encode = CountingTextEncoder()
    one = entry_bytes("x" * 100, np.zeros(2, np.float32))
    cache = QueryEmbeddingCache(encode, size=100, max_bytes=3 * one)
    for letter in "abcd":
        cache.vector(letter * 100)
    assert len(cache) == 3 and cache.bytes <= cache.max_bytes  # "a..." went, though 100 entries would fit
    cache.vector("b" * 100)
    assert encode.calls[-1] == "d" * 100  # "b..." was still cached
    cache.vector("e" * 10_000)  # larger than the whole cap: answered, never kept
    assert len(cache) == 3 and cache.bytes == 3 * one


def test_cache_counts_a_repeated_text_once() -> None:
    from search_api.search.query_cache import entry_bytes

    cache = QueryEmbeddingCache(CountingTextEncoder(), size=0)
    cache.vector("a")
    assert len(cache) == 0 and cache.bytes == 0
    counted = QueryEmbeddingCache(CountingTextEncoder(), size=10)
    vector = counted.vector("a")
    counted.vector("a")
    assert len(counted) == 1 and counted.bytes == entry_bytes("a", vector)
