"""The OAuth endpoints' rate limits (tokens/oauth/limits.py, counted by core/counters.py): requests and
failed client authentications, per client id and per IP, on the database and on Redis; what a 429
looks like at each endpoint; the invalid_client events of a flood; what the limiter costs a refresh; and
how a worker batches its counts (core/counters.py, `Batched`) yet refuses at the limit.

The limiter's clock is held still (`clock`), so a test never straddles two windows; `clock.next_window()`
moves it on. Redis tests use ROTOR_TEST_REDIS_URL and fail when Redis is missing.
"""

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import counters
from core.models import AttemptCounter
from core.systemlog.models import Event
from tests.kit.limits import REDIS_TEST_URL, clean_redis, set_limits
from tests.kit.oauth import AUTH_FAILED, PREFIX, form_post, refresh, tokens_for
from tokens.oauth import limits

INVALID_CLIENT = "app.oauth2.invalid_client_credentials"
SLOW_DOWN = {"error": "slow_down", "error_description": limits.TOO_MANY_REQUESTS}
TOO_MANY_FAILURES = {"error": "slow_down", "error_description": limits.TOO_MANY_FAILURES}


class Clock:
    def __init__(self, now: float):
        self.now = now

    def next_window(self) -> None:
        self.now += limits.WINDOW_SECONDS

    @property
    def reset(self) -> int:
        return int(self.now) - int(self.now) % 60 + 60


@pytest.fixture
def clock(monkeypatch):
    held = Clock(1_800_000_000 + 7)  # 7 s into a window
    monkeypatch.setattr(limits, "_now", lambda: held.now)
    return held


@pytest.fixture(params=["database", "redis"])
def backend(request, settings):
    if request.param == "redis":
        clean_redis()
        settings.REDIS_URL = REDIS_TEST_URL
        yield request.param
        clean_redis()
    else:
        settings.REDIS_URL = ""
        yield request.param


@pytest.fixture
def service(make_app):
    """A confidential app with client_credentials: (app, secret)."""
    return make_app(label="Nightly export", application_type="service", grant_types=["client_credentials"])


def grant(client, app, secret, **headers):
    """client_credentials as `app` at `default` (the org server has no custom scopes), by HTTP Basic; `secret`
    may be wrong."""
    data = {"grant_type": "client_credentials", "scope": "api:read"}
    return form_post(client, "token", data, app=app, secret=secret, server="default", **headers)


def assert_limited(response, limit: int, clock: Clock, body=SLOW_DOWN):
    assert response.status_code == 429, response.content
    assert response["Retry-After"] == str(clock.reset - int(clock.now))
    assert response["X-Rate-Limit-Limit"] == str(limit)
    assert response["X-Rate-Limit-Remaining"] == "0"
    assert response["X-Rate-Limit-Reset"] == str(clock.reset)
    if body is not None:
        assert response.json() == body
        assert response["Cache-Control"] == "no-store"


# 429 at every endpoint -----------------------------------------------------------------------------

FORM_ENDPOINTS = {
    "token": {"grant_type": "client_credentials"},
    "revoke": {"token": "not-a-token"},
    "introspect": {"token": "not-a-token"},
    "device/authorize": {"scope": "openid"},
}


@pytest.mark.parametrize("server", ["org", "default"])
@pytest.mark.parametrize("endpoint", list(FORM_ENDPOINTS))
def test_form_endpoints_answer_429_slow_down_past_the_client_limit(client, db, settings, clock, endpoint, server):
    set_limits(settings, RATE_LIMIT=2)
    data = FORM_ENDPOINTS[endpoint] | {"client_id": "0oa-some-client"}
    for _ in range(2):
        assert form_post(client, endpoint, data, server=server).status_code != 429
    assert_limited(form_post(client, endpoint, data, server=server), 2, clock)
    other = data | {"client_id": "0oa-another-client"}
    assert form_post(client, endpoint, other, server=server).status_code != 429


@pytest.mark.parametrize("server", ["org", "default"])
def test_authorize_answers_a_429_page_past_the_client_limit(client, settings, clock, public_app, server):
    set_limits(settings, RATE_LIMIT=2)
    params = {"client_id": public_app.client_id, "response_type": "code", "redirect_uri": "https://nowhere.example"}
    for _ in range(2):
        assert client.get(f"{PREFIX[server]}/authorize", params).status_code == 400  # bad redirect URI page
    response = client.get(f"{PREFIX[server]}/authorize", params)
    assert_limited(response, 2, clock, body=None)
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "slow_down" in page and limits.TOO_MANY_REQUESTS in page


