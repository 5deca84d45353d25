"""Fixed-window counters shared by every worker and node: in Redis when `REDIS_URL` is set, else in
the database (the AttemptCounter table, PostgreSQL or SQLite), so `make run` needs nothing more.

One key per scope, hashed subject and window; four ways to count, each ONE round trip on PostgreSQL
and on Redis (one statement, or one Lua script):

- `count()` counts several keys and reads several others at once: the OAuth endpoints' limits
  (tokens/oauth/limits.py) count a request per client and per IP and read the failure counters of
  both, on the refresh path, for the price of one round trip;
- `hit()` counts one key and returns its count: the management API's rate limits;
- `reserve()` counts an attempt only while the window is under its limit, so concurrent attempts can
  never pass it; `release()` gives one back when the attempt turned out fine, so only failures count
  in the end: the `/activate` and sign-in guessing limits;
- `peek()` reads a window's count and `reset()` forgets it (an admin unlocking an account).

Keys name a scope and a hashed subject: no raw IP, client id or session key is stored. The backend is
chosen here and nowhere else (`backend()`).
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from .crypto import hash_token
from .models import AttemptCounter

log = logging.getLogger(__name__)
KEEP_COUNTERS = timedelta(hours=1)  # past every window (the longest, /activate's, is 15 minutes): rows per IP add up
REDIS_PREFIX = "rotor:counter:"
REDIS_TIMEOUT_SECONDS = 0.5  # a hung Redis must not hang the token endpoint (callers may fail open)

Key = tuple[str, str]  # (scope, subject)


class Unavailable(Exception):
    """The counter store could not be reached (Redis down). Callers choose to fail open or closed."""


def window_start(window_seconds: int, now: float | None = None) -> datetime:
    now = timezone.now().timestamp() if now is None else now
    return datetime.fromtimestamp(int(now) - int(now) % window_seconds, tz=UTC)


def _key(scope: str, subject: str) -> str:
    return f"{scope}:{hash_token(subject)}"


# The database --------------------------------------------------------------------------------------


class DatabaseCounters:
    """AttemptCounter rows; `INSERT … ON CONFLICT DO UPDATE … RETURNING` on PostgreSQL and SQLite alike."""

    @staticmethod
    def _cursor():
        """On PostgreSQL a cursor that binds server-side, so each connection keeps the statement prepared
        (settings.py sets `prepare_threshold`) and PostgreSQL does not plan it on every request. Where
        queries are logged (DEBUG, tests that count statements) Django's own cursor, which logs its SQL."""
        if connection.vendor != "postgresql" or connection.queries_logged:
            return connection.cursor()
        from django.db.backends.postgresql.base import ServerBindingCursor

        connection.close_if_health_check_failed()
        connection.ensure_connection()
        with connection.wrap_database_errors:
            return connection._prepare_cursor(ServerBindingCursor(connection.connection))

    def _drop_old(self, start: datetime) -> None:
        """A new window began somewhere: drop counters nobody needs any more."""
        AttemptCounter.objects.filter(window_start__lt=start - KEEP_COUNTERS).delete()

    def count(self, hits: list[Key], peeks: list[Key], window_seconds: int, now: float | None) -> list[int]:
        start = window_start(window_seconds, now)
        when = connection.ops.adapt_datetimefield_value(start)
        table = connection.ops.quote_name(AttemptCounter._meta.db_table)
        hit_keys = [_key(*k) for k in hits]
        peek_keys = [_key(*k) for k in peeks]
        insert = select = None
        params_insert: list = []
        if hit_keys:
            # Concurrent requests serialise on each row; a fixed key order (callers pass scopes in one
            # order) means two statements never wait on each other's rows.
            values = ", ".join(["(%s, %s, 1)"] * len(hit_keys))
            insert = (
                f"INSERT INTO {table} AS c (key, window_start, count) VALUES {values} "  # noqa: S608 (our own table)
                "ON CONFLICT (key, window_start) DO UPDATE SET count = c.count + 1 RETURNING key, count"
            )
            params_insert = [p for key in hit_keys for p in (key, when)]
        if peek_keys:
            marks = ", ".join(["%s"] * len(peek_keys))
            select = f"SELECT key, count FROM {table} WHERE window_start = %s AND key IN ({marks})"  # noqa: S608
        found: dict[str, int] = {}
        with self._cursor() as cursor:
            if insert and connection.vendor == "postgresql":
                # One statement, always: the first request of a window (a new row) also drops the counters
                # past KEEP_COUNTERS (a one-time filter, no scan otherwise); the SELECT reads the snapshot
                # before the INSERT, and the keys it reads are not among those the INSERT counts.
                sql = (
                    f"WITH hit AS ({insert}), gone AS (DELETE FROM {table} WHERE window_start < %s "  # noqa: S608
                    "AND EXISTS (SELECT 1 FROM hit WHERE count = 1)) SELECT key, count FROM hit"
                )
                params = [*params_insert, connection.ops.adapt_datetimefield_value(start - KEEP_COUNTERS)]
                if select:
                    sql, params = f"{sql} UNION ALL {select}", [*params, when, *peek_keys]
                cursor.execute(sql, params)
                found.update(cursor.fetchall())
            else:  # SQLite allows no INSERT inside WITH: a statement each (make run, not production)
                if insert:
                    cursor.execute(insert, params_insert)
                    found.update(cursor.fetchall())
                    if any(found.get(key) == 1 for key in hit_keys):
                        self._drop_old(start)
                if select:
                    cursor.execute(select, [when, *peek_keys])
                    found.update(cursor.fetchall())
        return [found.get(key, 0) for key in hit_keys + peek_keys]

    def reserve(self, scope: str, subject: str, limit: int, window_seconds: int, now: float | None) -> bool:
        start = window_start(window_seconds, now)
        counter, created = AttemptCounter.objects.get_or_create(key=_key(scope, subject), window_start=start)
        if created:
            self._drop_old(start)
        return bool(AttemptCounter.objects.filter(pk=counter.pk, count__lt=limit).update(count=F("count") + 1))

    def release(self, scope: str, subject: str, window_seconds: int, now: float | None) -> None:
        AttemptCounter.objects.filter(
            key=_key(scope, subject), window_start=window_start(window_seconds, now), count__gt=0
        ).update(count=F("count") - 1)

    def reset(self, scope: str, subject: str, window_seconds: int, now: float | None) -> None:
        AttemptCounter.objects.filter(key=_key(scope, subject), window_start=window_start(window_seconds, now)).delete()


