"""Attempt limits kept in the database, so they hold across every worker and node.

A fixed-window counter per key: `reserve()` counts an attempt with one conditional UPDATE, so
concurrent attempts can never pass the limit; `release()` gives one back when the attempt turned
out fine, so only failures count in the end. Keys are hashed: no raw IP or session key is stored.
"""

from datetime import UTC, datetime, timedelta

from django.db.models import F
from django.utils import timezone

from .crypto import hash_token
from .models import AttemptCounter

KEEP_COUNTERS = timedelta(days=1)


def _counter_key(scope: str, subject: str) -> str:
    return f"{scope}:{hash_token(subject)}"


def _window_start(window_seconds: int) -> datetime:
    now = int(timezone.now().timestamp())
    return datetime.fromtimestamp(now - now % window_seconds, tz=UTC)


def reserve(scope: str, subject: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt of `subject`; False (and nothing counted) once the window's limit is reached."""
    start = _window_start(window_seconds)
    counter, created = AttemptCounter.objects.get_or_create(key=_counter_key(scope, subject), window_start=start)
    if created:  # a new window began somewhere: drop counters nobody needs any more
        AttemptCounter.objects.filter(window_start__lt=start - KEEP_COUNTERS).delete()
    return bool(AttemptCounter.objects.filter(pk=counter.pk, count__lt=limit).update(count=F("count") + 1))


def release(scope: str, subject: str, *, window_seconds: int) -> None:
    """Give back an attempt that succeeded."""
    AttemptCounter.objects.filter(
        key=_counter_key(scope, subject), window_start=_window_start(window_seconds), count__gt=0
    ).update(count=F("count") - 1)