# Requests per client and per IP --------------------------------------------------------------------


def test_request_limit_per_client_spares_other_clients_on_the_same_ip(client, settings, clock, backend, service):
    set_limits(settings, RATE_LIMIT=3)
    app, secret = service
    for _ in range(3):
        assert grant(client, app, secret).status_code == 200
    assert_limited(grant(client, app, secret), 3, clock)
    assert form_post(client, "token", {"grant_type": "client_credentials", "client_id": "other"}).status_code == 401
    clock.next_window()
    assert grant(client, app, secret).status_code == 200


def test_request_limit_per_ip_spares_other_ips(client, settings, clock, backend, service):
    set_limits(settings, IP_RATE_LIMIT=3)
    app, secret = service
    for i in range(3):
        data = {"grant_type": "client_credentials", "client_id": f"client-{i}"}
        assert form_post(client, "token", data).status_code == 401
    assert_limited(grant(client, app, secret), 3, clock)  # another client, the same IP
    assert grant(client, app, secret, REMOTE_ADDR="10.1.2.3").status_code == 200


# Failed client authentications ---------------------------------------------------------------------


def test_past_the_failure_limit_even_the_right_secret_gets_429_until_the_window_ends(
    client, settings, clock, backend, service
):
    set_limits(settings, AUTH_FAILURES=3)
    app, secret = service
    for _ in range(3):
        response = grant(client, app, "wrong secret 12345")
        assert response.status_code == 401 and response.json() == AUTH_FAILED
    assert_limited(grant(client, app, secret), 3, clock, body=TOO_MANY_FAILURES)
    assert_limited(grant(client, app, secret, REMOTE_ADDR="10.1.2.3"), 3, clock, body=TOO_MANY_FAILURES)
    clock.next_window()
    assert grant(client, app, secret).status_code == 200


def test_the_failure_limit_per_client_spares_other_clients_on_the_same_ip(
    client, settings, clock, backend, service, make_app
):
    set_limits(settings, AUTH_FAILURES=3)
    app, secret = service
    other, other_secret = make_app(label="Other", application_type="service", grant_types=["client_credentials"])
    for _ in range(5):
        grant(client, app, "wrong secret 12345")
    assert grant(client, other, other_secret).status_code == 200


def test_the_failure_limit_per_ip_counts_every_client_id_from_it(client, settings, clock, backend, service):
    """Guessing across many client ids (most unknown) is stopped per IP."""
    set_limits(settings, IP_AUTH_FAILURES=3)
    app, secret = service
    assert grant(client, app, "wrong secret 12345").status_code == 401
    assert form_post(client, "revoke", {"token": "x", "client_id": "unknown-client"}).status_code == 401
    assert form_post(client, "introspect", {"token": "x"}, app=app, secret="wrong 3").status_code == 401
    assert_limited(grant(client, app, secret), 3, clock, body=TOO_MANY_FAILURES)
    assert grant(client, app, secret, REMOTE_ADDR="10.1.2.3").status_code == 200


def test_successes_do_not_count_as_failures(client, settings, clock, service):
    set_limits(settings, AUTH_FAILURES=2, IP_AUTH_FAILURES=2)
    app, secret = service
    for _ in range(5):
        assert grant(client, app, secret).status_code == 200


# 0 turns a limit off -------------------------------------------------------------------------------

