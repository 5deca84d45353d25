"""Management-API rate limits: fixed one-minute windows per API token and bucket, Okta's headers.

Counters live in the database (one upsert per request), so every worker and every node sees
the same count; nothing needs installing for `make run`.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from .models import RateLimitCounter

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
    window = int(now) // WINDOW_SECONDS * WINDOW_SECONDS
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    # One statement on PostgreSQL and SQLite alike: concurrent requests serialise on the row.
    sql = (
        f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1) "  # noqa: S608 (our own table name)
        f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key[:120], window])
        count = cursor.fetchone()[0]
    if count == 1:
        RateLimitCounter.objects.filter(window_start__lt=window - WINDOW_SECONDS).delete()  # a new window: prune
    return RateLimit(limit=limit, remaining=limit - count, reset=window + WINDOW_SECONDS)
