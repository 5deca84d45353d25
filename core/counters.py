"""Fixed-window counters shared by every worker and node: in Redis when `REDIS_URL` is set, else in
the database (the AttemptCounter table, PostgreSQL or SQLite), so `make run` needs nothing more.

One key per scope, hashed subject and window; four ways to count, each ONE round trip on PostgreSQL
and on Redis (one statement, or one Lua script):

- `count()` counts several keys and reads several others at once; `count_batched()` does the same
  for flood limits but sends only every so many hits or seconds (`Batched`): the OAuth endpoints'
  limits (tokens/oauth/limits.py) count a request per client and per IP and read the failure
  counters of both, so most refreshes make no round trip at all;
- `hit()` counts one key and returns its count: the management API's rate limits;
- `reserve()` counts an attempt only while the window is under its limit, so concurrent attempts can
  never pass it; `release()` gives one back when the attempt turned out fine, so only failures count
  in the end: the `/activate` and sign-in guessing limits;
- `peek()` reads a window's count and `reset()` forgets it (an admin unlocking an account).

Keys name a scope and a hashed subject: no raw IP, client id or session key is stored. The backend is
chosen here and nowhere else (`backend()`).
"""

import logging
import threading
from dataclasses import dataclass
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

    def count(
        self, hits: list[Key], peeks: list[Key], window_seconds: int, now: float | None, by: list[int]
    ) -> list[int]:
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
            # `by` is bound, not written in: one statement text for every batch size, prepared once.
            values = ", ".join(["(%s, %s, %s)"] * len(hit_keys))
            insert = (
                f"INSERT INTO {table} AS c (key, window_start, count) VALUES {values} "  # noqa: S608 (our own table)
                "ON CONFLICT (key, window_start) DO UPDATE SET count = c.count + EXCLUDED.count RETURNING key, count"
            )
            params_insert = [p for key, n in zip(hit_keys, by, strict=True) for p in (key, when, n)]
        if peek_keys:
            marks = ", ".join(["%s"] * len(peek_keys))
            select = f"SELECT key, count FROM {table} WHERE window_start = %s AND key IN ({marks})"  # noqa: S608
        found: dict[str, int] = {}
        with self._cursor() as cursor:
            if insert and connection.vendor == "postgresql":
                # One statement, always: the first request of a window (a new row) also drops the counters
                # past KEEP_COUNTERS (a one-time filter, no scan otherwise); the SELECT reads the snapshot
                # before the INSERT, and the keys it reads are not among those the INSERT counts.
                # A new row is one whose xmax is 0 (an update sets it).
                sql = (
                    f"WITH hit AS ({insert}, xmax = 0 AS fresh), gone AS (DELETE FROM {table} "  # noqa: S608
                    "WHERE window_start < %s AND EXISTS (SELECT 1 FROM hit WHERE fresh)) SELECT key, count FROM hit"
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
                    if any(found.get(key) == n for key, n in zip(hit_keys, by, strict=True)):
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

# KEYS: the keys to count, then the keys to read; ARGV[1]: how many to count, ARGV[2]: their TTL,
# ARGV[2 + i]: how much to add to the i-th.
_COUNT = """
local n = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  if i <= n then
    local by = tonumber(ARGV[2 + i])
    out[i] = redis.call('INCRBY', key, by)
    if out[i] == by then redis.call('EXPIRE', key, ARGV[2]) end
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

    def count(
        self, hits: list[Key], peeks: list[Key], window_seconds: int, now: float | None, by: list[int]
    ) -> list[int]:
        names = [self._name(k, window_seconds, now) for k in hits + peeks]
        return [int(n) for n in self._run(self._count, names, [len(hits), 2 * window_seconds, *by])]

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


# Batched counting for flood limits -----------------------------------------------------------------

MAX_TALLIES = 10_000  # keys a process keeps in its view; a flood of distinct ids must not grow it without end


@dataclass
class _Tally:
    """One key's window as this process sees it."""

    start: datetime
    total: int = 0  # the shared count at this process's last send or read
    unsent: int = 0  # hits counted here and not sent yet
    synced: float | None = None  # when (the caller's clock) it last sent or read; None: not in this window


class Batched:
    """Per-process batching of flood counters: a process sends a key's hits (adding n in the same one
    statement or script) only when it holds `batch = max(1, limit // 1000)` unsent hits, when
    `sync_seconds` have passed since it last sent or read that key (or it never has in this window),
    or when its estimate (the total it last read + its unsent hits) is within 10 % of the limit; a send
    also reads every key of `peeks`. Otherwise it answers the estimate and the counts it last read.

    So under 2,000 a minute every hit is sent, as with count(); near the limit every hit is sent and a
    process's refusals are exact but for the other processes' unsent hits: at most
    processes × (batch − 1) hits over the limit in a window (processes = workers × nodes). A new window
    drops the old one's unsent hits; a worker that exits loses its own (at most batch − 1 a key), as
    does a process whose view outgrows MAX_TALLIES. One lock, held across the send: a worker serves
    one request at a time (config/serve.py), so it never waits."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tallies: dict[tuple[Key, int], _Tally] = {}
        self._newest: datetime | None = None  # the newest window start seen: older tallies are dropped

    def forget(self) -> None:
        with self._lock:
            self._tallies.clear()
            self._newest = None

    def _tally(self, key: Key, window_seconds: int, start: datetime) -> _Tally:
        found = self._tallies.get((key, window_seconds))
        if found is None or found.start != start:
            if self._newest is None or start > self._newest:
                self._newest = start
                self._drop(lambda name, t: t.start.timestamp() + name[1] > start.timestamp())
            if len(self._tallies) >= MAX_TALLIES:
                self._drop(lambda name, t: t.unsent > 0)
                if len(self._tallies) >= MAX_TALLIES:
                    self._tallies.clear()
            found = self._tallies[(key, window_seconds)] = _Tally(start)
        return found

    def _drop(self, keep) -> None:
        self._tallies = {name: t for name, t in self._tallies.items() if keep(name, t)}

    @staticmethod
    def _due(tally: _Tally, now: float, sync_seconds: float) -> bool:
        return tally.synced is None or now - tally.synced >= sync_seconds

    def count(
        self, hits: list[tuple[Key, int]], peeks: list[Key], window_seconds: int, sync_seconds: float, now
    ) -> list[int]:
        now = timezone.now().timestamp() if now is None else now
        start = window_start(window_seconds, now)
        with self._lock:
            counted = [self._tally(key, window_seconds, start) for key, _ in hits]
            read = [self._tally(key, window_seconds, start) for key in peeks]
            send = False
            for tally, (_, limit) in zip(counted, hits, strict=True):
                tally.unsent += 1
                estimate = tally.total + tally.unsent
                send = send or tally.unsent >= max(1, limit // 1000) or 10 * estimate >= 9 * limit
            if send or any(self._due(t, now, sync_seconds) for t in counted + read):
                by = [t.unsent for t in counted]
                found = backend().count([k for k, _ in hits], peeks, window_seconds, now, by)  # may raise: unsent kept
                for tally, total in zip(counted + read, found, strict=True):
                    tally.total, tally.unsent, tally.synced = total, 0, now
            return [t.total + t.unsent for t in counted] + [t.total for t in read]

    def learn(self, keys: list[Key], found: list[int], window_seconds: int, now) -> None:
        """Counts count() just returned, for the keys this view holds: a failure this worker counted
        weighs on its very next request."""
        start = window_start(window_seconds, now)
        with self._lock:
            for key, total in zip(keys, found, strict=True):
                tally = self._tallies.get((key, window_seconds))
                if tally is not None and tally.start == start:
                    tally.total, tally.synced = total, now


# The choice ----------------------------------------------------------------------------------------

_database = DatabaseCounters()
_redis: dict[str, RedisCounters] = {}  # by URL: one client (and connection pool) per process
_batched = Batched()  # this process's view of the flood counters


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
    the counts after counting, then the counts read (0 for a key not counted yet), in that order.
    This process's batched view (`count_batched()`) learns the counts at once."""
    hits, peeks = list(hits), list(peeks)
    found = backend().count(hits, peeks, window_seconds, now, [1] * len(hits))
    _batched.learn(hits + peeks, found, window_seconds, now)
    return found


def count_batched(
    hits: list[tuple[Key, int]], peeks: list[Key] = (), *, window_seconds: int, sync_seconds: float, now=None
) -> list[int]:
    """count() for flood limits, batched in this process: `hits` are (key, its limit). Most calls send
    nothing and answer estimates (`Batched`); the counts in count()'s order."""
    return _batched.count(list(hits), list(peeks), window_seconds, sync_seconds, now)


def forget_batched() -> None:
    """Drop this process's unsent hits and the counts it read (tests, between databases)."""
    _batched.forget()


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
    return _held(lambda store: store.count([(scope, subject)], [], window_seconds, now, [1])[0])


def reserve(scope: str, subject: str, *, limit: int, window_seconds: int, now: float | None = None) -> bool:
    """Count one attempt of `subject`; False (and nothing counted) once the window's limit is reached."""
    return _held(lambda store: store.reserve(scope, subject, limit, window_seconds, now))


def release(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> None:
    """Give back an attempt that succeeded."""
    _held(lambda store: store.release(scope, subject, window_seconds, now))


def peek(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> int:
    """The current window's count, counting nothing: to show whether a limit is reached."""
    return _held(lambda store: store.count([], [(scope, subject)], window_seconds, now, [])[0])


def reset(scope: str, subject: str, *, window_seconds: int, now: float | None = None) -> None:
    """Forget the current window's attempts (an admin lifting a limit before the window ends)."""
    _held(lambda store: store.reset(scope, subject, window_seconds, now))