SCENARIOS = {
    "RATE_LIMIT": "requests",
    "IP_RATE_LIMIT": "requests",
    "AUTH_FAILURES": "failures",
    "IP_AUTH_FAILURES": "failures",
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_zero_turns_each_limit_off(client, settings, clock, service, name):
    """Each limit binds at 2 (so the scenario reaches it); at 0 the same scenario is never refused."""
    app, secret = service
    good_secret = secret if SCENARIOS[name] == "requests" else "wrong secret 12345"
    set_limits(settings, **{name: 2})
    assert [grant(client, app, good_secret).status_code == 429 for _ in range(4)] == [False, False, True, True]
    set_limits(settings, **{name: 0})
    clock.next_window()
    assert not any(grant(client, app, good_secret).status_code == 429 for _ in range(6))


def test_with_every_limit_off_the_limiter_counts_nothing(client, settings, clock, service):
    set_limits(settings)
    app, secret = service
    with CaptureQueriesContext(connection) as ctx:
        assert grant(client, app, secret).status_code == 200
    assert not [q for q in ctx.captured_queries if "attemptcounter" in q["sql"]]
    assert not AttemptCounter.objects.exists()


# The system log under a flood ----------------------------------------------------------------------


@pytest.mark.parametrize("limited", [False, True], ids=["limits-off", "limits-on"])
def test_300_wrong_secrets_write_one_event_with_their_count(client, settings, clock, backend, service, limited):
    if limited:
        set_limits(settings, AUTH_FAILURES=30)
    else:
        set_limits(settings)
    app, _ = service
    statuses = [grant(client, app, f"wrong secret {i:05}").status_code for i in range(300)]
    failures = 30 if limited else 300
    assert statuses == [401] * failures + [429] * (300 - failures)
    events = Event.objects.filter(event_type=INVALID_CLIENT, app_id=app.public_id)
    assert events.count() == 1
    assert events.get().debug_data["failures"] == failures
    assert events.get().outcome_reason == "invalid_client_credentials"

    clock.next_window()
    grant(client, app, "wrong secret again")
    assert [e.debug_data["failures"] for e in events.order_by("id")] == [failures, 1]


# Cost on the refresh path --------------------------------------------------------------------------


@pytest.fixture
def signed_in_app(client, make_app, end_user):
    app, _ = make_app(label="q", application_type="browser", grant_types=["authorization_code", "refresh_token"])
    token = tokens_for(client, app, end_user, sign_out=False)["refresh_token"]
    token = refresh(client, app, token).json()["refresh_token"]  # the signing key and the counters exist now
    return app, token


def _statements(client, app, token) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as ctx:
        response = refresh(client, app, token)
    assert response.status_code == 200, response.content
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]], response.json()["refresh_token"]


def _limits_on(settings, sync_seconds: float = 1):
    """The production defaults (batches of 300 and 600 hits), or every request counted at once (0)."""
    set_limits(settings, RATE_LIMIT=300_000, IP_RATE_LIMIT=600_000, AUTH_FAILURES=30, IP_AUTH_FAILURES=60)
    settings.ROTOR_OAUTH_LIMIT_SYNC_SECONDS = sync_seconds


def _counter_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if "tokens_attemptcounter" in s]


@pytest.mark.postgres
def test_on_the_database_most_refreshes_send_no_counter_statement(client, settings, clock, signed_in_app):
    """With the default limits a worker sends its counts once per 300 requests (per second when the
    clock moves): N refreshes on a held clock make at most ceil(N / 300) + 1 counter statements."""
    settings.ROTOR_FAST_SQL = True
    settings.REDIS_URL = ""
    app, token = signed_in_app
    set_limits(settings)
    off, token = _statements(client, app, token)
    assert len(off) == 2, "\n".join(off)
    _limits_on(settings)
    runs = []
    for _ in range(40):
        statements, token = _statements(client, app, token)
        runs.append(statements)
    sent = [_counter_statements(r) for r in runs]
    assert [len(c) for c in sent] == [1] + [0] * 39  # the window's first request reads the counts
    assert "INSERT" in sent[0][0] and "SELECT" in sent[0][0]  # the failure counts in the same statement
    assert all(len(r) == len(off) for r in runs[1:])
    clock.now += settings.ROTOR_OAUTH_LIMIT_SYNC_SECONDS  # a second later: the worker sends what it holds
    statements, token = _statements(client, app, token)
    assert len(_counter_statements(statements)) == 1
    assert AttemptCounter.objects.get(key=counters._key("oauth-client", app.client_id)).count == 41


@pytest.mark.postgres
def test_with_sync_seconds_0_every_refresh_adds_one_statement(client, settings, clock, signed_in_app):
    settings.ROTOR_FAST_SQL = True
    settings.REDIS_URL = ""
    app, token = signed_in_app
    set_limits(settings)
    off, token = _statements(client, app, token)
    _limits_on(settings, sync_seconds=0)
    first, token = _statements(client, app, token)  # the window's first request: new rows, old ones dropped
    on, _ = _statements(client, app, token)
    assert len(first) == len(off) + 1, "\n".join(first)
    assert len(on) == len(off) + 1, "\n".join(on)
    extra = _counter_statements(on)
    assert len(extra) == 1 and "INSERT" in extra[0] and "SELECT" in extra[0]


