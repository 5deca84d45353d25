"""Values a request may present only once until they expire: DPoP proof `jti`s (RFC 9449 §11.1) and
client assertion `jti`s (RFC 7523 §3), shared by every worker and node.

`first_use()` is one round trip: `SET NX EX` in Redis when `REDIS_URL` is set (the key expires by
itself), else one `INSERT … ON CONFLICT DO UPDATE … WHERE expired … RETURNING` on the SeenValue table
(PostgreSQL and SQLite alike), so a value seen and expired may be seen again. While Redis does not
answer, the database takes over, as core/counters.py does: a replay check never fails open. Keys
name a scope and a hash of the value; `purgetokens` deletes the expired rows.
"""

import logging
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from . import counters
from .crypto import hash_token
from .models import SeenValue

log = logging.getLogger(__name__)
REDIS_PREFIX = "rotor:seen:"


def _key(scope: str, value: str) -> str:
    return f"{scope}:{hash_token(value)}"


def _first_use_in_database(key: str, ttl_seconds: int) -> bool:
    now = timezone.now()
    table = connection.ops.quote_name(SeenValue._meta.db_table)
    sql = (
        f"INSERT INTO {table} AS s (key, expires_at) VALUES (%s, %s) "  # noqa: S608 (our own table)
        "ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE s.expires_at <= %s RETURNING key"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with counters.DatabaseCounters._cursor() as cursor:
        cursor.execute(sql, [key, adapt(now + timedelta(seconds=ttl_seconds)), adapt(now)])
        return cursor.fetchone() is not None


def first_use(scope: str, value: str, *, ttl_seconds: int) -> bool:
    """Record `value` under `scope` for `ttl_seconds`; True if it was not already recorded and live."""
    key = _key(scope, value)
    store = counters.backend()
    if isinstance(store, counters.RedisCounters):
        try:
            return bool(store.client.set(f"{REDIS_PREFIX}{key}", 1, nx=True, ex=max(1, ttl_seconds)))
        except store.errors:
            log.warning("Redis is unreachable; recording single-use values in the database meanwhile.")
    return _first_use_in_database(key, ttl_seconds)
