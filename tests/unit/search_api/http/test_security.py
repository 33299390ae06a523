"""Who may call the API (pure parts): loopback bind addresses, the off-loopback write rule, the rate limit."""

from __future__ import annotations

import pytest

from search_api.http.security import RateLimiter, is_loopback, writes_locked


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.1.1", None])
    assert not any(is_loopback(h) for h in ["0.0.0.0", "::", "192.168.1.20", "vidseek.example", ""])


def test_writes_are_locked_off_loopback_until_a_key_exists() -> None:
    assert all(writes_locked(h, any_key=False) for h in ["0.0.0.0", "::", "192.168.1.20", "vidseek.example"])
    assert not any(writes_locked(h, any_key=True) for h in ["0.0.0.0", "::", "192.168.1.20", "vidseek.example"])
    assert not any(writes_locked(h, any_key=False) for h in ["127.0.0.1", "localhost", "::1", None])


def test_token_bucket_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])  # one a second, bursts of 60
    assert all(limiter.take("a") == 0.0 for _ in range(60))
    assert limiter.take("a") == pytest.approx(1.0)
    assert limiter.take("b") == 0.0  # others unaffected
    now[0] += 0.5
    assert limiter.take("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.take("a") == 0.0
    assert RateLimiter(0).take("a") == 0.0  # 0 = off


def test_refilled_buckets_are_forgotten_so_many_addresses_cannot_grow_memory() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    limiter.MAX_BUCKETS = 100
    for n in range(100):
        limiter.take(f"10.0.0.{n}")
    now[0] += 120.0  # every bucket has refilled
    limiter.take("late")
    assert len(limiter._buckets) <= 2
    assert limiter.take("10.0.0.1") == 0.0  # a forgotten bucket starts full