@pytest.mark.parametrize("sync_seconds", [1, 0])
def test_on_redis_most_refreshes_make_no_round_trip(client, settings, clock, signed_in_app, monkeypatch, sync_seconds):
    app, token = signed_in_app
    set_limits(settings)
    off, token = _statements(client, app, token)
    clean_redis()
    settings.REDIS_URL = REDIS_TEST_URL
    _limits_on(settings, sync_seconds)
    token = refresh(client, app, token).json()["refresh_token"]  # loads the Lua script once per process
    sent = []
    original = redis.connection.Connection.send_packed_command
    monkeypatch.setattr(
        redis.connection.Connection,
        "send_packed_command",
        lambda self, command, *a, **kw: sent.append(command) or original(self, command, *a, **kw),
    )
    for _ in range(5):
        on, token = _statements(client, app, token)
        assert len(on) == len(off), "\n".join(on)
    assert len(sent) == (5 if sync_seconds == 0 else 0), sent
    set_limits(settings)
    sent.clear()
    _statements(client, app, token)
    assert sent == []  # limits off: not even a round trip
    clean_redis()


# Batching: what a worker sends, and how exact its refusals are --------------------------------------


@pytest.fixture
def sends(monkeypatch, db, backend):
    """The round trips the counters make: one list of added amounts per send, on either backend."""
    made = []
    store = type(counters.backend())
    original = store.count

    def count(self, hits, peeks, window_seconds, now, by):
        made.append(by)
        return original(self, hits, peeks, window_seconds, now, by)

    monkeypatch.setattr(store, "count", count)
    return made


def test_under_a_small_limit_every_request_is_counted_and_the_51st_refused(client, settings, clock, sends):
    """Under 2,000 a minute the batch is 1: each request is sent, as before batching."""
    set_limits(settings, RATE_LIMIT=50)
    data = {"token": "not-a-token", "client_id": "0oa-small-limit"}
    assert [form_post(client, "introspect", data).status_code for _ in range(50)] == [401] * 50
    assert_limited(form_post(client, "introspect", data), 50, clock)
    assert sends == [[1]] * 51


def test_a_large_limit_is_batched_until_the_estimate_nears_it_then_refused_at_the_exact_count(settings, clock, sends):
    """10,000 a minute: batches of 10 until the estimate reaches 9,000 (within 10 %), then every request
    is sent, and the 10,001st is refused (one process: nobody else holds unsent hits)."""
    set_limits(settings, RATE_LIMIT=10_000)
    who = limits.Caller(client_id="0oa-large-limit", ip="10.9.8.7")
    sent_by = []
    for _ in range(10_000):
        limits.check(who)
        sent_by.append(len(sends))
    with pytest.raises(limits.RateLimited) as refused:
        limits.check(who)
    assert refused.value.headers["X-Rate-Limit-Limit"] == "10000"
    assert sends[0] == [1]  # the window's first request reads the shared count
    assert sends[1:900] == [[10]] * 899  # then one send per 10 requests, up to 8,991 ...
    assert sent_by[8998] == 900
    assert sends[900:] == [[9]] + [[1]] * 1001  # ... and from 9,000 (within 10 %) each one
    assert counters.peek("oauth-client", who.client_id, window_seconds=60, now=clock.now) == 10_001


def test_a_new_window_drops_the_old_windows_unsent_hits(settings, clock, sends):
    set_limits(settings, RATE_LIMIT=100_000)  # batches of 100
    who = limits.Caller(client_id="0oa-windows", ip="10.9.8.7")
    for _ in range(50):
        limits.check(who)
    assert sends == [[1]]
    clock.next_window()
    limits.check(who)
    assert sends == [[1], [1]]
    assert counters.peek("oauth-client", who.client_id, window_seconds=60, now=clock.now) == 1
    assert counters.peek("oauth-client", who.client_id, window_seconds=60, now=clock.now - 60) == 1  # not 50


def test_the_worker_that_counted_the_last_failure_refuses_the_next_request_at_once(
    client, settings, clock, backend, service, sends
):
    """The default limits: its view of the failure count is its own count, not one a second old."""
    _limits_on(settings)
    app, secret = service
    assert grant(client, app, secret).status_code == 200
    for i in range(30):
        assert grant(client, app, f"wrong secret {i:05}").status_code == 401
    before = len(sends)
    assert_limited(grant(client, app, secret), 30, clock, body=TOO_MANY_FAILURES)
    assert len(sends) == before  # refused on what the worker itself counted, without a round trip


