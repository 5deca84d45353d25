"""Management-API rate limits: fixed one-minute windows per API token and bucket, Okta's headers.

Counters are tokens.models.AttemptCounter rows (the table the device-code attempt limits use), so
every worker and every node sees the same count and `make run` needs nothing more.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection

from tokens.models import AttemptCounter
from tokens.throttle import KEEP_COUNTERS

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
    start = datetime.fromtimestamp(window, tz=UTC)
    table = connection.ops.quote_name(AttemptCounter._meta.db_table)
    # One statement on PostgreSQL and SQLite alike: concurrent requests serialise on the row.
    sql = (
        f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1) "  # noqa: S608 (our own table name)
        f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"api-rate:{key}"[:100], connection.ops.adapt_datetimefield_value(start)])
        count = cursor.fetchone()[0]
    if count == 1:  # a new window began: drop counters nobody needs any more
        AttemptCounter.objects.filter(window_start__lt=start - KEEP_COUNTERS).delete()
    return RateLimit(limit=limit, remaining=limit - count, reset=window + WINDOW_SECONDS)
