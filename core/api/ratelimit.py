"""Management-API rate limits: fixed one-minute windows per API token and bucket, Okta's headers.

Counted in core/counters.py, so every worker and every node sees the same count and `make run`
needs nothing more.
"""

import time
from dataclasses import dataclass

from django.conf import settings

from core import counters

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset: int  # epoch seconds when the window ends

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(max(self.remaining, 0)),
            "X-Rate-Limit-Reset": str(self.reset),
        }


def hit(key: str, *, now: float | None = None) -> RateLimit:
    """Count one request for `key` in the current window and say how much is left."""
    limit = settings.ROTOR_API_RATE_LIMIT_PER_MINUTE
    now = time.time() if now is None else now
    count = counters.hit("api-rate", key, window_seconds=WINDOW_SECONDS, now=now)
    window = int(now) // WINDOW_SECONDS * WINDOW_SECONDS
    return RateLimit(limit=limit, remaining=limit - count, reset=window + WINDOW_SECONDS)