def test_another_worker_sees_a_lockout_within_the_sync_seconds(settings, clock, backend, sends):
    """Another worker (its own view) keeps the failure count it read for at most
    ROTOR_OAUTH_LIMIT_SYNC_SECONDS, then reads it with its next send."""
    _limits_on(settings)
    who = limits.Caller(client_id="0oa-locked-out", ip="10.9.8.7")
    other = counters.Batched()
    hits = [(("oauth-client", who.client_id), 300_000), (("oauth-ip", who.ip), 600_000)]
    peeks = [("oauth-fail-client", who.client_id), ("oauth-fail-ip", who.ip)]

    def other_sees(now):
        return other.count(hits, peeks, 60, 1, now)[2]

    assert other_sees(clock.now) == 0
    for _ in range(30):
        limits.failed(who)
    with pytest.raises(limits.RateLimited):
        limits.check(who)
    assert other_sees(clock.now + 0.9) == 0  # its read of 0.9 s ago
    assert other_sees(clock.now + 1.0) == 30


# The counters themselves, on both backends ---------------------------------------------------------


def test_counters_count_read_reserve_and_release_on_both_backends(db, backend):
    now = 1_800_000_000.0
    assert counters.count([("a", "x"), ("b", "x")], [("c", "x")], window_seconds=60, now=now) == [1, 1, 0]
    assert counters.count([("a", "x")], [("b", "x"), ("c", "x")], window_seconds=60, now=now) == [2, 1, 0]
    assert counters.hit("a", "x", window_seconds=60, now=now + 60) == 1  # a new window
    assert [counters.reserve("r", "s", limit=2, window_seconds=900, now=now) for _ in range(3)] == [True, True, False]
    counters.release("r", "s", window_seconds=900, now=now)
    assert counters.reserve("r", "s", limit=2, window_seconds=900, now=now)


def test_the_first_count_of_a_window_drops_counters_older_than_an_hour(db):
    now = 1_800_000_000.0
    old = counters.window_start(60, now - 2 * 3600)
    recent = counters.window_start(60, now - 600)
    AttemptCounter.objects.create(key="old", window_start=old, count=3)
    AttemptCounter.objects.create(key="recent", window_start=recent, count=3)
    counters.count([("a", "x")], [("b", "x")], window_seconds=60, now=now)
    assert set(AttemptCounter.objects.values_list("key", flat=True)) == {"recent", counters._key("a", "x")}


def test_an_unreachable_redis_leaves_the_endpoints_answering(client, settings, clock, service, caplog):
    """The limits fail open (and say so in the log): a flood guard must not take the token endpoint down."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    set_limits(settings, RATE_LIMIT=1, AUTH_FAILURES=1)
    app, secret = service
    assert grant(client, app, secret).status_code == 200
    assert grant(client, app, secret).status_code == 200
    assert "counter store is unreachable" in caplog.text


@pytest.mark.postgres
def test_the_counter_statement_stays_prepared_on_the_connection(client, settings, clock, signed_in_app):
    """Like the refresh's own statements (tests/tokens/test_refresh_queries.py): planned once per connection."""
    settings.REDIS_URL = ""
    app, token = signed_in_app
    _limits_on(settings)
    for _ in range(2):
        token = refresh(client, app, token).json()["refresh_token"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any(s.startswith('WITH hit AS (INSERT INTO "tokens_attemptcounter"') for s in prepared), prepared


def test_refusals_are_counted_in_the_metrics(client, settings, clock, service):
    from prometheus_client import REGISTRY

    def refused(kind):
        return REGISTRY.get_sample_value("rotor_rate_limited_total", {"endpoint": "token", "kind": kind}) or 0.0

    app, secret = service
    set_limits(settings, RATE_LIMIT=1)
    before = refused("requests")
    assert grant(client, app, secret).status_code == 200
    assert grant(client, app, secret).status_code == 429
    assert refused("requests") == before + 1
    set_limits(settings, AUTH_FAILURES=1)
    clock.next_window()
    before = refused("auth_failures")
    assert grant(client, app, "wrong secret 12345").status_code == 401
    assert grant(client, app, secret).status_code == 429
    assert refused("auth_failures") == before + 1


def test_a_flood_of_distinct_client_ids_keeps_the_workers_view_bounded(settings, clock, sends, monkeypatch):
    """Each id's first request is sent (nothing held back), so the view drops such ids once full."""
    monkeypatch.setattr(counters, "MAX_TALLIES", 50)
    set_limits(settings, RATE_LIMIT=300_000)
    for i in range(200):
        limits.check(limits.Caller(client_id=f"0oa-flood-{i}", ip="10.9.8.7"))
    assert len(counters._batched._tallies) <= 50
    assert len(sends) == 200
