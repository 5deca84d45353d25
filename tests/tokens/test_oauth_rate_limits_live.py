"""Live servers share the OAuth limits, with the counters in Redis and in the database: two servers add
up one failure limit (each worker sees a lockout within ROTOR_OAUTH_LIMIT_SYNC_SECONDS), and threads
racing a 3-worker server at a batched request limit pass it by at most workers × (batch − 1)."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.kit.limits import REDIS_TEST_URL, clean_redis, wait_for_a_fresh_window

pytestmark = [pytest.mark.live]

LIMIT = 6
SYNC_SECONDS = 1


def _grant(server, client_id: str, secret: str) -> requests.Response:
    data = {"grant_type": "client_credentials", "scope": "api:read"}
    return requests.post(f"{server.url}/oauth2/default/v1/token", data=data, auth=(client_id, secret), timeout=10)


def _env(store: str, **limits: int) -> dict:
    """Every OAuth limit off but those named, the counters in `store`."""
    names = ("RATE_LIMIT", "IP_RATE_LIMIT", "AUTH_FAILURES", "IP_AUTH_FAILURES")
    env = {f"ROTOR_OAUTH_{name}_PER_MINUTE": str(limits.pop(name, 0)) for name in names}
    assert not limits
    return env | {
        "REDIS_URL": REDIS_TEST_URL if store == "redis" else "",
        "ROTOR_OAUTH_LIMIT_SYNC_SECONDS": str(SYNC_SECONDS),
    }


@pytest.mark.parametrize("store", ["database", "redis"])
def test_two_servers_share_the_failure_limit(live_server_factory, live_db, store):
    from clients.services import create_app
    from core.systemlog.models import Event

    if store == "redis":
        clean_redis()
    # The default request limit stays on (batched), so the failure counts ride on its sends.
    env = _env(store, RATE_LIMIT=300_000, AUTH_FAILURES=LIMIT)  # no per-IP limit: other live tests share 127.0.0.1
    servers = [live_server_factory(workers=2, extra_env=env) for _ in range(2)]
    app, secret = create_app(
        {
            "label": f"Shared limit {store} {uuid.uuid4().hex[:8]}",
            "application_type": "service",
            "grant_types": ["client_credentials"],
        }
    )
    wait_for_a_fresh_window()
    assert all(_grant(server, app.client_id, secret).status_code == 200 for server in servers)

    wrong = [_grant(servers[i % 2], app.client_id, f"wrong secret {i:04}").status_code for i in range(LIMIT)]
    assert wrong == [401] * LIMIT
    locked = time.monotonic()
    for server in servers:  # a worker may pass the right secret until it next reads the failure count
        while (refused := _grant(server, app.client_id, secret)).status_code == 200:
            assert time.monotonic() - locked < SYNC_SECONDS + 2, "a worker did not see the lockout"
            time.sleep(0.05)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"] == "slow_down"
        assert refused.headers["X-Rate-Limit-Limit"] == str(LIMIT)
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    time.sleep(max(0.0, locked + SYNC_SECONDS + 0.2 - time.monotonic()))  # now every worker of both has read it
    assert all(_grant(server, app.client_id, secret).status_code == 429 for server in servers for _ in range(4))

    events = Event.objects.filter(event_type="app.oauth2.invalid_client_credentials", app_id=app.public_id)
    assert [e.debug_data["failures"] for e in events] == [LIMIT]  # one event for both servers' failures
    if store == "redis":
        clean_redis()


RACE_LIMIT = 3000  # batches of 3
RACE_WORKERS = 3
RACE_THREADS = 8


@pytest.mark.parametrize("store", ["database", "redis"])
def test_racing_threads_pass_a_batched_request_limit_by_at_most_workers_times_batch(
    live_server_factory, live_db, store
):
    """Every request of every thread names one client id, at a limit just under their total: refusals
    come, the first `limit` requests pass, and no more than workers × (batch − 1) beyond them."""
    if store == "redis":
        clean_redis()
    server = live_server_factory(workers=RACE_WORKERS, extra_env=_env(store, RATE_LIMIT=RACE_LIMIT))
    client_id = f"0oa-race-{uuid.uuid4().hex[:12]}"  # unknown: a cheap 401 invalid_client
    batch = RACE_LIMIT // 1000
    per_thread = (RACE_LIMIT + RACE_LIMIT // 10) // RACE_THREADS

    def send(_):
        with requests.Session() as session:
            return [
                session.post(
                    f"{server.url}/oauth2/v1/revoke", data={"token": "x", "client_id": client_id}, timeout=10
                ).status_code
                for _ in range(per_thread)
            ]

    wait_for_a_fresh_window(margin=30)
    started = time.time()
    with ThreadPoolExecutor(RACE_THREADS) as pool:
        statuses = [status for statuses in pool.map(send, range(RACE_THREADS)) for status in statuses]
    assert int(started) // 60 == int(time.time()) // 60, "the race straddled two windows"
    assert set(statuses) == {401, 429}
    admitted = statuses.count(401)
    assert RACE_LIMIT <= admitted <= RACE_LIMIT + RACE_WORKERS * (batch - 1), admitted
    if store == "redis":
        clean_redis()
