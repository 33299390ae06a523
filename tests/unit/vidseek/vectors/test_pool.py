import numpy as np
import pytest

from vidseek.vectors.pool import l2_normalize, mean_pool, pool_windows


def test_l2_normalize_rows_are_unit_and_zero_stays_zero() -> None:
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    out = l2_normalize(x)
    assert np.allclose(out[0], [0.6, 0.8]) and np.allclose(out[1], 0.0)
    assert out.dtype == np.float32


def test_mean_pool_is_meanp_of_normalised_frames() -> None:
    # a long vector must not dominate: frames are normalised before the mean
    frames = np.array([[100.0, 0.0], [0.0, 1.0]])
    assert np.allclose(mean_pool(frames), [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)


def test_mean_pool_refuses_empty() -> None:
    with pytest.raises(ValueError):
        mean_pool(np.zeros((0, 4)))


def test_pool_windows_matches_mean_pool_per_window() -> None:
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(10, 16)).astype(np.float32)
    windows = [(0, 3), (2, 5), (9, 9), (0, 9)]
    pooled = pool_windows(frames, windows)
    for row, (a, b) in zip(pooled, windows):
        assert np.allclose(row, mean_pool(frames[a : b + 1]), atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("frames", [1, 2, 7, 64])
def test_mean_pool_has_the_bits_of_numpys_own_mean(dtype: type, frames: int) -> None:
    # moments are ranked by these scores and pages compared byte for byte across changes: the lean
    # mean must give exactly what ndarray.mean gives, not merely something close
    rng = np.random.default_rng(frames)
    for _ in range(20):
        vectors = rng.normal(size=(frames, 512)).astype(dtype)
        expected = l2_normalize(l2_normalize(vectors).mean(axis=0))
        assert np.array_equal(mean_pool(vectors), expected)