# Redis ---------------------------------------------------------------------------------------------

# KEYS: the keys to count, then the keys to read; ARGV[1]: how many to count, ARGV[2]: their TTL.
_COUNT = """
local n = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  if i <= n then
    out[i] = redis.call('INCR', key)
    if out[i] == 1 then redis.call('EXPIRE', key, ARGV[2]) end
  else
    out[i] = tonumber(redis.call('GET', key) or '0')
  end
end
return out
"""
_RESERVE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then return 0 end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1
"""
_RELEASE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 0
"""


class RedisCounters:
    """One key per window (`rotor:counter:<scope>:<sha256>:<window start>`) that expires by itself;
    every operation is one Lua script, so it is atomic and one round trip (EVALSHA; the script is
    loaded once per process). Needs a single Redis, not a cluster (the keys of one call may differ in slot)."""

    def __init__(self, url: str):
        import redis  # only when REDIS_URL is set

        self.errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        self._count = self.client.register_script(_COUNT)
        self._reserve = self.client.register_script(_RESERVE)
        self._release = self.client.register_script(_RELEASE)

    @staticmethod
    def _name(key: Key, window_seconds: int, now: float | None) -> str:
        return f"{REDIS_PREFIX}{_key(*key)}:{int(window_start(window_seconds, now).timestamp())}"

    def _run(self, script, keys: list[str], args: list):
        try:
            return script(keys=keys, args=args)
        except self.errors as exc:
            raise Unavailable(str(exc)) from exc

    def count(self, hits: list[Key], peeks: list[Key], window_seconds: int, now: float | None) -> list[int]:
        names = [self._name(k, window_seconds, now) for k in hits + peeks]
        return [int(n) for n in self._run(self._count, names, [len(hits), 2 * window_seconds])]

    def reserve(self, scope: str, subject: str, limit: int, window_seconds: int, now: float | None) -> bool:
        name = self._name((scope, subject), window_seconds, now)
        return bool(self._run(self._reserve, [name], [limit, 2 * window_seconds]))

    def release(self, scope: str, subject: str, window_seconds: int, now: float | None) -> None:
        self._run(self._release, [self._name((scope, subject), window_seconds, now)], [])

    def reset(self, scope: str, subject: str, window_seconds: int, now: float | None) -> None:
        try:
            self.client.delete(self._name((scope, subject), window_seconds, now))
        except self.errors as exc:
            raise Unavailable(str(exc)) from exc


# The choice ----------------------------------------------------------------------------------------

_database = DatabaseCounters()
_redis: dict[str, RedisCounters] = {}  # by URL: one client (and connection pool) per process


def backend() -> DatabaseCounters | RedisCounters:
    """Redis when `REDIS_URL` is set, else the database."""
    url = settings.REDIS_URL
    if not url:
        return _database
    found = _redis.get(url)
    if found is None:
        found = _redis[url] = RedisCounters(url)
    return found


def count(hits: list[Key], peeks: list[Key] = (), *, window_seconds: int, now: float | None = None) -> list[int]:
    """Count one request for each key of `hits` and read the counts of `peeks`, in one round trip:
    the counts after counting, then the counts read (0 for a key not counted yet), in that order."""
    return backend().count(list(hits), list(peeks), window_seconds, now)


def _held(operation):
    """`operation(store)` on Redis, or on the database while Redis does not answer: the management
    API's and the guessing limits keep holding, and an outage is never a 500. (The OAuth limits use
    `count()` directly and fail open instead, tokens/oauth/limits.py.)"""
    store = backend()
    if store is _database:
        return operation(_database)
    try:
        return operation(store)
    except Unavailable:
        log.warning("The Redis counters are unreachable; counting in the database meanwhile.")
        return operation(_database)


def hit(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> int:
    """Count one request of `subject` in the current window; the window's count so far."""
    return _held(lambda store: store.count([(scope, subject)], [], window_seconds, now)[0])


def reserve(scope: str, subject: str, *, limit: int, window_seconds: int, now: float | None = None) -> bool:
    """Count one attempt of `subject`; False (and nothing counted) once the window's limit is reached."""
    return _held(lambda store: store.reserve(scope, subject, limit, window_seconds, now))


def release(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> None:
    """Give back an attempt that succeeded."""
    _held(lambda store: store.release(scope, subject, window_seconds, now))


def peek(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> int:
    """The current window's count, counting nothing: to show whether a limit is reached."""
    return _held(lambda store: store.count([], [(scope, subject)], window_seconds, now)[0])


def reset(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> None:
    """Forget the current window's attempts (an admin lifting a limit before the window ends)."""
    _held(lambda store: store.reset(scope, subject, window_seconds, now))
