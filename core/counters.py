"""Fixed-window counters kept in the database, so they hold across every worker and node.

One table (AttemptCounter), one row per key and window, two ways to count:

- `hit()` counts a request and returns the count so far, with one
  `INSERT … ON CONFLICT DO UPDATE … RETURNING` (PostgreSQL and SQLite alike): the management
  API's rate limits;
- `reserve()` counts an attempt only while the window is under its limit, with one conditional
  UPDATE, so concurrent attempts can never pass it; `release()` gives one back when the attempt
  turned out fine, so only failures count in the end: the `/activate` and sign-in guessing limits;
- `peek()` reads a window's count and `reset()` forgets it (an admin unlocking an account).

Keys name a scope and a hashed subject: no raw IP or session key is stored.
"""

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import F
from django.utils import timezone

from .crypto import hash_token
from .models import AttemptCounter

KEEP_COUNTERS = timedelta(days=1)


def window_start(window_seconds: int, now: float | None = None) -> datetime:
    now = timezone.now().timestamp() if now is None else now
    return datetime.fromtimestamp(int(now) - int(now) % window_seconds, tz=UTC)


def _key(scope: str, subject: str) -> str:
    return f"{scope}:{hash_token(subject)}"


def _drop_old(start: datetime) -> None:
    """A new window began somewhere: drop counters nobody needs any more."""
    AttemptCounter.objects.filter(window_start__lt=start - KEEP_COUNTERS).delete()


def hit(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> int:
    """Count one request of `subject` in the current window; the window's count so far."""
    start = window_start(window_seconds, now)
    table = connection.ops.quote_name(AttemptCounter._meta.db_table)
    # One statement: concurrent requests serialise on the row.
    sql = (
        f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1) "  # noqa: S608 (our own table name)
        f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_key(scope, subject), connection.ops.adapt_datetimefield_value(start)])
        count = cursor.fetchone()[0]
    if count == 1:
        _drop_old(start)
    return count


def reserve(scope: str, subject: str, *, limit: int, window_seconds: int, now: float | None = None) -> bool:
    """Count one attempt of `subject`; False (and nothing counted) once the window's limit is reached."""
    start = window_start(window_seconds, now)
    counter, created = AttemptCounter.objects.get_or_create(key=_key(scope, subject), window_start=start)
    if created:
        _drop_old(start)
    return bool(AttemptCounter.objects.filter(pk=counter.pk, count__lt=limit).update(count=F("count") + 1))


def release(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> None:
    """Give back an attempt that succeeded."""
    AttemptCounter.objects.filter(
        key=_key(scope, subject), window_start=window_start(window_seconds, now), count__gt=0
    ).update(count=F("count") - 1)


def peek(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> int:
    """The current window's count, counting nothing: to show whether a limit is reached."""
    row = AttemptCounter.objects.filter(
        key=_key(scope, subject), window_start=window_start(window_seconds, now)
    ).values_list("count", flat=True)
    return next(iter(row), 0)


def reset(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> None:
    """Forget the current window's attempts (an admin lifting a limit before the window ends)."""
    AttemptCounter.objects.filter(key=_key(scope, subject), window_start=window_start(window_seconds, now)).delete()
