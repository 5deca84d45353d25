"""Helpers for the rate-limit tests: the test Redis (which must be there: its tests fail, never skip,
without it), a held window, and the four limit settings."""

import os
import time

import pytest

# CI (.ci/run) starts Redis and exports this; db 15 is the suite's own, flushed by the tests that use it.
REDIS_TEST_URL = os.environ.get("ROTOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LIMITS = (
    "ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE",
    "ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE",
    "ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE",
    "ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE",
)


def clean_redis(url: str = REDIS_TEST_URL) -> None:
    """Empty the test Redis database; fail the test (not skip it) when Redis does not answer."""
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).flushdb()
    except (redis.RedisError, OSError) as exc:
        pytest.fail(f"Redis is needed at {url} (ROTOR_TEST_REDIS_URL; .ci/run starts it): {exc}")


def set_limits(settings, **values: int) -> None:
    """Every OAuth limit off except those named, e.g. set_limits(settings, AUTH_FAILURES=3)."""
    for name in LIMITS:
        setattr(settings, name, values.pop(name.removeprefix("ROTOR_OAUTH_").removesuffix("_PER_MINUTE"), 0))
    assert not values, f"unknown limits: {values}"


def wait_for_a_fresh_window(margin: float = 20) -> None:
    """Live servers count on the real clock: start with at least `margin` seconds left in the minute."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.2)
